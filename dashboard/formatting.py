"""Numbers, durations and moments as people read them in each console language.

Chinese: "3 小时 12 分", "1,234", "12.5%", "12月3日 周四 14:05"; English: "3 h 12 min",
"1,234", "12.5%", "Thu 3 Dec 14:05". Every page formats through here so the board, the
worklist and the order page say the same thing the same way.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from dashboard.i18n import lang_of

_UNITS = {
    "zh": (("天", "小时", "分"), "不到 1 分钟"),
    "en": (("d", "h", "min"), "under 1 min"),
}
WEEKDAYS = {
    "zh": ("周一", "周二", "周三", "周四", "周五", "周六", "周日"),
    "en": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"),
}
_MONTHS_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun",
              "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")  # fmt: skip


def duration(value: timedelta | float, lang: str, *, parts: int = 2) -> str:
    """A span (a ``timedelta`` or hours) in its ``parts`` largest units, whole minutes;
    the sign is dropped: callers say "over" or "left"."""
    span = value if isinstance(value, timedelta) else timedelta(hours=value)
    minutes = int(abs(span.total_seconds()) // 60)
    hours, minutes = divmod(minutes, 60)
    days, hours = divmod(hours, 24)
    names, under = _UNITS[lang_of(lang)]
    shown = [f"{n} {name}" for n, name in zip((days, hours, minutes), names, strict=True) if n]
    return " ".join(shown[:parts]) or under


def number(value: int | float | Decimal, lang: str, *, decimals: int = 0) -> str:
    """Grouped by thousands in both languages ("12,345"), ``decimals`` places."""
    del lang  # both languages group digits the same way; kept for a uniform signature
    return f"{value:,.{decimals}f}"


def percent(share: float | Decimal, lang: str, *, decimals: int = 1) -> str:
    """``share`` (0.125) as a percentage ("12.5%")."""
    return number(float(share) * 100, lang, decimals=decimals) + "%"


def weekday(index: int, lang: str) -> str:
    """ISO weekday ``index`` (Monday = 0) as a short name: 周三 / Wed."""
    return WEEKDAYS[lang_of(lang)][index % 7]


def moment(value: datetime, zone: ZoneInfo, lang: str, *, year: bool = False) -> str:
    """A UTC time in the business ``zone``: "12月3日 周四 14:05" / "Thu 3 Dec 14:05"."""
    local = value.astimezone(zone)
    day = weekday(local.weekday(), lang)
    clock = f"{local:%H:%M}"
    if lang_of(lang) == "en":
        text = f"{day} {local.day} {_MONTHS_EN[local.month - 1]}"
        return f"{text} {local.year} {clock}" if year else f"{text} {clock}"
    text = f"{local.month}月{local.day}日 {day} {clock}"
    return f"{local.year}年{text}" if year else text
