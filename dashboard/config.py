"""What the web app needs to know about its process, handed in by ``orderwatch`` (which owns
the settings: nothing imports ``orderwatch``)."""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo

from rules.dry_run_bounds import DryRunLimits

DEFAULT_LIMITS = DryRunLimits()


@dataclass(frozen=True, slots=True)
class WebConfig:
    secret_key: str
    """Signs console session cookies."""
    zone: ZoneInfo
    """The business time zone: days, hours and weekdays in every view."""
    dry_run_limits: DryRunLimits = DEFAULT_LIMITS
    """How large a dry run the rules editor starts (``rules.dry_run_bounds``)."""
    production: bool = False
    """Production mode: session cookies only over HTTPS, and HSTS."""
    public_url: str | None = None
    """Where people reach the console, when a proxy stands in front: a site whose pages may
    send state-changing requests (besides the ``Host`` a request names)."""
