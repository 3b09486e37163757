"""The live board's document: what the console's board and ``GET /api/v1/metrics/board``
show, as typed models (the OpenAPI document describes them; the console reads attributes)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

Better = Literal["higher", "lower"]
Unit = Literal["count", "hours", "share"]


class BoardWindow(BaseModel):
    """The time range the board's figures cover, and the one they are compared with."""

    start: datetime
    end: datetime = Field(description="Exclusive; never later than the board's as_of")
    previous_start: datetime = Field(description="The same range one week earlier")
    previous_end: datetime


class BoardScope(BaseModel):
    channels: list[str] = Field(description="Channel names; empty for every channel")
    warehouses: list[str] = Field(description="Warehouse codes; empty for every warehouse")


class Kpi(BaseModel):
    """One KPI card: the window's value against the same window a week earlier."""

    key: str
    value: float | None
    previous: float | None
    change_pct: float | None = Field(description="Relative change in percent; null from zero")
    better: Better = Field(description="Which way the figure improves")
    unit: Unit
    now: int | None = Field(
        default=None, description="The figure right now, for cards that also have one"
    )

    @property
    def improved(self) -> bool | None:
        if self.value is None or self.previous is None or self.value == self.previous:
            return None
        return (self.value > self.previous) == (self.better == "higher")


class StageWork(BaseModel):
    """Open orders in one stage right now, by how long they have waited in it."""

    stage: str
    count: int
    oldest_age_hours: float | None
    age: dict[str, int] = Field(description="Orders per age bucket (under_1h … over_3d)")


class HourFlow(BaseModel):
    """Orders paid and shipped in one business hour, and in the same hour a week earlier."""

    hour: str = Field(description="Business-zone hour, YYYY-MM-DDTHH:00")
    paid: int
    shipped: int
    paid_last_week: int
    shipped_last_week: int


class NodeTimes(BaseModel):
    """Durations of one warehouse node (hours) of the orders that completed it in the window."""

    node: str
    count: int
    p50: float | None
    p90: float | None


class Cell(BaseModel):
    """One weekday × hour cell of a heatmap, named in both languages (周三 14:00–15:00)."""

    weekday: int = Field(description="Monday = 0")
    hour: int
    label_zh: str
    label_en: str
    value: float


class Heatmaps(BaseModel):
    """Weekday × hour over the last four weeks: orders paid, and the mean hours orders spent
    in the slowest stage by the hour they left it."""

    days: int
    intake: list[list[int]]
    delay_stage: str | None
    delay: list[list[float | None]]
    busiest: list[Cell]
    worst: list[Cell]


class ChannelHealth(BaseModel):
    name: str
    platform: str
    last_success_at: datetime | None
    lag_minutes: float | None = Field(description="Minutes since the last successful pull")
    consecutive_failures: int
    last_error: str | None
    quarantined: int = Field(description="Unreadable orders waiting for a person")
    stale: bool = Field(description="Missed three pulls (at least 15 minutes)")


class WindowFigures(BaseModel):
    """What happened in the board's time range, against the same range a week earlier."""

    window: BoardWindow
    kpis: list[Kpi]
    throughput: list[HourFlow]
    warehouse_nodes: list[NodeTimes]
    exceptions_by_category: dict[str, int] = Field(description="Holds in the window by cause")
    refused_scans_by_code: dict[str, int]

    def kpi(self, key: str) -> Kpi:
        return next(card for card in self.kpis if card.key == key)


class NowFigures(BaseModel):
    """What waits right now, and the last four weeks' rhythm: the same for any time range."""

    as_of: datetime
    rollup_as_of: datetime | None
    work_in_progress: list[StageWork]
    sla_open_breaches: dict[str, int]
    heatmaps: Heatmaps
    channels: list[ChannelHealth]

    def stage(self, stage: str) -> StageWork:
        return next(work for work in self.work_in_progress if work.stage == stage)


class Board(WindowFigures, NowFigures):
    """The live board: rollups for what happened, open orders for what waits now."""

    scope: BoardScope
