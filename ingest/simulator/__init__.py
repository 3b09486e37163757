"""A loopback simulator of the five platforms' open APIs (``orderwatch simulate``).

It serves each platform's protocol with signatures checked and errors in the platform's own
envelope, generates a live order stream, lets write-back and listing calls change its state,
injects faults on demand, and exposes its ground truth at ``/_sim/truth``.
"""
