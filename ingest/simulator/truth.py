"""Reading the simulator's ground truth: which stage orderwatch should hold for each order."""

from __future__ import annotations

from ingest.channels import douyin, jd, pdd, taobao, xiaohongshu
from store.stages import Stage


def expected_stage(platform: str, status: str) -> Stage | None:
    """The stage a truth row's ``status`` maps to; ``None``: the order is not orderwatch's
    (never paid), so the store must not hold it."""
    if platform in ("taobao", "tmall"):
        return taobao.TRADE_STATUS[status]
    if platform == "pdd":
        order_status, refund_status, confirm_status = status.split("/")
        return pdd.stage_of(order_status, refund_status, confirm_status)
    if platform == "jd":
        return None if status == "NOT_LISTED" else jd.ORDER_STATE[status]
    if platform == "douyin":
        order_status, paid = status.split("/")
        return douyin.stage_of(order_status, paid == "1")
    if platform == "xiaohongshu":
        order_status, paid = status.split("/")
        return xiaohongshu.stage_of(order_status, paid == "1")
    raise ValueError(f"no truth mapping for platform {platform!r}")
