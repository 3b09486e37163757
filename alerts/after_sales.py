"""After-sales SLA breaches (售后超时): an open ticket of the pool that has waited longer than
its refund tier allows (``RefundTier.sla_hours``: by default a day for the customer-service
lead's small refunds, two for the ops supervisor's) raises ``after_sales_sla``.

The store keeps no deadline per ticket, so the deadline is derived when checked: the ticket's
amount picks its tier as for its approval (``rules.refunds.refund_tier``), and the ticket is
due ``sla_hours`` after it landed (``created_at``). A ticket is open until it is closed
(``closed_at``): its alert resolves then, or when the tier's limit is raised past its age.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from alerts.sources import SourceReport, settle
from rules.catalog import LoadedRules
from rules.definitions import RefundTier
from rules.refunds import refund_tier
from store.alerts import AlertSpec
from store.models import Channel, Order, Ticket

AFTER_SALES_SLA = "after_sales_sla"


def check_after_sales(session: Session, loaded: LoadedRules, now: datetime) -> SourceReport:
    """An ``after_sales_sla`` alert per open ticket past its tier's SLA; the others resolve."""
    policy = loaded.rules.refund
    limits = [tier.sla_hours for tier in policy.tiers if tier.sla_hours is not None]
    specs: list[AlertSpec] = []
    if limits:
        # Only tickets older than the shortest limit can be late: the partial index on open
        # tickets by age finds them without reading the closed history.
        oldest = now - timedelta(hours=min(limits))
        query = (
            select(Ticket, Order.order_no, Order.warehouse, Channel.name)
            .join(Order, Order.id == Ticket.order_id)
            .join(Channel, Channel.id == Order.channel_id)
            .where(Ticket.closed_at.is_(None), Ticket.created_at <= oldest)
            .order_by(Ticket.created_at, Ticket.id)
        )
        for ticket, order_no, warehouse, channel in session.execute(query):
            tier = refund_tier(policy, ticket.amount)
            if tier.sla_hours is None:
                continue
            due = ticket.created_at + timedelta(hours=tier.sla_hours)
            if due <= now:
                specs.append(_spec(ticket, tier, due, now, order_no, warehouse, channel))
    return settle(session, AFTER_SALES_SLA, specs, now)


def _spec(
    ticket: Ticket,
    tier: RefundTier,
    due: datetime,
    now: datetime,
    order_no: str,
    warehouse: str | None,
    channel: str,
) -> AlertSpec:
    labels = {"channel": channel, "order_no": order_no, "deadline": f"refund_tier:{tier.role}"}
    if warehouse:
        labels["warehouse"] = warehouse
    return AlertSpec(
        kind=AFTER_SALES_SLA,
        key=f"{AFTER_SALES_SLA}:{ticket.ticket_no}",
        severity="warning",
        title=f"{ticket.kind} ticket {ticket.ticket_no} ({ticket.amount} CNY) open past "
        f"its {tier.sla_hours:g} h limit, waiting for {tier.role}",
        details={
            "ticket_no": ticket.ticket_no,
            "ticket_kind": ticket.kind,
            "order_no": order_no,
            "channel": channel,
            "warehouse": warehouse,
            "amount": str(ticket.amount),
            "approver_role": tier.role,
            "since": ticket.created_at.isoformat(),
            "due_at": due.isoformat(),
            "limit_s": int(timedelta(hours=tier.sla_hours or 0).total_seconds()),
            "overrun_s": int((now - due).total_seconds()),
        },
        labels=labels,
        order_id=ticket.order_id,
        opened_at=due,
    )
