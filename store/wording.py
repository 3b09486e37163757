"""Text with counts in it, for every language orderwatch speaks: ``{n:order|orders}`` says
"1 order" and "3 orders" (Chinese needs no plural and writes ``{n} 单``).

One formatter for the console's labels and the alert messages, so "1 orders" is written
nowhere. A count may come as a number or as the text the console shows for one ("1,234").
"""

from __future__ import annotations

import string
from collections.abc import Mapping


class _Counting(string.Formatter):
    def format_field(self, value: object, format_spec: str) -> str:
        one, bar, many = format_spec.partition("|")
        if not bar:
            return str(super().format_field(value, format_spec))
        return f"{value} {one if _count(value) == 1 else many}"


def _count(value: object) -> int | None:
    if isinstance(value, int):
        return value
    digits = str(value).replace(",", "")
    return int(digits) if digits.isdigit() else None


_FORMATTER = _Counting()


def say(template: str, facts: Mapping[str, object]) -> str:
    """``template`` with ``facts`` in it (``str.format_map``, plus the count spec above)."""
    return _FORMATTER.vformat(template, (), facts)
