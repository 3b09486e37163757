"""After-sales tickets past their refund tier's SLA and a channel whose pulls keep failing
reach a person like every other source, and resolve when the ticket closes, the limit is
raised, or the channel syncs again."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from alerts.after_sales import check_after_sales
from alerts.sources import SourceReport
from ingest.health import check_channel_failures
from rules.catalog import LoadedRules
from rules.defaults import DEFAULT_RULES
from rules.definitions import RefundPolicy, RefundTier
from store.channels import get_channel
from store.models import Alert, Order, Ticket
from tests.alerts.pipeline import Consumer, Pipeline, configure, consumer, route, webhook
from tests.factories import T0, add_channel, add_order

RULES = LoadedRules(DEFAULT_RULES)
"""A day for tickets up to 50 CNY (the customer-service lead's), two above."""


@pytest.fixture
def hook(sessions: sessionmaker[Session]) -> Iterator[tuple[Consumer, Pipeline]]:
    add_channel(sessions)
    with consumer() as (fake, url):
        configure(sessions, [webhook("hook", url)], [route(group_wait=0, group_interval=60)])
        yield fake, Pipeline(sessions)


def titles(fake: Consumer) -> list[str]:
    return [m["title"] for m in fake.accepted]


def _ticket(
    sessions: sessionmaker[Session], number: str, amount: str, at: datetime, **extra: object
) -> None:
    order_no = add_order(sessions, f"T-{number}")
    with sessions.begin() as session:
        order_id = session.scalars(select(Order.id).where(Order.order_no == order_no)).one()
        session.add(
            Ticket(
                ticket_no=number,
                order_id=order_id,
                kind="refund",
                amount=Decimal(amount),
                created_at=at,
                updated_at=at,
                **extra,
            )
        )


def _after_sales(
    sessions: sessionmaker[Session], now: datetime, rules: LoadedRules = RULES
) -> SourceReport:
    with sessions.begin() as session:
        return check_after_sales(session, rules, now)


def test_tickets_past_their_tier_sla_are_told_and_resolve(
    sessions: sessionmaker[Session], hook: tuple[Consumer, Pipeline]
) -> None:
    fake, pipeline = hook
    _ticket(sessions, "TK-SMALL", "30.00", T0)
    _ticket(sessions, "TK-LARGE", "200.00", T0)
    _ticket(sessions, "TK-NEW", "20.00", T0 + timedelta(hours=23))
    _ticket(sessions, "TK-DONE", "10.00", T0 - timedelta(days=9), closed_at=T0, status="closed")
    assert _after_sales(sessions, T0 + timedelta(hours=23, minutes=59)).raised == []
    day = T0 + timedelta(hours=25)
    assert _after_sales(sessions, day).raised == ["after_sales_sla:TK-SMALL"]
    pipeline.step(day)
    assert titles(fake) == ["1 个售后单超过 1 天 未处理"]
    assert fake.accepted[0]["text"] == "最久 1 天 1 小时：TK-SMALL"
    with sessions() as session:
        alert = session.scalars(select(Alert)).one()
        assert alert.opened_at == T0 + timedelta(hours=24)
        assert alert.labels["deadline"] == "refund_tier:cs_lead"
        assert alert.details["approver_role"] == "cs_lead"

    later = T0 + timedelta(hours=49)
    assert _after_sales(sessions, later).raised == [
        "after_sales_sla:TK-SMALL", "after_sales_sla:TK-LARGE", "after_sales_sla:TK-NEW"
    ]  # fmt: skip
    with sessions.begin() as session:
        small = session.scalars(select(Ticket).where(Ticket.ticket_no == "TK-SMALL")).one()
        small.closed_at, small.status = later, "closed"
    patient = LoadedRules(
        DEFAULT_RULES.model_copy(
            update={"refund": RefundPolicy(tiers=(RefundTier(role="ops_supervisor"),))}
        )
    )
    report = _after_sales(sessions, later + timedelta(minutes=1), patient)
    assert (report.raised, sorted(report.resolved)) == (
        [], ["after_sales_sla:TK-LARGE", "after_sales_sla:TK-NEW", "after_sales_sla:TK-SMALL"]
    )  # fmt: skip
    pipeline.step(later + timedelta(minutes=1))
    assert titles(fake)[-1].startswith("已恢复：")


def _pulls(sessions: sessionmaker[Session], failures: int, error: str | None) -> None:
    with sessions.begin() as session:
        channel = get_channel(session, "tmall-main")
        channel.consecutive_failures, channel.last_error = failures, error


def _failing(sessions: sessionmaker[Session], now: datetime) -> tuple[list[str], list[str]]:
    with sessions.begin() as session:
        report = check_channel_failures(session, now=now)
    return report.failing, report.recovered


def test_a_channel_failing_its_pulls_is_told_with_the_cause_and_resolves(
    sessions: sessionmaker[Session], hook: tuple[Consumer, Pipeline]
) -> None:
    fake, pipeline = hook
    error = "isv.invalid-signature: the app secret is wrong"
    _pulls(sessions, 2, error)  # two in a row: a hiccup, not yet a failing channel
    assert _failing(sessions, T0) == ([], [])
    _pulls(sessions, 3, error)
    assert _failing(sessions, T0 + timedelta(minutes=5)) == (["tmall-main"], [])
    pipeline.step(T0 + timedelta(minutes=5))
    assert titles(fake) == ["渠道 tmall-main 同步失败"]
    assert fake.accepted[0]["text"] == f"连续 3 次失败：{error}"
    assert fake.accepted[0]["severity"] == "warning"

    _pulls(sessions, 6, error)  # the backoff has stretched the retries to hours apart
    _failing(sessions, T0 + timedelta(hours=1))
    with sessions() as session:
        alert = session.scalars(select(Alert)).one()
        assert (alert.severity, alert.details["consecutive_failures"]) == ("critical", 6)
        assert alert.details["zh"] == f"渠道 tmall-main 连续 6 次同步失败：{error}"

    _pulls(sessions, 0, None)  # a pull went through
    assert _failing(sessions, T0 + timedelta(hours=2)) == ([], ["tmall-main"])
    pipeline.step(T0 + timedelta(hours=2))
    assert titles(fake)[-1] == "已恢复：渠道 tmall-main 同步失败"
