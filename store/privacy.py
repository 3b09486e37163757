"""Buyer personal data (name, phone, address): masked for every view whose role does not need
it, and revealed only through ``reveal_buyer``, which audits each reveal.

Fields a platform sent encrypted (``Order.buyer_ciphertext``) show as "encrypted by the
platform"; only the platform's decrypt call can reveal them (``ingest.reveal``, which audits
through ``reveal_buyer`` before it calls)."""

from __future__ import annotations

import json

from sqlalchemy import select
from sqlalchemy.orm import Session

from store.audit import write_audit
from store.errors import NotFound
from store.models import Order

Buyer = dict[str, str | None]
"""``{"name": ..., "phone": ..., "address": ...}``, masked or clear."""
ENCRYPTED = "平台加密 / encrypted by the platform"
BUYER_FIELDS = ("name", "phone", "address")


def ciphertext_of(order: Order) -> dict[str, str]:
    """The buyer fields the platform sent encrypted (field → ciphertext)."""
    if not order.buyer_ciphertext:
        return {}
    data = json.loads(order.buyer_ciphertext)
    return {k: str(v) for k, v in data.items() if k in BUYER_FIELDS and v}


def mask_name(name: str | None) -> str | None:
    """Keep the family name (first character): 张三丰 → 张**."""
    if not name:
        return name
    return name[0] + "*" * min(len(name) - 1, 3) if len(name) > 1 else "*"


def mask_phone(phone: str | None) -> str | None:
    """Keep the first three and last four digits: 13812345678 → 138****5678."""
    if not phone:
        return phone
    digits = phone.strip()
    if len(digits) < 8:
        return "*" * len(digits)
    return digits[:3] + "*" * (len(digits) - 7) + digits[-4:]


def mask_address(address: str | None) -> str | None:
    """Keep the region (first six characters), hide the street and door number."""
    if not address:
        return address
    return address[:6] + "****" if len(address) > 6 else "****"


def buyer_of(order: Order, *, reveal: bool = False) -> Buyer:
    """The order's buyer, masked unless ``reveal``; encrypted fields say so (their plain text
    is nowhere in the store)."""
    encrypted = ciphertext_of(order)
    if reveal:
        shown: Buyer = {
            "name": order.buyer_name,
            "phone": order.buyer_phone,
            "address": order.buyer_address,
        }
    else:
        shown = {
            "name": mask_name(order.buyer_name),
            "phone": mask_phone(order.buyer_phone),
            "address": mask_address(order.buyer_address),
        }
    for field in encrypted:
        plain = shown[field]
        shown[field] = f"{plain} · {ENCRYPTED}" if field == "address" and plain else ENCRYPTED
    return shown


def reveal_buyer(
    session: Session, *, order_no: str, actor: str, source: str, via: str | None = None
) -> Buyer:
    """The buyer's clear name, phone and address, the reveal written to the audit log in the
    caller's transaction: who, when, which order and from where (``via``: the platform decrypt
    call that reveals the encrypted fields), never the values."""
    order = session.scalar(select(Order).where(Order.order_no == order_no))
    if order is None:
        raise NotFound("order", f"unknown order {order_no!r}")
    after: dict[str, object] = {"fields": list(BUYER_FIELDS), "source": source}
    if via is not None:
        after |= {"decrypted": sorted(ciphertext_of(order)), "via": via}
    write_audit(
        session,
        actor=actor,
        action="order.buyer_revealed",
        entity_type="order",
        entity_id=order_no,
        after=after,
    )
    session.flush()
    return buyer_of(order, reveal=True)
