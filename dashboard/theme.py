"""The console's look in one place: the Mantine theme (light and dark), the Plotly chart
templates that match it, and the colours that carry meaning (good, bad, stage, stale).

Pages never write colours or fonts of their own: they take them from here, so a change of
palette or font is one edit."""

from __future__ import annotations

from typing import Any, Literal

Scheme = Literal["light", "dark"]
SCHEMES: tuple[Scheme, ...] = ("light", "dark")

FONT = (
    'system-ui, -apple-system, "Segoe UI", "PingFang SC", "Hiragino Sans GB", '
    '"Microsoft YaHei", "Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", sans-serif'
)
"""Latin text in the system face, Chinese in the platform's CJK face: every major OS has one of
the CJK names, and Noto Sans CJK is what Debian's fonts-noto-cjk installs."""
MONO = 'ui-monospace, "SFMono-Regular", Menlo, Consolas, "Noto Sans Mono CJK SC", monospace'

MANTINE_THEME: dict[str, Any] = {
    "primaryColor": "indigo",
    "fontFamily": FONT,
    "fontFamilyMonospace": MONO,
    "headings": {"fontFamily": FONT, "fontWeight": "600"},
    "defaultRadius": "md",
    "components": {
        "Card": {"defaultProps": {"withBorder": True, "shadow": "xs", "padding": "md"}},
        "Paper": {"defaultProps": {"withBorder": True}},
    },
}
"""Given to ``dmc.MantineProvider``; light and dark come from the provider's colour scheme."""


# Meaning, not decoration: a KPI that got better is green whether better is up or down.
GOOD = "teal"
BAD = "red"
NEUTRAL = "gray"
STALE = "orange"
HOLD = "red"
ACCENT = "indigo"
SEVERITY = {"critical": BAD, "warning": STALE, "info": NEUTRAL}
"""An alert's severity, by the Mantine colour name (``HEX`` for the grids)."""
ALERT_STATE = {"firing": BAD, "acknowledged": ACCENT, "resolved": GOOD}
"""An alert group's state: told and waiting for someone, someone is on it, over."""
DELIVERY = {"pending": STALE, "sent": GOOD, "dead": BAD}

# Plotly needs hex values; these are Mantine's default shades 6 of the names above.
HEX: dict[str, str] = {
    "indigo": "#4c6ef5",
    "teal": "#12b886",
    "red": "#fa5252",
    "orange": "#fd7e14",
    "gray": "#868e96",
    "yellow": "#fab005",
    "grape": "#be4bdb",
    "cyan": "#15aabf",
}
AGE_COLOURS = ("#74c0fc", "#4dabf7", "#fab005", "#fd7e14", "#fa5252", "#c92a2a")
"""Age buckets of work in progress, young to old: blues while fine, warm as they age."""
HEATMAP_SCALE = "YlOrRd"
"""Plotly.js draws its named YlOrRd dark red at the low end, so heatmaps reverse it: a quiet
hour is pale and a busy or slow one red."""


INK = {"light": "#495057", "dark": "#c9c9c9"}
GRID = {"light": "#e9ecef", "dark": "#373a40"}
COLORWAY = [HEX[name] for name in ("indigo", "teal", "orange", "red", "grape", "cyan", "yellow")]


def chart_layout(scheme: str, **layout: Any) -> dict[str, Any]:
    """A Plotly layout in the console's look for ``scheme`` (light for anything unknown), with
    ``layout`` on top. Written out rather than as a Plotly template: a template travels with
    every figure (kilobytes per chart per refresh), these few keys cost almost nothing."""
    key = "dark" if scheme == "dark" else "light"
    axis = {"gridcolor": GRID[key], "zerolinecolor": GRID[key], "linecolor": GRID[key]}
    base: dict[str, Any] = {
        "font": {"family": FONT, "color": INK[key], "size": 12},
        "paper_bgcolor": "rgba(0,0,0,0)",
        "plot_bgcolor": "rgba(0,0,0,0)",
        "colorway": COLORWAY,
        "margin": {"l": 48, "r": 16, "t": 16, "b": 40},
        "legend": {"orientation": "h", "y": -0.2},
        "hoverlabel": {"font": {"family": FONT}},
        "xaxis": dict(axis),
        "yaxis": dict(axis),
    }
    for name in ("xaxis", "yaxis"):
        base[name] |= layout.pop(name, {})
    return base | layout
