"""One notifier per provider, each speaking the provider's documented protocol over httpx.

``base`` holds the interface the outbox uses (``Message``, ``Delivery``), ``providers`` the
receiver kinds and ``notifier_for``;
``templates`` the bilingual text per alert kind.
"""
