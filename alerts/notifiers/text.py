"""Fitting text into a provider's limits, and the field types receiver settings share."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, SecretStr, StringConstraints

ELLIPSIS = "…"

E164 = Annotated[
    str,
    StringConstraints(strip_whitespace=True, pattern=r"^\+[1-9][0-9]{6,14}$"),
    Field(description="A phone number in E.164 form: '+', country code, number (+8613800138000)."),
]

Secret = Annotated[SecretStr, Field(min_length=1)]


def clip_chars(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters, ending with an ellipsis when it was cut."""
    if len(text) <= limit:
        return text
    return text[: limit - 1] + ELLIPSIS


def clip_bytes(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` UTF-8 bytes on a character boundary (robots count bytes)."""
    if len(text.encode()) <= limit:
        return text
    room = limit - len(ELLIPSIS.encode())
    return text.encode()[:room].decode(errors="ignore") + ELLIPSIS
