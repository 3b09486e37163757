"""What an identifier may contain: order numbers, SKUs, scan and receipt ids, channel, user
and token names, warehouse codes.

Identifiers are echoed into logs, terminals, CSV exports and the console. Control characters
have no place in one (PostgreSQL refuses NUL in text), and bidirectional formatting characters
(U+202E RIGHT-TO-LEFT OVERRIDE and its kin) make an identifier display as another one: "OW1"
followed by an override and "9" reads as a different order in a log line. Both are refused
everywhere an identifier enters, from the one pattern below.
"""

from __future__ import annotations

import re

from store.errors import InvalidInput

_FORBIDDEN = (
    "\x00-\x1f\x7f-\x9f"  # C0 and C1 control characters
    "\u061c\u200e\u200f"  # Arabic letter mark, left-to-right and right-to-left marks
    "\u202a-\u202e"  # embeddings and overrides
    "\u2066-\u2069"  # isolates
)
IDENTIFIER_PATTERN = f"^[^{_FORBIDDEN}]+$"
"""A regular expression (for pydantic and FastAPI ``pattern=``) an identifier must match."""
_IDENTIFIER = re.compile(IDENTIFIER_PATTERN)


def check_identifier(value: str, what: str, *, max_length: int = 64) -> str:
    """``value`` when it is a usable identifier; ``InvalidInput`` naming ``what`` otherwise."""
    if not value or len(value) > max_length:
        raise InvalidInput(f"{what} must be 1–{max_length} characters, got {len(value)}")
    if _IDENTIFIER.fullmatch(value) is None:
        raise InvalidInput(
            f"{what} {value.encode('unicode_escape').decode('ascii')!r} contains a control or "
            "bidirectional formatting character"
        )
    return value
