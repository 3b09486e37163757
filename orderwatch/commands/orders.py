"""``orders``: look at one order, its lines and its stage timeline."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from orderwatch.context import open_store
from orderwatch.settings import get_settings
from rules.explain import Explanation, explain_order
from store.orders import find_order, get_order, order_document

orders = typer.Typer(no_args_is_help=True, help="Look at orders.")


def register(app: typer.Typer) -> None:
    app.add_typer(orders, name="orders")


@orders.command("show")
def orders_show(
    order_no: Annotated[str | None, typer.Argument()] = None,
    channel: Annotated[str | None, typer.Option(help="Channel name")] = None,
    channel_order_id: Annotated[str | None, typer.Option(help="The channel's order id")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False,
    reveal_personal_data: Annotated[bool, typer.Option(help="Show buyer data unmasked")] = False,
    explain: Annotated[
        bool, typer.Option("--explain", help="Why it is where it is / why it is late")
    ] = False,
) -> None:
    """One order with its lines and stage timeline, by ORDER_NO or by channel order id."""
    if (order_no is None) == (channel is None or channel_order_id is None):
        raise typer.BadParameter("give ORDER_NO, or both --channel and --channel-order-id")
    sessions = open_store(get_settings())
    with sessions() as session:
        if order_no is not None:
            order = get_order(session, order_no)
        else:
            order = find_order(session, str(channel), str(channel_order_id))
        document = order_document(session, order, reveal_personal_data=reveal_personal_data)
        why = explain_order(session, order.order_no, zone=get_settings().zone) if explain else None
    if as_json:
        if why is not None:
            document["explain"] = why.model_dump(mode="json")
        typer.echo(json.dumps(document, ensure_ascii=False, indent=2))
        return
    _print_order(document)
    if why is not None:
        _print_explanation(why)


def _print_order(document: dict[str, object]) -> None:
    typer.echo(
        f"{document['order_no']}  {document['channel']}/{document['channel_order_id']}  "
        f"{document['stage']}  ¥{document['amount']}"
    )
    for item in document["items"]:  # type: ignore[attr-defined]
        typer.echo(f"  {item['sku']} × {item['quantity']} @ ¥{item['unit_price']}")
    for event in document["timeline"]:  # type: ignore[attr-defined]
        actor = f" by {event['actor']}" if event["actor"] else ""
        typer.echo(
            f"  {event['at']}  {event['from'] or '—'} → {event['to']}  ({event['source']}{actor})"
        )


def _print_explanation(explanation: Explanation) -> None:
    typer.echo(f"why: {explanation.summary.en}")
    typer.echo(f"为什么: {explanation.summary.zh}")
    for deadline in explanation.deadlines:
        state = "OVERDUE" if deadline.overdue else "due"
        typer.echo(
            f"  {state} {deadline.kind} {deadline.name} v{deadline.version} at "
            f"{deadline.due_at.isoformat()} ({deadline.overrun_s / 3600:+.1f} h)"
        )
    typer.echo(f"  can unblock: {', '.join(explanation.can_unblock) or 'nobody needs to'}")
