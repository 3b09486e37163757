"""What differs between two versions of one rule, field by field, for people to read.

Bodies are compared as the model writes them (``model_dump(mode="json")``), so a field a later
release added with its default does not show as a change. Nested conditions are followed down
to each field; a list of entries (a whitelist, refund tiers) is compared entry by entry, so
"the second entry's amount" changed reads as one line rather than as the whole list.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

Path = tuple[str | int, ...]


@dataclass(frozen=True, slots=True)
class BodyChange:
    path: Path
    """Where the value is (``("whitelist", 0, "below")``)."""
    before: Any
    """The old value; None when the field or entry was not there."""
    after: Any


def body_changes(before: Any, after: Any, path: Path = ()) -> list[BodyChange]:
    """Every leaf that differs between two JSON values, in the order the fields come."""
    if before == after:
        return []
    if isinstance(before, dict) and isinstance(after, dict):
        keys = [*after, *(k for k in before if k not in after)]
        return [c for k in keys for c in body_changes(before.get(k), after.get(k), (*path, k))]
    if _entries(before) or _entries(after):
        old = before if isinstance(before, list) else []
        new = after if isinstance(after, list) else []
        return [
            change
            for n in range(max(len(old), len(new)))
            for change in _entry_changes(old, new, n, (*path, n))
        ]
    return [BodyChange(path, before, after)]


def _entries(value: Any) -> bool:
    """A non-empty list of objects (compared entry by entry)."""
    return isinstance(value, list) and bool(value) and all(isinstance(v, dict) for v in value)


def _entry_changes(old: list[Any], new: list[Any], n: int, path: Path) -> list[BodyChange]:
    if n >= len(old):
        return [BodyChange(path, None, new[n])]
    if n >= len(new):
        return [BodyChange(path, old[n], None)]
    return body_changes(old[n], new[n], path)
