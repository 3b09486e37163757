"""Numbers, shares, durations and times written the way each language writes them:
"3 小时 12 分" / "3 h 12 min", "1,234", "12.5%", "12-03 14:05"."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from dashboard.i18n import lang_of

NONE = "—"
"""What a figure with no value shows (no orders, nothing measured yet)."""


def duration(value: float | timedelta | None, lang: str) -> str:
    """Hours (or a timedelta) in days, hours and minutes, the two largest parts that matter."""
    if value is None:
        return NONE
    hours = value.total_seconds() / 3600 if isinstance(value, timedelta) else value
    minutes = max(0, round(hours * 60))
    days, rest = divmod(minutes, 24 * 60)
    whole_hours, mins = divmod(rest, 60)
    zh = lang_of(lang) == "zh"
    units = ("天", "小时", "分") if zh else ("d", "h", "min")
    parts = [(days, units[0]), (whole_hours, units[1]), (mins, units[2])]
    shown = [(n, unit) for n, unit in parts if n][:2] or [(0, units[2])]
    return " ".join(f"{n} {unit}" for n, unit in shown)


def number(value: float | None, lang: str, *, digits: int = 0) -> str:
    """Thousands separated (both languages use the comma in figures)."""
    if value is None:
        return NONE
    return f"{value:,.{digits}f}"


def percent(share: float | None, lang: str, *, digits: int = 1) -> str:
    """A share (0–1) as a percentage."""
    if share is None:
        return NONE
    return f"{share * 100:.{digits}f}%"


def change(pct: float | None, lang: str) -> str:
    """A relative change in percent with its sign (+12.5%, −3.0%)."""
    if pct is None:
        return NONE
    sign = "+" if pct > 0 else "−" if pct < 0 else "±"
    return f"{sign}{abs(pct):.1f}%"


def moment(value: datetime | None, zone: ZoneInfo, lang: str, *, seconds: bool = False) -> str:
    """A time in the business zone: today's as HH:MM, others with their date."""
    if value is None:
        return NONE
    local = value.astimezone(zone)
    clock = "%H:%M:%S" if seconds else "%H:%M"
    if local.date() == datetime.now(zone).date():
        return local.strftime(clock)
    return local.strftime(f"%m-%d {clock}" if lang_of(lang) == "zh" else f"%d %b {clock}")
