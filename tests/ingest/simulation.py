"""Helpers for tests against the platform simulator: a clock tests move, a world and a server."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from ingest.channels import connect
from ingest.channels.base import ChannelConfig, Connector, Guard, direct
from ingest.simulator.app import Simulator, SimulatorServer
from ingest.simulator.faults import FaultPlan
from ingest.simulator.truth import expected_stage
from ingest.simulator.world import StreamSettings, World
from store.channels import create_channel, get_channel
from store.models import Order

START = datetime(2026, 11, 23, 16, 0, tzinfo=UTC)  # midnight in Shanghai
SECRET = "sim-secret"


class FakeClock:
    def __init__(self, now: datetime = START) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@dataclass
class Platforms:
    world: World
    simulator: Simulator
    server: SimulatorServer
    clock: FakeClock

    @property
    def truth_url(self) -> str:
        return f"http://127.0.0.1:{self.server.port}/_sim/truth"

    def truth(self) -> list[dict[str, str]]:
        rows: list[dict[str, str]] = httpx.get(self.truth_url).json()["orders"]
        return rows

    def listings(self) -> dict[tuple[str, str], dict[str, object]]:
        rows = httpx.get(f"http://127.0.0.1:{self.server.port}/_sim/listings").json()
        return {(r["platform"], r["listing_id"]): r for r in rows["listings"]}

    def config(self, platform: str, *, secret: str = SECRET) -> ChannelConfig:
        return ChannelConfig(
            name=f"{platform}-sim",
            platform=platform,
            base_url=self.server.base_url(platform),
            app_key="sim",
            app_secret=secret,
            access_token="sim-token",
        )

    def connector(
        self,
        platform: str,
        *,
        secret: str = SECRET,
        timeout: float = 10.0,
        guard: Guard = direct,
    ) -> Connector:
        client = httpx.Client(timeout=timeout)
        return connect(self.config(platform, secret=secret), client, clock=self.clock,
                       guard=guard)  # fmt: skip


@contextmanager
def platforms(
    *,
    served: tuple[str, ...] = ("taobao", "pdd"),
    orders_per_minute: float = 5.0,
    history: timedelta = timedelta(hours=2),
    faults: FaultPlan | None = None,
    seed: int = 7,
    settings: StreamSettings | None = None,
    start: datetime = START,
) -> Iterator[Platforms]:
    """A simulator whose world already holds ``history`` of orders from ``start``, at a fake
    clock."""
    clock = FakeClock(start + history)
    world = World(
        platforms=served,
        settings=settings or StreamSettings(orders_per_minute=orders_per_minute),
        seed=seed,
        clock=clock,
        start=start,
    )
    world.advance()
    simulator = Simulator(world, faults=faults)
    with SimulatorServer(simulator) as server:
        yield Platforms(world, simulator, server, clock)


def add_sim_channel(
    sessions: sessionmaker[Session], sim: Platforms, platform: str, *, secret: str = SECRET
) -> str:
    """A channel of ``platform`` pointing at the simulator; returns its name."""
    name = f"{platform}-sim"
    with sessions.begin() as session:
        create_channel(
            session,
            name=name,
            platform=platform,
            base_url=sim.server.base_url(platform),
            credentials={"app_key": "sim", "app_secret": secret, "access_token": "sim-token"},
        )
    return name


def store_view(sessions: sessionmaker[Session], channel: str) -> dict[str, tuple[str, datetime]]:
    """``channel_order_id -> (stage, channel modified time)`` of every stored order."""
    with sessions.begin() as session:
        channel_id = get_channel(session, channel).id
        rows = session.execute(
            select(Order.channel_order_id, Order.stage, Order.channel_modified_at).where(
                Order.channel_id == channel_id
            )
        ).all()
    return {row[0]: (row[1], row[2]) for row in rows}


def truth_view(sim: Platforms, platform: str) -> dict[str, tuple[str, datetime]]:
    """What the store must hold for ``platform`` according to the simulator's truth."""
    expected = {}
    for row in sim.truth():
        if row["platform"] != platform:
            continue
        stage = expected_stage(platform, row["status"])
        if stage is not None:
            modified = datetime.fromisoformat(row["modified"])
            expected[row["channel_order_id"]] = (stage.value, modified)
    return expected
