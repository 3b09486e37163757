"""The console's look in one place: the Mantine theme (light and dark), the Plotly chart
templates that match it, and the colours that carry meaning (good, bad, stage, stale).

Pages never write colours or fonts of their own: they take them from here, so a change of
palette or font is one edit."""

from __future__ import annotations

import copy
from typing import Any, Literal

import dash_mantine_components as dmc
import plotly.io as pio

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


def chart_template(scheme: str) -> str:
    """The registered Plotly template name for ``scheme`` (light for anything unknown)."""
    return f"orderwatch_{'dark' if scheme == 'dark' else 'light'}"


def _register_templates() -> None:
    # dmc builds Plotly templates from Mantine's palette; ours add the CJK font and a
    # transparent background so charts sit on the card's own colour in both schemes.
    dmc.add_figure_templates()
    for scheme in SCHEMES:
        template = copy.deepcopy(pio.templates[f"mantine_{scheme}"])
        template.layout.font.family = FONT
        template.layout.hoverlabel.font.family = FONT
        template.layout.paper_bgcolor = "rgba(0,0,0,0)"
        template.layout.plot_bgcolor = "rgba(0,0,0,0)"
        template.layout.margin = {"l": 48, "r": 16, "t": 32, "b": 40}
        template.layout.legend = {"orientation": "h", "y": -0.18}
        pio.templates[chart_template(scheme)] = template


_register_templates()
