"""The audit log page's parts: its filters as the store's ``AuditFilter``, each entry's
before/after as the fields that changed ("status: active → paused"), never a secret's value,
and where each entry leads (its order, rule version or channel)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from dashboard.formatting import NONE
from dashboard.i18n import audit_action_label, t
from store.audit import AuditFilter
from store.channels import owning_channels
from store.models import AuditEntry

Change = tuple[str, str, str]
"""(field, before, after) as text."""
SECRET_PARTS = ("secret", "token", "password", "credential")
"""A field whose name holds one of these is shown as changed, never with its value."""
HIDDEN = "••••••"
COLUMNS = ("at", "actor", "action", "entity", "changes")


def audit_filter(filters: Mapping[str, Any], zone: ZoneInfo) -> AuditFilter:
    """The page's filters (``actors``, ``actions``, ``entity_type``, ``entity_id``, ``days``:
    two business days, the second included) as the store's filter."""
    days = filters.get("days") or [None, None]
    first, last = (_day(value) for value in [*list(days), None, None][:2])
    return AuditFilter(
        actors=[a.strip() for a in filters.get("actors") or () if a.strip()],
        actions=list(filters.get("actions") or ()),
        entity_type=filters.get("entity_type") or None,
        entity_id=(filters.get("entity_id") or "").strip() or None,
        since=datetime.combine(first, time(0), zone) if first else None,
        until=datetime.combine(last + timedelta(days=1), time(0), zone) if last else None,
    )


def _day(value: Any) -> date | None:
    return date.fromisoformat(str(value)[:10]) if value else None


def changes(before: Mapping[str, Any] | None, after: Mapping[str, Any] | None) -> list[Change]:
    """The fields whose values differ between ``before`` and ``after`` (nested ones by their
    dotted path), in the order they first appear."""
    old, new = _flat(before or {}), _flat(after or {})
    found = []
    for field in dict.fromkeys([*old, *new]):
        if old.get(field) == new.get(field):
            continue
        if any(part in field.lower() for part in SECRET_PARTS):
            found.append(
                (field, HIDDEN if field in old else NONE, HIDDEN if field in new else NONE)
            )
            continue
        found.append((field, _text(old.get(field)), _text(new.get(field))))
    return found


def _flat(value: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, item in value.items():
        path = f"{prefix}{key}"
        if isinstance(item, Mapping) and item:
            flat |= _flat(item, f"{path}.")
        else:
            flat[path] = item
    return flat


def _text(value: Any) -> str:
    if value is None or value == "":
        return NONE
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    return json.dumps(value, ensure_ascii=False)


def summary(found: list[Change]) -> str:
    return "; ".join(f"{field}: {old} → {new}" for field, old, new in found)


def owners(session: Session, entries: list[AuditEntry]) -> dict[tuple[str, str], str]:
    """The channel of each quarantined order and listing the entries name (two small
    lookups for a page), so those entries link to their channel."""
    ids = {kind: [int(e.entity_id) for e in entries
                  if e.entity_type == kind and e.entity_id.isdigit()]
           for kind in ("quarantined_order", "channel_listing")}  # fmt: skip
    return {
        (kind, str(row_id)): channel
        for kind, wanted in ids.items()
        for row_id, channel in owning_channels(session, kind, wanted).items()
    }


def link(entry: AuditEntry, channels: Mapping[tuple[str, str], str]) -> str | None:
    """The page of what the entry is about: an order, a rule version, a channel."""
    kind, key = entry.entity_type, entry.entity_id
    if kind == "order":
        return f"/orders/{key}"
    if kind == "channel":
        return f"/channels/{key}"
    if kind == "rule":
        rule_kind, _slash, name = key.partition("/")
        version = (entry.after or {}).get("version")
        query = {"kind": rule_kind, "name": name, **({"version": version} if version else {})}
        return "/rules?" + urlencode(query)
    owner = channels.get((kind, key))
    if owner:
        return f"/channels/{owner}"
    if kind.startswith("alert_"):
        return "/alerts"
    return None


def entity_label(entry: AuditEntry, lang: str) -> str:
    name = t(f"audit.entity.{entry.entity_type}", lang)
    shown = entry.entity_type if name.startswith("audit.entity.") else name
    return f"{shown} {entry.entity_id}"


def grid_row(
    entry: AuditEntry, channels: Mapping[tuple[str, str], str], zone: ZoneInfo, lang: str
) -> dict[str, Any]:
    found = changes(entry.before, entry.after)
    target = link(entry, channels)
    label = entity_label(entry, lang)
    return {
        "id": entry.id,
        "at": entry.at.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S"),
        "actor": entry.actor,
        "action": audit_action_label(entry.action, lang),
        "action_code": entry.action,
        "entity": f"[{_md(label)}]({target})" if target else _md(label),
        "entity_text": label,
        "link": target,
        "changes": summary(found),
        "diff": [list(change) for change in found],
    }


def _md(text: str) -> str:
    """Text shown as itself in a markdown cell."""
    return "".join(f"\\{c}" if c in "\\`*_{}[]()#+-.!|<>" else c for c in text)


def export_rows(rows: list[dict[str, Any]]) -> list[list[Any]]:
    return [[r["at"], r["actor"], r["action"], r["entity_text"], r["changes"]] for r in rows]
