"""Typed rules: risk review, SLA, safety stock, refund approval; evaluation and dry run."""
