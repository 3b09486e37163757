"""Each platform's default call rate per app, and where the number comes from.

A channel's ``settings.rate_limit_per_s`` overrides it (a shop whose app was granted more, or
that shares its app with other tools and must take less). Evidence tags as in
/work/shared/research/platform-apis.md: [DOC] the platform's own documentation, [3P] a third
party, UNCERTAIN where nothing was found and a conservative figure stands in.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class RateLimit:
    per_second: float
    source: str


RATE_LIMITS: dict[str, RateLimit] = {
    "xiaohongshu": RateLimit(
        100.0,
        "[DOC] 292 接口限流说明 (2024-09): new apps 100 次/秒 per app, 200 次/秒 per method "
        "(AndersonBY/xiaohongshu-ecommerce-python-sdk docs/小红书官方文档/开发文档/"
        "292_接口限流说明.md)",
    ),
    "pdd": RateLimit(
        50.0,
        "[3P] pdd.order.number.list.increment.get 3000 calls / 60 s in the generated API "
        "metadata of lywzx/pdd-node-sdk (packages/pdd-origin-api); UNCERTAIN: Pinduoduo's own "
        "page was not read",
    ),
    "taobao": RateLimit(
        20.0,
        "UNCERTAIN: TOP publishes per-app quotas in each app's console only; no default was "
        "found in any stored doc or SDK, so the conservative 20 calls/s stays",
    ),
    "tmall": RateLimit(20.0, "as taobao (same TOP app quotas)"),
    "jd": RateLimit(
        20.0,
        "UNCERTAIN: no JOS default found in JD's docs; a third-party blog claims 50 次/秒 "
        "(jishuzhan.net/article/1944699660467220482), not enough to rely on",
    ),
    "douyin": RateLimit(
        20.0,
        "UNCERTAIN: no 抖店 default found in the doudian SDK or docs read; 60000 "
        "isv.traffic-limited is how it says so when exceeded",
    ),
}
"""Platform → its default rate per app."""

FALLBACK = RateLimit(20.0, "no platform default")


def default_rate(platform: str) -> float:
    return RATE_LIMITS.get(platform, FALLBACK).per_second
