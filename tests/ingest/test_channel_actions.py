"""What a person does to a channel from the console, against the platform simulator: pause
(the worker skips it, nothing lost on resume), sync now past the backoff, retry one
quarantined order now, dismiss one with a reason — each audited."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from ingest.channels import config_of
from ingest.jobs import run_channel_sync, sync_now, syncable_channels
from ingest.quarantine import dismiss
from ingest.quarantine_retry import retry_quarantined
from ingest.retry import RetryPolicy
from ingest.simulator.faults import Fault, FaultPlan
from ingest.sync import SyncOptions
from store.audit import AuditFilter, audit_page
from store.channels import get_channel, pause_channel, register_channel, resume_channel
from store.errors import Conflict
from store.models import AuditEntry, QuarantinedOrder
from tests.ingest.simulation import START, Platforms, add_sim_channel, platforms

FAST = SyncOptions(retry=RetryPolicy(attempts=2, requests_per_second=10_000))


def trail(sessions: sessionmaker[Session]) -> list[tuple[str, str, str]]:
    with sessions() as session:
        rows = session.execute(
            select(AuditEntry.actor, AuditEntry.action, AuditEntry.entity_id).order_by(
                AuditEntry.id
            )
        )
        return [(r[0], r[1], r[2]) for r in rows]


def test_a_paused_channel_is_not_pulled_and_resumes_from_its_watermark(
    sessions: sessionmaker[Session],
) -> None:
    with platforms(served=("pdd",), orders_per_minute=4) as sim:
        channel = add_sim_channel(sessions, sim, "pdd")
        with sessions.begin() as session:
            channel_id = get_channel(session, channel).id
            pause_channel(session, channel, actor="ann", reason="shop migrating", at=sim.clock())
        assert syncable_channels(sessions) == []
        assert run_channel_sync(sessions, channel_id, channel, clock=sim.clock) is None
        with pytest.raises(Conflict, match="paused"):
            sync_now(sessions, channel, actor="ann", clock=sim.clock)
        with sessions.begin() as session:
            with pytest.raises(Conflict, match="paused already"):
                pause_channel(session, channel, actor="bob", reason=None, at=sim.clock())
            resume_channel(session, channel, actor="bob", note="migrated", at=sim.clock())
        assert [row[1] for row in syncable_channels(sessions)] == [channel]

    assert trail(sessions) == [
        ("ann", "channel.paused", channel),
        ("bob", "channel.resumed", channel),
    ]


def test_sync_now_runs_past_the_backoff_and_is_audited(sessions: sessionmaker[Session]) -> None:
    with platforms(served=("jd",), orders_per_minute=4, history=timedelta(hours=1)) as sim:
        channel = add_sim_channel(sessions, sim, "jd")
        with sessions.begin() as session:
            row = get_channel(session, channel)
            row.consecutive_failures, row.last_attempt_at = 5, sim.clock()  # backing off
            channel_id = row.id
        assert run_channel_sync(sessions, channel_id, channel, clock=sim.clock) is None
        sim.clock.advance(minutes=5)
        with httpx.Client(timeout=10) as client:
            report = sync_now(sessions, channel, actor="ann", clock=sim.clock, client=client)
    assert report is not None and report.ok and report.inserted > 0
    assert trail(sessions) == [("ann", "channel.sync_requested", channel)]


Quarantined = tuple[Platforms, FaultPlan, list[int]]


@pytest.fixture
def quarantined(sessions: sessionmaker[Session]) -> Iterator[Quarantined]:
    """A Taobao shop whose every order is malformed, synced once: (sim, plan, entry ids)."""
    plan = FaultPlan(rate=1.0, kinds=(Fault.MALFORMED_ORDER,))
    with platforms(served=("taobao",), orders_per_minute=2, faults=plan) as sim:
        channel = add_sim_channel(sessions, sim, "taobao")
        with httpx.Client(timeout=10) as client:
            assert sync_now(sessions, channel, actor="ann", clock=sim.clock, client=client)
        with sessions() as session:
            ids = list(session.scalars(select(QuarantinedOrder.id).order_by(QuarantinedOrder.id)))
        assert ids
        yield sim, plan, ids


def test_retry_now_keeps_a_still_broken_order_and_stores_a_fixed_one(
    sessions: sessionmaker[Session], quarantined: Quarantined
) -> None:
    sim, plan, ids = quarantined
    clock = sim.clock
    with httpx.Client(timeout=10) as client:
        still = retry_quarantined(sessions, ids[0], actor="ann", client=client, clock=clock)
        plan.rate = 0.0
        fixed = retry_quarantined(sessions, ids[0], actor="ann", client=client, clock=clock)
        with pytest.raises(Conflict, match="closed already"):
            retry_quarantined(sessions, ids[0], actor="ann", client=client, clock=clock)

    assert not still.resolved and "is not an amount" in (still.reason or "")
    assert fixed.resolved and fixed.reason is None
    with sessions() as session:
        entry = session.get(QuarantinedOrder, ids[0])
        assert entry is not None and entry.resolved_at is not None
    retried = [row for row in trail(sessions) if row[1] == "quarantine.retried"]
    assert retried == [("ann", "quarantine.retried", str(ids[0]))] * 2


def test_a_dismissal_keeps_its_reason_and_the_log_filters_to_it(
    sessions: sessionmaker[Session], quarantined: Quarantined
) -> None:
    sim, _plan, ids = quarantined
    with sessions.begin() as session:
        dismiss(session, ids[0], actor="bob", at=sim.clock(), reason="test order, never paid")

    with sessions() as session:
        page = audit_page(session, AuditFilter(actors=["bob"]), limit=10)
        everything = audit_page(session, AuditFilter(), limit=1)
        by_action = audit_page(session, AuditFilter(actions=["channel.sync_requested"]))
        later = audit_page(session, AuditFilter(since=START + timedelta(days=3650)))
    assert page.total == 1
    (entry,) = page.entries
    assert (entry.action, entry.entity_id) == ("quarantine.dismissed", str(ids[0]))
    assert entry.after == {"dismissed_because": "test order, never paid"}
    assert everything.total == 2 and len(everything.entries) == 1
    assert everything.entries[0].action == "quarantine.dismissed"  # newest first
    assert by_action.total == 1 and later.total == 0


def test_a_registered_channel_audits_which_credentials_were_given_never_their_values(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as session:
        register_channel(
            session, actor="root", name="xhs-new", platform="xiaohongshu", shop_id="S1",
            credentials={"app_key": "K1", "app_secret": "very-secret", "access_token": ""},
        )  # fmt: skip
    with sessions() as session:
        (entry,) = session.scalars(select(AuditEntry))
        config = config_of(get_channel(session, "xhs-new"))  # how the sync reads them
    assert (config.app_key, config.app_secret, config.access_token) == ("K1", "very-secret", None)
    assert entry.action == "channel.created"
    assert entry.after is not None and entry.after["credentials_set"] == ["app_key", "app_secret"]
    assert "very-secret" not in str(entry.after) and "K1" not in str(entry.after)
