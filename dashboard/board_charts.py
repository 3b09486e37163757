"""The board's charts, drawn from the typed board document in the chosen language and colour
scheme. Each function takes what it shows and returns a Plotly figure (as the plain dict
``dcc.Graph`` takes: building ``go.Figure`` objects costs more than the board's queries)."""

from __future__ import annotations

from typing import Any

from dashboard.formatting import duration
from dashboard.i18n import stage_label, t
from dashboard.theme import AGE_COLOURS, HEATMAP_SCALE, HEX, chart_layout
from metrics.board_document import Cell, Heatmaps, HourFlow, NodeTimes, StageWork
from metrics.flow import WEEKDAYS

Figure = dict[str, Any]
CONFIG: Any = {"displayModeBar": False, "responsive": True}
"""``dcc.Graph`` config for every board chart: no toolbar, fills its card."""
HEIGHT = 300


def _nothing(figure: Figure, lang: str) -> Figure:
    """The figure with its axes hidden and a note in the middle: nothing to draw here."""
    note = {"text": t("chart.nothing", lang), "showarrow": False, "font": {"size": 14},
            "xref": "paper", "yref": "paper", "x": 0.5, "y": 0.5}  # fmt: skip
    layout = figure["layout"]
    layout["annotations"] = [note]
    for axis in ("xaxis", "yaxis"):
        layout[axis] = layout[axis] | {"visible": False}
    return {"data": [], "layout": layout}


def _empty(values: list[Any]) -> bool:
    return not any(v for v in values if v is not None)


def work_in_progress(work: list[StageWork], lang: str, scheme: str) -> Figure:
    """Open orders per stage, stacked by how long they have waited; a click opens the stage."""
    stages = [stage_label(w.stage, lang) for w in work]
    buckets = list(work[0].age) if work else []
    data = [
        {
            "type": "bar",
            "name": t(f"age.{bucket}", lang),
            "x": stages,
            "y": [w.age[bucket] for w in work],
            "customdata": [w.stage for w in work],
            "marker": {"color": AGE_COLOURS[min(n, len(AGE_COLOURS) - 1)]},
            "hovertemplate": "%{x}: %{y}<extra>%{fullData.name}</extra>",
        }
        for n, bucket in enumerate(buckets)
    ]
    layout = chart_layout(scheme, height=HEIGHT, barmode="stack", yaxis={"rangemode": "tozero"})
    figure = {"data": data, "layout": layout}
    return _nothing(figure, lang) if _empty([w.count for w in work]) else figure


def throughput(series: list[HourFlow], lang: str, scheme: str) -> Figure:
    """Paid and shipped per hour, with the same hours a week earlier dotted behind them."""
    hours = [point.hour.replace("T", " ") for point in series]
    lines = (
        ("paid", [p.paid for p in series], HEX["indigo"], "solid"),
        ("shipped", [p.shipped for p in series], HEX["teal"], "solid"),
        ("paid_last_week", [p.paid_last_week for p in series], HEX["indigo"], "dot"),
        ("shipped_last_week", [p.shipped_last_week for p in series], HEX["teal"], "dot"),
    )
    data = [
        {"type": "scatter", "mode": "lines", "x": hours, "y": values,
         "name": t(f"series.{name}", lang),
         "line": {"color": colour, "dash": dash, "width": 2 if dash == "solid" else 1}}
        for name, values, colour, dash in lines
    ]  # fmt: skip
    # A date axis picks its own ticks, readable at a day or a week of hours.
    layout = chart_layout(scheme, height=HEIGHT, hovermode="x unified",
                          xaxis={"type": "date", "tickformat": "%m-%d %H:%M"},
                          yaxis={"rangemode": "tozero"})  # fmt: skip
    figure = {"data": data, "layout": layout}
    moved = [value for _name, values, _c, _d in lines for value in values]
    return _nothing(figure, lang) if _empty(moved) else figure


def warehouse_nodes(nodes: list[NodeTimes], lang: str, scheme: str) -> Figure:
    """p50 and p90 of each warehouse node, side by side, labelled in words ("3 h 12 min")."""
    names = [t(f"node.{n.node}", lang) for n in nodes]
    data = [
        {
            "type": "bar",
            "orientation": "h",
            "name": t(f"series.{quantile}", lang),
            "y": names,
            "x": [getattr(n, quantile) or 0 for n in nodes],
            "marker": {"color": colour},
            "text": [duration(getattr(n, quantile), lang) for n in nodes],
            "textposition": "auto",
            "hovertemplate": "%{y}: %{text}<extra>%{fullData.name}</extra>",
        }
        for quantile, colour in (("p50", HEX["indigo"]), ("p90", HEX["orange"]))
    ]
    layout = chart_layout(scheme, height=HEIGHT, barmode="group",
                          yaxis={"autorange": "reversed", "automargin": True})  # fmt: skip
    figure = {"data": data, "layout": layout}
    return _nothing(figure, lang) if _empty([n.count for n in nodes]) else figure


def heatmap(
    cells: list[list[int]] | list[list[float | None]],
    marked: list[Cell],
    lang: str,
    scheme: str,
) -> Figure:
    """Weekday × hour; the worst of the ``marked`` cells is pointed at with its name in the
    locale (the runners-up are named in the card's caption)."""
    days = [zh if lang == "zh" else en[:3] for zh, en in WEEKDAYS]
    data = [{"type": "heatmap", "z": cells, "x": [f"{h:02d}" for h in range(24)], "y": days,
             "colorscale": HEATMAP_SCALE, "reversescale": True, "zmin": 0,
             "hoverongaps": False, "xgap": 1, "ygap": 1}]  # fmt: skip
    notes = [
        {"x": f"{cell.hour:02d}", "y": days[cell.weekday], "showarrow": True, "arrowhead": 0,
         "ax": 0, "ay": -24, "font": {"size": 11},
         "text": (cell.label_zh if lang == "zh" else cell.label_en).split("–")[0]}
        for cell in marked[:1]
    ]  # fmt: skip
    layout = chart_layout(scheme, height=260, annotations=notes, yaxis={"autorange": "reversed"})
    figure = {"data": data, "layout": layout}
    return _nothing(figure, lang) if _empty([v for row in cells for v in row]) else figure


def cell_names(cells: list[Cell], lang: str) -> str:
    """The marked cells in words: "周三 14:00–15:00 · 周四 10:00–11:00"."""
    return " · ".join(c.label_zh if lang == "zh" else c.label_en for c in cells)


def delay_title(maps: Heatmaps, lang: str) -> str:
    if maps.delay_stage is None:
        return t("chart.delay.none", lang)
    return t("chart.delay", lang, stage=stage_label(maps.delay_stage, lang))


def counts(
    names: dict[str, str], values: dict[str, int], lang: str, scheme: str, colour: str
) -> Figure:
    """Horizontal bars of counts, largest first, each labelled with its translated name."""
    ranked = sorted(values.items(), key=lambda item: (-item[1], item[0]))
    data = [
        {
            "type": "bar",
            "orientation": "h",
            "y": [names.get(code, code) for code, _n in ranked],
            "x": [n for _code, n in ranked],
            "marker": {"color": HEX[colour]},
            "text": [n for _code, n in ranked],
            "textposition": "auto",
        }
    ]
    layout = chart_layout(scheme, height=max(160, 48 + 28 * len(ranked)),
                          yaxis={"autorange": "reversed", "automargin": True})  # fmt: skip
    figure = {"data": data, "layout": layout}
    return _nothing(figure, lang) if not ranked else figure
