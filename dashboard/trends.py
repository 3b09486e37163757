"""The comparison page's parts: the periods it starts with, the before/after table's figures
written as each metric reads (shares in percent, hours and days with two decimals), the
article's trend lines per week, and the export of both."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import dash_mantine_components as dmc
from dash import html
from sqlalchemy.orm import Session, sessionmaker

from dashboard.board_charts import Figure, _nothing
from dashboard.formatting import NONE, change, number, percent
from dashboard.i18n import t
from dashboard.theme import BAD, GOOD, HEX, chart_layout
from dashboard.workbench.export import csv_bytes, xlsx_bytes
from metrics.compare import ComparedMetric, Comparison, compare_periods
from metrics.documents import WeekTrend
from metrics.kpis import weekly_trends
from metrics.sql import Sql
from metrics.window import Window, parse_window, resolve_scope

PERIOD_DAYS = 28
"""The default periods: the last four weeks against the four before them."""
SHARES = frozenset({"late_shipment_share", "inventory_accuracy", "manual_intervention_share"})
COUNTS = frozenset({"orders_total", "sla_breaches"})
CHARTS = ("processing", "manual", "late", "throughput")


def default_periods(now: datetime, zone: ZoneInfo) -> tuple[list[str], list[str]]:
    today = now.astimezone(zone).date()
    after = (today - timedelta(days=PERIOD_DAYS - 1), today)
    before = (after[0] - timedelta(days=PERIOD_DAYS), after[0] - timedelta(days=1))
    return _iso(before), _iso(after)


def _iso(days: tuple[date, date]) -> list[str]:
    return [day.isoformat() for day in days]


def period_of(value: Any) -> tuple[str, str] | None:
    """A date picker's range ``[start, end]`` (ISO dates, maybe with a time) or ``None`` while
    half chosen; a URL's ``A..B`` too."""
    if isinstance(value, str):
        first, _dots, last = value.partition("..")
        value = [first, last]
    if not isinstance(value, list | tuple) or len(value) != 2 or not all(value):
        return None
    return str(value[0])[:10], str(value[1])[:10]


def figure(metric: str, value: float | None, lang: str) -> str:
    """A cell of the table: the same number ``metrics compare`` gives, written for reading."""
    if value is None:
        return NONE
    if metric in SHARES:
        return percent(value, lang)
    return number(value, lang, digits=0 if metric in COUNTS else 2)


def compared(
    sessions: sessionmaker[Session],
    before: tuple[str, str],
    after: tuple[str, str],
    channels: list[str],
    warehouses: list[str],
    zone: ZoneInfo,
    now: datetime,
) -> tuple[Comparison, list[WeekTrend]]:
    """The before/after table and the weeks from the first period's start to the second's
    end, in one session (a ``DomainError`` names a period or scope that cannot be used)."""
    old, new = parse_window(*before, zone), parse_window(*after, zone)
    span = Window(min(old.start, new.start), max(old.end, new.end), zone)
    with sessions() as session:
        scope = resolve_scope(session, channels=channels, warehouses=warehouses)
        table = compare_periods(session, before=old, after=new, scope=scope, now=now)
        return table, weekly_trends(Sql(session, zone), span, scope)


def table(rows: list[ComparedMetric], lang: str) -> dmc.Table:
    head = dmc.TableThead(
        dmc.TableTr([dmc.TableTh(t(f"trends.col.{c}", lang)) for c in ("metric", "before",
                                                                       "after", "change")])
    )  # fmt: skip
    body = [
        dmc.TableTr(
            [
                dmc.TableTd(row.label_en if lang == "en" else row.label_zh),
                dmc.TableTd(figure(row.metric, row.before, lang), className="trends-before"),
                dmc.TableTd(figure(row.metric, row.after, lang), className="trends-after"),
                dmc.TableTd(_change(row, lang), className="trends-change"),
            ],
            id=f"trends-row-{row.metric}",
        )
        for row in rows
    ]
    return html.Div(dmc.Table([head, dmc.TableTbody(body)], striped=True), id="trends-table")


def _change(row: ComparedMetric, lang: str) -> dmc.Text:
    """The change, green when it went the better way and red when the worse."""
    colour = word = None
    if row.improved is not None:
        colour = GOOD if row.improved else BAD
        word = "trends.better" if row.improved else "trends.worse"
    label = change(row.change_pct, lang) + (f" · {t(word, lang)}" if word else "")
    return dmc.Text(label, c=colour or "dimmed", size="sm", fw=600 if colour else 400,
                    **{"data-improved": str(row.improved).lower()})  # fmt: skip


