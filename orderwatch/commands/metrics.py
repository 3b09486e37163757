"""``metrics``: the KPI document for a window, a before/after comparison, rollup rebuilds."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from metrics.compare import compare_periods
from metrics.documents import MetricsDocument
from metrics.report import metrics_document
from metrics.rollups import rebuild
from metrics.window import parse_range, parse_window, resolve_scope
from orderwatch.context import open_store
from orderwatch.settings import get_settings
from store.models import utcnow

metrics = typer.Typer(help="Every KPI of a window; compare periods; rebuild rollups.")

FromOption = Annotated[
    str | None, typer.Option("--from", help="First business day (YYYY-MM-DD) or time")
]
ToOption = Annotated[
    str | None, typer.Option("--to", help="Last business day (included) or end time")
]
ChannelOption = Annotated[
    list[str] | None, typer.Option(help="Only this channel's orders (repeat for several)")
]
WarehouseOption = Annotated[
    list[str] | None, typer.Option(help="Only this warehouse's orders (repeat for several)")
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print one JSON document")]


def register(app: typer.Typer) -> None:
    app.add_typer(metrics, name="metrics")


@metrics.callback(invoke_without_command=True)
def metrics_report(
    ctx: typer.Context,
    start: FromOption = None,
    end: ToOption = None,
    channel: ChannelOption = None,
    warehouse: WarehouseOption = None,
    as_json: JsonOption = False,
) -> None:
    """Every metric for --from..--to (business time zone), optionally for one channel or
    warehouse."""
    if ctx.invoked_subcommand is not None:
        return
    if start is None or end is None:
        raise typer.BadParameter("give both --from and --to (YYYY-MM-DD)")
    settings = get_settings()
    window = parse_window(start, end, settings.zone)
    with open_store(settings)() as session:
        scope = resolve_scope(session, channels=channel or (), warehouses=warehouse or ())
        document = metrics_document(session, window=window, scope=scope, now=utcnow())
    if as_json:
        typer.echo(json.dumps(document.model_dump(mode="json"), ensure_ascii=False, indent=2))
        return
    _print_summary(document)


def _print_summary(doc: MetricsDocument) -> None:
    table = Table(title=f"{doc.window.from_.isoformat()} → {doc.window.to.isoformat()}")
    table.add_column("指标 / metric")
    table.add_column("值 / value", justify="right")
    processing = doc.processing_time_hours
    busiest, worst = doc.busiest_intake, doc.worst_delay
    for label, value in (
        ("订单量 / orders paid", doc.orders_total),
        ("订单处理时效 p50 / processing p50 (h)", processing.p50),
        ("订单处理时效 p90 / processing p90 (h)", processing.p90),
        ("超时发货 / late shipments", doc.late_shipments.count),
        ("超时发货率 / late share", doc.late_shipments.share),
        ("SLA 超时 / SLA breaches", doc.sla_breaches.in_window_total),
        ("日均漏单 / missed orders per day", doc.missed_orders.mean_per_day),
        ("库存准确率 / inventory accuracy", doc.inventory_accuracy),
        ("人工介入率 / manual intervention", doc.manual_intervention_share),
        ("退款周期 / refund cycle (days)", doc.refund_cycle_days.mean),
        ("高峰时段 / busiest intake", busiest and busiest.label_zh),
        ("瓶颈时段 / worst delay", worst and f"{worst.label_zh} ({worst.stage})"),
    ):
        table.add_row(label, "—" if value is None else str(value))
    Console().print(table)


@metrics.command("compare")
def metrics_compare(
    before: Annotated[str, typer.Option(help="The earlier period, START..END")],
    after: Annotated[str, typer.Option(help="The later period, START..END")],
    channel: ChannelOption = None,
    warehouse: WarehouseOption = None,
    as_json: JsonOption = False,
) -> None:
    """Before/after table: metric | before | after | change %, and whether it improved."""
    settings = get_settings()
    old, new = parse_range(before, settings.zone), parse_range(after, settings.zone)
    with open_store(settings)() as session:
        scope = resolve_scope(session, channels=channel or (), warehouses=warehouse or ())
        result = compare_periods(session, before=old, after=new, scope=scope, now=utcnow())
    if as_json:
        typer.echo(json.dumps(result.model_dump(mode="json"), ensure_ascii=False, indent=2))
        return
    table = Table(title=f"{before}  →  {after}")
    table.add_column("指标 / metric")
    for name in ("之前 / before", "之后 / after", "变化 / change %"):
        table.add_column(name, justify="right")
    table.add_column("")
    for row in result.rows:
        mark = {True: "✓ better", False: "✗ worse", None: ""}[row.improved]
        change = "—" if row.change_pct is None else f"{row.change_pct:+.1f}%"
        table.add_row(
            f"{row.label_zh} / {row.label_en}",
            _show(row.before),
            _show(row.after),
            change,
            mark,
        )
    Console(width=120).print(table)


def _show(value: float | None) -> str:
    return "—" if value is None else f"{value:g}"


@metrics.command("rebuild")
def metrics_rebuild(start: FromOption = None, end: ToOption = None) -> None:
    """Recompute the hourly rollups of a window (after late or corrected data)."""
    if start is None or end is None:
        raise typer.BadParameter("give both --from and --to (YYYY-MM-DD)")
    settings = get_settings()
    window = parse_window(start, end, settings.zone)
    with open_store(settings).begin() as session:
        rows = rebuild(session, window.start, window.end)
    typer.echo(f"rebuilt the hourly rollups of {window.label()}: {rows} rows")
