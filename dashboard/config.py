"""What the web app needs to know about its process, handed in by ``orderwatch`` (which owns
the settings: nothing imports ``orderwatch``)."""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo


@dataclass(frozen=True, slots=True)
class WebConfig:
    secret_key: str
    """Signs console session cookies."""
    zone: ZoneInfo
    """The business time zone: days, hours and weekdays in every view."""