def charts(weeks: list[WeekTrend], lang: str, scheme: str) -> dict[str, Figure]:
    """The article's trend lines (weekly processing time, manual intervention, late
    shipments) and throughput, a figure each."""
    x = [week.week for week in weeks]
    # One tick a week (on the weeks' Mondays): a single week would get a tick every few hours.
    axis = {"type": "date", "tickformat": "%m-%d", "dtick": 7 * 24 * 3600 * 1000, "tick0": x[0]
            if x else None}  # fmt: skip

    def line(name: str, values: list[Any], colour: str, **extra: Any) -> dict[str, Any]:
        return {"type": "scatter", "mode": "lines+markers", "x": x, "y": values,
                "name": t(name, lang), "line": {"color": HEX[colour]}, **extra}  # fmt: skip

    def bar(name: str, values: list[Any], colour: str) -> dict[str, Any]:
        return {"type": "bar", "x": x, "y": values, "name": t(name, lang),
                "marker": {"color": HEX[colour]}}  # fmt: skip

    percent_axis = {"rangemode": "tozero", "tickformat": ".0%"}
    data: dict[str, tuple[list[dict[str, Any]], dict[str, Any]]] = {
        "processing": (
            [line("series.p50", [w.processing_time_hours.p50 for w in weeks], "indigo"),
             line("trends.mean", [w.processing_time_hours.mean for w in weeks], "teal")],
            {"rangemode": "tozero", "title": {"text": t("trends.hours", lang)}},
        ),
        "manual": (
            [line("kpi.manual_share", [w.manual_intervention_share for w in weeks], "orange")],
            percent_axis,
        ),
        "late": (
            [bar("trends.late_count", [w.late_shipments.count for w in weeks], "red")],
            {"rangemode": "tozero"},
        ),
        "throughput": (
            [bar("series.shipped", [w.shipped for w in weeks], "teal")],
            {"rangemode": "tozero"},
        ),
    }  # fmt: skip
    drawn: dict[str, Figure] = {
        name: {"data": traces, "layout": chart_layout(scheme, height=240, xaxis=axis,
                                                      yaxis=yaxis, showlegend=len(traces) > 1)}
        for name, (traces, yaxis) in data.items()
    }  # fmt: skip
    # A line with nothing on it says so, rather than showing empty axes.
    return {name: figure if any(_drawn(trace) for trace in figure["data"])
            else _nothing(figure, lang) for name, figure in drawn.items()}  # fmt: skip


def _drawn(trace: dict[str, Any]) -> bool:
    """A line has something to show where any week has a value (a 0 % share is one); bars of
    counts where any is above zero."""
    if trace["type"] == "bar":
        return any(trace["y"])
    return any(y is not None for y in trace["y"])


def _table_rows(rows: list[ComparedMetric], lang: str) -> tuple[list[str], list[list[Any]]]:
    header = [t(f"trends.col.{c}", lang) for c in ("metric", "before", "after", "change")]
    header.append(t("trends.col.improved", lang))
    body = [
        [row.label_en if lang == "en" else row.label_zh, row.before, row.after, row.change_pct,
         "" if row.improved is None else t("trends.better" if row.improved else "trends.worse",
                                           lang)]
        for row in rows
    ]  # fmt: skip
    return header, body


def _week_rows(weeks: list[WeekTrend], lang: str) -> tuple[list[str], list[list[Any]]]:
    keys = ("week", "p50", "mean", "shipped", "late", "late_share", "manual")
    body = [
        [w.week, w.processing_time_hours.p50, w.processing_time_hours.mean, w.shipped,
         w.late_shipments.count, w.late_shipments.share, w.manual_intervention_share]
        for w in weeks
    ]  # fmt: skip
    return [t(f"trends.week.{key}", lang) for key in keys], body


def export(table_: Comparison, weeks: list[WeekTrend], kind: str, lang: str) -> bytes:
    """Both tables: CSV one after the other, a workbook a sheet each."""
    compared_head, compared_rows = _table_rows(table_.rows, lang)
    week_head, week_rows = _week_rows(weeks, lang)
    if kind == "xlsx":
        return xlsx_bytes([(t("trends.sheet.compare", lang), compared_head, compared_rows),
                           (t("trends.sheet.weeks", lang), week_head, week_rows)])  # fmt: skip
    periods = [[t("trends.before", lang), str(table_.before.from_),
                str(table_.before.to)],
               [t("trends.after", lang), str(table_.after.from_),
                str(table_.after.to)], []]  # fmt: skip
    return csv_bytes(compared_head, [*compared_rows, [], *periods, week_head, *week_rows])
