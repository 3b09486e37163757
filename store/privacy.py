"""Buyer personal data (name, phone, address): masked for every view whose role does not need
it, and revealed only through ``reveal_buyer``, which audits each reveal."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from store.audit import write_audit
from store.errors import NotFound
from store.models import Order

Buyer = dict[str, str | None]
"""``{"name": ..., "phone": ..., "address": ...}``, masked or clear."""


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
    """The order's buyer, masked unless ``reveal``."""
    if reveal:
        return {
            "name": order.buyer_name,
            "phone": order.buyer_phone,
            "address": order.buyer_address,
        }
    return {
        "name": mask_name(order.buyer_name),
        "phone": mask_phone(order.buyer_phone),
        "address": mask_address(order.buyer_address),
    }


def reveal_buyer(session: Session, *, order_no: str, actor: str, source: str) -> Buyer:
    """The buyer's clear name, phone and address, the reveal written to the audit log in the
    caller's transaction: who, when, which order and from where, never the values."""
    order = session.scalar(select(Order).where(Order.order_no == order_no))
    if order is None:
        raise NotFound("order", f"unknown order {order_no!r}")
    write_audit(
        session,
        actor=actor,
        action="order.buyer_revealed",
        entity_type="order",
        entity_id=order_no,
        after={"fields": ["name", "phone", "address"], "source": source},
    )
    session.flush()
    return buyer_of(order, reveal=True)
