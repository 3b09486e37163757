"""Masking of buyer personal data for every view whose role does not need it."""

from __future__ import annotations


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
