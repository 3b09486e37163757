"""Per-platform rate limits: each platform's documented default per app (with its source),
overridden per channel, and what the sync's limiter then runs at."""

from __future__ import annotations

from dataclasses import replace

import pytest

from ingest.channels import CONNECTORS
from ingest.channels.base import ChannelConfig, ChannelSettings
from ingest.channels.limits import RATE_LIMITS
from ingest.retry import RetryPolicy
from ingest.sync import channel_rate, limiter_for
from store.errors import InvalidInput

CONFIG = ChannelConfig(name="shop", platform="xiaohongshu", base_url="http://x", app_key="k",
                       app_secret="s")  # fmt: skip


def test_every_platform_has_a_default_that_says_where_it_comes_from() -> None:
    assert set(CONNECTORS) <= set(RATE_LIMITS)
    assert all(limit.per_second > 0 and limit.source for limit in RATE_LIMITS.values())
    assert RATE_LIMITS["xiaohongshu"].per_second == 100  # doc 292: 新对接的服务商 100 次/秒
    assert "292" in RATE_LIMITS["xiaohongshu"].source


@pytest.mark.parametrize("platform", sorted(CONNECTORS))
def test_a_channel_runs_at_its_platforms_default(platform: str) -> None:
    config = replace(CONFIG, platform=platform)
    assert channel_rate(config, RetryPolicy()) == RATE_LIMITS[platform].per_second


def test_a_channel_setting_overrides_the_platform_and_a_policy_overrides_both() -> None:
    slower = replace(CONFIG, settings=ChannelSettings(rate_limit_per_s=5))
    assert channel_rate(slower, RetryPolicy()) == 5
    assert channel_rate(slower, RetryPolicy(requests_per_second=10_000)) == 10_000


def test_a_changed_rate_applies_to_the_channels_one_limiter() -> None:
    first = limiter_for("limits-test-shop", 20.0, lambda _s: None)
    again = limiter_for("limits-test-shop", 100.0, lambda _s: None)
    assert again is first and (first.rate, first.capacity) == (100.0, 100.0)


@pytest.mark.parametrize("rate", [0, -1, "fast", True])
def test_a_rate_limit_must_be_a_positive_number(rate: object) -> None:
    with pytest.raises(InvalidInput, match="rate_limit_per_s must be a positive number"):
        ChannelSettings.from_row("shop", {"rate_limit_per_s": rate})
