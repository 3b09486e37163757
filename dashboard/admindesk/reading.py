"""What the admin page reads: every user and every API token (their secrets are not kept:
a token shows its prefix), as the grids show them and their CSV exports write them.

A row holds what people read in the chosen language plus the codes (``*_code``) the page
decides by. Times are written in the business zone as ``YYYY-MM-DD HH:MM``, which sorts as
text the way it sorts as time.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session, sessionmaker

from dashboard.formatting import NONE
from dashboard.i18n import role_label, t
from store.models import ApiToken, User
from store.people import list_tokens, list_users

Row = dict[str, Any]
USER_COLUMNS = ("username", "display_name", "role", "active", "created")
TOKEN_COLUMNS = ("name", "prefix", "scopes", "created_by", "created", "last_used", "state",
                 "revoked")  # fmt: skip


def users(sessions: sessionmaker[Session], zone: ZoneInfo, lang: str) -> list[Row]:
    with sessions() as session:
        return [user_row(user, zone, lang) for user in list_users(session)]


def tokens(sessions: sessionmaker[Session], zone: ZoneInfo, lang: str) -> list[Row]:
    with sessions() as session:
        return [token_row(token, zone, lang) for token in list_tokens(session)]


def user_row(user: User, zone: ZoneInfo, lang: str) -> Row:
    return {
        "rid": user.username,
        "username": user.username,
        "display_name": user.display_name or NONE,
        "role": role_label(user.role, lang),
        "role_code": user.role,
        "active": t("admin.active" if user.is_active else "admin.inactive", lang),
        "active_code": user.is_active,
        "created": when(user.created_at, zone),
    }


def token_row(token: ApiToken, zone: ZoneInfo, lang: str) -> Row:
    revoked = token.revoked_at is not None
    return {
        "rid": token.name,
        "name": token.name,
        "prefix": token.prefix + "…",
        "scopes": ", ".join(token.scopes),
        "created_by": token.created_by or NONE,
        "created": when(token.created_at, zone),
        "last_used": when(token.last_used_at, zone) or t("admin.never_used", lang),
        "state": t("admin.token.revoked" if revoked else "admin.token.live", lang),
        "state_code": "revoked" if revoked else "live",
        "revoked": when(token.revoked_at, zone) or NONE,
    }


def when(moment: datetime | None, zone: ZoneInfo) -> str:
    """A stored time in the business zone, to the minute; empty for none."""
    return "" if moment is None else moment.astimezone(zone).strftime("%Y-%m-%d %H:%M")


def column_defs(columns: tuple[str, ...], lang: str) -> list[dict[str, Any]]:
    return [
        {"field": field, "headerName": t(f"admin.col.{field}", lang), "flex": 1,
         "minWidth": 200 if field == "scopes" else 110, "tooltipField": field}
        for field in columns
    ]  # fmt: skip


def export_table(
    columns: tuple[str, ...], rows: list[Row], lang: str
) -> tuple[list[str], list[list[Any]]]:
    """A grid's rows (as filtered and sorted on screen) as the header and cells of a file."""
    header = [t(f"admin.col.{field}", lang) for field in columns]
    return header, [[row.get(field, "") for field in columns] for row in rows]
