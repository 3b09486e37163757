"""One connector per platform behind ``ingest.channels.base.Connector``."""

from __future__ import annotations

import httpx

from ingest.channels.base import ChannelConfig, Clock, Connector, Guard, direct, utcnow
from ingest.channels.douyin import DouyinConnector
from ingest.channels.jd import JdConnector
from ingest.channels.pdd import PddConnector
from ingest.channels.taobao import TaobaoConnector
from ingest.channels.xiaohongshu import XiaohongshuConnector
from store.errors import InvalidInput
from store.models import Channel

CONNECTORS: dict[str, type[Connector]] = {
    "taobao": TaobaoConnector,
    "tmall": TaobaoConnector,
    "pdd": PddConnector,
    "jd": JdConnector,
    "douyin": DouyinConnector,
    "xiaohongshu": XiaohongshuConnector,
}
"""Platform code (``channels.platform``) → connector class."""


def config_of(channel: Channel) -> ChannelConfig:
    """The connector settings of a channel row; a channel orderwatch cannot sync is refused."""
    kind = CONNECTORS.get(channel.platform)
    if kind is None:
        known = ", ".join(sorted(CONNECTORS))
        raise InvalidInput(
            f"channel {channel.name!r} is on {channel.platform!r}, which has no connector yet "
            f"(connectors: {known})"
        )
    return ChannelConfig.from_row(
        name=channel.name,
        platform=channel.platform,
        base_url=channel.base_url,
        credentials=channel.credentials,
        shop_id=channel.shop_id,
        default_base_url=kind.default_base_url,
        settings=channel.settings,
    )


def connect(
    config: ChannelConfig, client: httpx.Client, *, clock: Clock = utcnow, guard: Guard = direct
) -> Connector:
    return CONNECTORS[config.platform](config, client, clock=clock, guard=guard)
