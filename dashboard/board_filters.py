"""The board's filters as they travel in the URL's query string, so a link shares the view:
``/?channel=tmall-main,jd-main&warehouse=HZ-01&range=7d`` or ``&from=2026-11-01&to=2026-11-07``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import parse_qs, urlencode

from metrics.window import PRESETS

CUSTOM = "custom"
RANGES = (*PRESETS, CUSTOM)


@dataclass(frozen=True, slots=True)
class BoardFilters:
    channels: tuple[str, ...] = ()
    warehouses: tuple[str, ...] = ()
    range: str = "today"
    start: str | None = None
    end: str | None = None
    """Business days (YYYY-MM-DD) of a custom range, as typed: checked by the metrics layer."""

    @property
    def preset(self) -> str | None:
        return None if self.range == CUSTOM else self.range

    def query(self) -> str:
        """The query string (with its ``?``) that gives this view."""
        # Never empty: a location whose search goes back to "" is not reported as a change.
        pairs = [("channel", ",".join(self.channels)), ("warehouse", ",".join(self.warehouses)),
                 ("range", self.range)]  # fmt: skip
        if self.range == CUSTOM:
            pairs += [("from", self.start or ""), ("to", self.end or "")]
        return "?" + urlencode([(key, value) for key, value in pairs if value])

    def scoped(self) -> list[tuple[str, str]]:
        """The channel and warehouse part alone, for links into other pages."""
        pairs = [("channel", ",".join(self.channels)), ("warehouse", ",".join(self.warehouses))]
        return [(key, value) for key, value in pairs if value]


def from_query(search: str | Mapping[str, object] | None) -> BoardFilters:
    """Filters from ``?…`` or from the parameters Dash hands a page's layout. Unknown values
    are kept as given: the metrics layer says precisely what is wrong with them."""
    if isinstance(search, str) or search is None:
        parsed = {k: v[-1] for k, v in parse_qs((search or "").lstrip("?")).items()}
    else:
        parsed = {k: v[-1] if isinstance(v, list) else str(v) for k, v in search.items()}
    start, end = parsed.get("from") or None, parsed.get("to") or None
    chosen = parsed.get("range") or (CUSTOM if start or end else "today")
    return BoardFilters(
        channels=_names(parsed.get("channel")),
        warehouses=_names(parsed.get("warehouse")),
        range=chosen,
        start=start if chosen == CUSTOM else None,
        end=end if chosen == CUSTOM else None,
    )


def _names(value: str | None) -> tuple[str, ...]:
    return tuple(dict.fromkeys(part.strip() for part in (value or "").split(",") if part.strip()))
