"""Idempotency keys (a scan's ``scan_id``, a receipt's ``receipt_id``): the same key with the
same content again is a repeat and changes nothing; the same key with other content is a
client bug (a handheld reusing ids, two systems numbering alike) and is refused, naming what
differs, instead of being answered "duplicate" while nothing of it is applied."""

from __future__ import annotations

from collections.abc import Mapping

from store.errors import Conflict

CODE = "idempotency_key_reused"


def differences(stored: Mapping[str, object], sent: Mapping[str, object]) -> list[str]:
    """``field: stored → sent`` for each field whose value differs."""
    return [
        f"{name}: {stored.get(name)!r} before, {sent.get(name)!r} now"
        for name in sorted(set(stored) | set(sent))
        if stored.get(name) != sent.get(name)
    ]


def reuse_message(key_name: str, key: str, changed: list[str]) -> str:
    return (
        f"{key_name} {key!r} was used before with other content ({'; '.join(changed)}); "
        f"nothing was applied: send a new {key_name} for a new one"
    )


def check_repeat(
    key_name: str, key: str, stored: Mapping[str, object], sent: Mapping[str, object]
) -> None:
    """Nothing when ``sent`` repeats ``stored``; ``Conflict`` (409) naming the differences."""
    changed = differences(stored, sent)
    if changed:
        raise Conflict(reuse_message(key_name, key, changed), code=CODE)
