"""What every connector does alike, run over all five: the time windows it cuts a sync into,
and what it makes of a platform that fails below its own error envelope. Each platform's own
requests, tables and error codes are tested in its ``test_<platform>.py``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import respx

from ingest.channels import connect
from ingest.channels.base import (
    ChannelConfig,
    ChannelUnreachable,
    Connector,
    Guard,
    MalformedPayload,
    SystemBusy,
    direct,
    unix_seconds,
)
from tests.ingest import test_douyin, test_jd, test_pdd, test_taobao, test_xiaohongshu

NOW = datetime(2026, 11, 24, 4, 0, tzinfo=UTC)
CONFIGS: dict[str, ChannelConfig] = {
    "taobao": test_taobao.CONFIG,
    "jd": test_jd.CONFIG,
    "pdd": test_pdd.CONFIG,
    "douyin": test_douyin.CONFIG,
    "xiaohongshu": test_xiaohongshu.CONFIG,
}


def connector(platform: str, guard: Guard = direct) -> Connector:
    return connect(CONFIGS[platform], httpx.Client(), clock=lambda: NOW, guard=guard)


@pytest.mark.parametrize(
    ("platform", "since", "longest", "count"),
    [
        ("taobao", timedelta(days=2, hours=5), timedelta(days=1), 3),
        ("jd", timedelta(days=2, hours=1), timedelta(days=1), 3),
        ("pdd", timedelta(hours=2), timedelta(minutes=30), 4),
        ("douyin", timedelta(hours=2, minutes=30), timedelta(hours=1), 3),
        ("xiaohongshu", timedelta(hours=1, minutes=10), timedelta(minutes=30), 3),
    ],
)
def test_windows_are_as_long_as_the_platform_allows_and_end_behind_its_clock(
    platform: str, since: timedelta, longest: timedelta, count: int
) -> None:
    made = connector(platform)
    windows = list(made.windows(NOW - since, NOW))
    assert len(windows) == count and all(b - a <= longest for a, b in windows)
    starts, ends = [a for a, _b in windows], [b for _a, b in windows]
    assert starts == [NOW - since, *ends[:-1]] and ends[-1] == NOW  # consecutive, all covered
    assert made.latest_complete() == NOW - timedelta(minutes=3)


@pytest.mark.parametrize("platform", sorted(CONFIGS))
@pytest.mark.parametrize(
    ("failure", "error"),
    [
        (httpx.Response(502), SystemBusy),
        (httpx.Response(200, text="<html>oops"), MalformedPayload),
        (httpx.ConnectError("refused"), ChannelUnreachable),
    ],
)
@respx.mock
def test_a_failure_below_the_envelope_is_a_channel_error_and_goes_through_the_guard(
    platform: str, failure: httpx.Response | Exception, error: type[Exception]
) -> None:
    guarded: list[str] = []

    def guard(call: Any) -> Any:
        guarded.append("call")
        return call()

    respx.route().mock(side_effect=[failure])
    with pytest.raises(error):
        connector(platform, guard).fetch_order("1")
    assert guarded == ["call"]


@pytest.mark.parametrize("value", ["99999999999999999999", 10**18, "253402300800"])
def test_a_unix_time_past_year_9999_is_a_malformed_payload(value: object) -> None:
    with pytest.raises(
        MalformedPayload, match=r"create_time: .* is not a time orderwatch can read"
    ):
        unix_seconds(value, "create_time")
