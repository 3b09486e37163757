"""Every source reaches a person: stock below its safety threshold, orders in quarantine, a
stale channel (raised by ingest) and flow health findings (raised by the audit) are routed,
grouped and delivered like SLA breaches, and resolve when the problem is gone."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from alerts.sources import check_quarantine, check_sla, check_stock
from ingest.channels.base import RawOrder
from ingest.health import check_channel_staleness
from ingest.quarantine import quarantine
from rules.audit import run_flow_health_audit
from rules.catalog import LoadedRules
from rules.defaults import DEFAULT_RULES
from rules.definitions import SafetyStockRule
from rules.review import review_paid_orders
from store.channels import get_channel
from store.models import Alert, Inventory, Order, Sku
from tests.alerts.pipeline import (
    SETTINGS,
    Consumer,
    Pipeline,
    awaiting_pick,
    configure,
    consumer,
    route,
    webhook,
)
from tests.factories import T0, add_channel
from tests.rules.article import XHS, seed_article

RULES = LoadedRules(
    DEFAULT_RULES.model_copy(
        update={"safety_stock": (SafetyStockRule(name="tea", category="tea", threshold=5),)}
    )
)


@pytest.fixture
def hook(sessions: sessionmaker[Session]) -> Iterator[tuple[Consumer, Pipeline]]:
    with consumer() as (fake, url):
        configure(sessions, [webhook("hook", url)], [route(group_wait=0)])
        yield fake, Pipeline(sessions)


def titles(fake: Consumer) -> list[str]:
    return [m["title"] for m in fake.accepted]


def test_stock_below_its_threshold_is_told_and_resolves(
    sessions: sessionmaker[Session], hook: tuple[Consumer, Pipeline]
) -> None:
    fake, pipeline = hook
    with sessions.begin() as session:
        session.add(Sku(code="TEA-1", category="tea"))
        session.flush()
        session.add(Inventory(sku="TEA-1", warehouse="SH-01", on_hand=4, reserved=1))
    with sessions.begin() as session:
        assert check_stock(session, RULES, T0).raised == ["stock_low:TEA-1"]
    pipeline.step(T0)
    assert titles(fake) == ["TEA-1 在 全部仓库 低于安全库存"]
    assert fake.accepted[0]["text"] == "可用 3，安全库存 5"
    with sessions.begin() as session:
        session.scalars(select(Inventory)).one().on_hand = 20
        assert check_stock(session, RULES, T0 + timedelta(minutes=1)).resolved == [
            "stock_low:TEA-1"
        ]
    pipeline.step(T0 + timedelta(minutes=1))
    assert titles(fake)[-1] == "已恢复：TEA-1 在 全部仓库 低于安全库存"


def test_orders_in_quarantine_are_counted_per_channel(
    sessions: sessionmaker[Session], hook: tuple[Consumer, Pipeline]
) -> None:
    fake, pipeline = hook
    add_channel(sessions)
    with sessions.begin() as session:
        channel_id = get_channel(session, "tmall-main").id
        for n in range(2):
            quarantine(
                session, channel_id=channel_id, channel_order_id=f"Q{n}",
                payload=RawOrder({"tid": f"Q{n}"}), reason="payment: '1O0.00' is not an amount",
                at=T0,
            )  # fmt: skip
        check_quarantine(session, T0)
    pipeline.step(T0)
    assert titles(fake) == ["2 单被隔离（tmall-main）"]
    assert fake.accepted[0]["text"] == "原因：payment: '1O0.00' is not an amount"


def test_a_stale_channel_raised_by_ingest_is_routed(
    sessions: sessionmaker[Session], hook: tuple[Consumer, Pipeline]
) -> None:
    fake, pipeline = hook
    add_channel(sessions)
    with sessions.begin() as session:
        get_channel(session, "tmall-main").last_success_at = T0
    with sessions.begin() as session:
        check_channel_staleness(session, now=T0 + timedelta(hours=3))
    pipeline.step(T0 + timedelta(hours=3))
    assert titles(fake) == ["渠道 tmall-main 已 3 小时 未同步"]
    last = (T0).astimezone(SETTINGS.zone).strftime("%m-%d %H:%M")
    assert fake.accepted[0]["text"] == f"最后一次成功同步：{last}"


def test_flow_health_findings_are_routed_worst_first(
    sessions: sessionmaker[Session], hook: tuple[Consumer, Pipeline]
) -> None:
    fake, pipeline = hook
    seed_article(sessions)
    with sessions.begin() as session:
        review_paid_orders(session, now=T0 + timedelta(minutes=5))
        run_flow_health_audit(session, now=T0 + timedelta(hours=6))
        findings = session.scalars(select(Alert).where(Alert.kind == "flow_health")).all()
        assert findings and all(a.labels.get("channel") in (None, XHS) for a in findings)
    pipeline.step(T0 + timedelta(hours=6))
    assert len(fake.accepted) == 1  # one group: the findings are listed in one message
    assert fake.accepted[0]["title"].startswith("流程健康检查：")
    assert fake.accepted[0]["severity"] == "critical"


def test_a_breach_resolves_when_the_rules_change(
    sessions: sessionmaker[Session], hook: tuple[Consumer, Pipeline]
) -> None:
    _fake, pipeline = hook
    add_channel(sessions)
    orders = awaiting_pick(sessions, 1)
    pipeline.tick(T0, changed=tuple(orders))
    pipeline.step(T0 + timedelta(hours=2))
    relaxed = DEFAULT_RULES.model_copy(
        update={"sla": tuple(p.model_copy(update={"max_hours": 3}) for p in DEFAULT_RULES.sla)}
    )
    with sessions.begin() as session:
        order_ids = list(session.scalars(select(Order.id)))
        report = check_sla(
            session,
            LoadedRules(relaxed),
            SETTINGS.zone,
            order_ids,
            T0 + timedelta(hours=2, minutes=5),
        )
    assert report.resolved == [f"sla_breach:{orders[0]}:sla:awaiting-pick-2h"]
    assert report.raised == []
