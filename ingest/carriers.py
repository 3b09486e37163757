"""One carrier table: the pickup scan's carrier (``SF``, ``ZTO``…) and each platform's code
for it.

Every platform names carriers its own way: Taobao by company code (``SF``), JD by the numeric
``logiCoprId`` of its carrier list, Pinduoduo by the numeric ``logistics_id`` (快递公司编号),
Douyin by the ``company_code`` of ``/order/logisticsCompanyList`` (``shunfeng``), Xiaohongshu by
the ``expressCompanyCode`` of ``common.getExpressCompanyList`` (``zto``). A shipment is
confirmed with the code the channel's platform listed last (``refresh_carriers`` stores it in
``channel_carriers``, at most once a day per channel), falling back to ``FALLBACK`` where no
list was read; a carrier the platform does not know is refused before anything is sent
(``UnknownCarrier``), never sent with a wrong code.

``FALLBACK`` holds only codes with a source (below); everything else waits for the platform's
own list. Sources:

- Taobao: a captured ``taobao.logistics.companies.get`` response quoted in public ISV code
  (``{"code":"YTO","id":101,"name":"圆通速递"}``, ``YUNDA``, ``SF``, ``EMS``, ``STO``, ``ZTO``).
- JD: public JOS clients' maps for ``jingdong.pop.order.shipment`` (``顺丰 467``, ``圆通 463``,
  ``中通 1499``, ``申通 470``, ``韵达 1327``, ``邮政EMS 465``, ``德邦 3046``); UNCERTAIN: one client
  has 圆通 466, and 京东快递 appears as both 2087 and 336878, so JD is left to JD's list
  (``360buy.get.vender.all.delivery.company``).
- Pinduoduo: no id table with a source was found; ``pdd.logistics.companies.get`` answers
  ``{code, id, logistics_company}`` and its ``id`` is what is sent.
- Douyin: ``shunfeng`` and ``yuantong`` (the ``order.logisticsCompanyList`` examples); the rest
  from that list (zsmhub/doudian-sdk ``api/order_logisticsCompanyList``: ``{id, name, code}``).
- Xiaohongshu: ``zto`` (``common.getExpressCompanyList`` / ``order.orderDeliver`` doc examples,
  AndersonBY/xiaohongshu-ecommerce-python-sdk ``docs/小红书官方文档/api/公共API/
  common_getExpressCompanyList_获取快递公司信息.json``) and ``shunfeng``; the rest from that list.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from ingest.channels.base import CarrierEntry, UnknownCarrier
from store.models import ChannelCarrier


@dataclass(frozen=True, slots=True)
class Carrier:
    code: str
    zh: str
    en: str
    names: tuple[str, ...]
    """Fragments that name this carrier in a platform's carrier list."""


CARRIERS: tuple[Carrier, ...] = (
    Carrier("SF", "顺丰", "SF Express", ("顺丰",)),
    Carrier("ZTO", "中通", "ZTO Express", ("中通",)),
    Carrier("YTO", "圆通", "YTO Express", ("圆通",)),
    Carrier("STO", "申通", "STO Express", ("申通",)),
    Carrier("YUNDA", "韵达", "Yunda Express", ("韵达",)),
    Carrier("JTSD", "极兔", "J&T Express", ("极兔",)),
    Carrier("EMS", "EMS", "China Post EMS", ("EMS",)),
    Carrier("JD", "京东物流", "JD Logistics", ("京东",)),
    Carrier("DBL", "德邦", "Deppon", ("德邦",)),
)
BY_CODE = {carrier.code: carrier for carrier in CARRIERS}
ALIASES = {"YD": "YUNDA", "JT": "JTSD", "JTEXPRESS": "JTSD", "DEPPON": "DBL", "JDL": "JD"}
"""Other spellings handhelds send for the same carriers."""

FALLBACK: dict[str, dict[str, str]] = {
    "taobao": {c: c for c in ("SF", "ZTO", "YTO", "STO", "YUNDA", "EMS")},
    "jd": {"SF": "467", "YTO": "463", "ZTO": "1499", "STO": "470", "YUNDA": "1327",
           "EMS": "465", "DBL": "3046"},
    "pdd": {},
    "douyin": {"SF": "shunfeng", "YTO": "yuantong"},
    "xiaohongshu": {"SF": "shunfeng", "ZTO": "zto"},
}  # fmt: skip
FALLBACK["tmall"] = FALLBACK["taobao"]
REFRESH_EVERY = timedelta(days=1)
_OTHER_SERVICES = ("快运", "国际", "同城", "冷运", "冷链", "重货", "大件")
"""Names of a carrier's other services (中通快运 is not 中通快递)."""


def carrier_of(scanned: str) -> Carrier | None:
    """The carrier a pickup scan names, by our code or an alias, any case."""
    code = scanned.strip().upper()
    return BY_CODE.get(ALIASES.get(code, code))


def match_list(entries: Iterable[CarrierEntry]) -> dict[str, CarrierEntry]:
    """Our carrier code → the platform's entry for it: by name, the parcel service (the
    shortest matching name that is not freight, international or same-city)."""
    found: dict[str, CarrierEntry] = {}
    for carrier in CARRIERS:
        named = [
            e for e in entries
            if any(part.lower() in e.name.lower() for part in carrier.names)
            and not any(word in e.name for word in _OTHER_SERVICES)
        ]  # fmt: skip
        if named:
            found[carrier.code] = min(named, key=lambda e: (len(e.name), e.name))
    return found


def platform_code(
    platform: str, scanned: str, listed: Mapping[str, str] | None, *, channel: str
) -> str:
    """The code to send for the pickup's carrier ``scanned`` on ``platform``: from the list the
    platform last gave the channel (``listed``), or the table's when no list could be read;
    ``UnknownCarrier`` when there is none."""
    carrier = carrier_of(scanned)
    if carrier is None:
        known = ", ".join(BY_CODE)
        raise UnknownCarrier(
            f"{channel}: carrier {scanned!r} is not in orderwatch's carrier table ({known}); "
            f"nothing was sent (承运商 {scanned} 不在承运商表中，未回传)"
        )
    table = FALLBACK.get(platform, {}) if listed is None else listed
    code = table.get(carrier.code)
    if code is None:
        raise UnknownCarrier(
            f"{channel}: {platform} has no code for {carrier.en} ({carrier.code}) in its carrier "
            f"list; nothing was sent ({platform} 的快递公司列表中没有{carrier.zh}，未回传)"
        )
    return code


REFRESHED = "*"
"""The row that records when a channel's list was read, whatever it matched."""


def listed_codes(
    session: Session, channel_id: int
) -> tuple[dict[str, str] | None, datetime | None]:
    """The codes the channel's platform listed and when (``None, None``: never read)."""
    rows = session.scalars(select(ChannelCarrier).where(ChannelCarrier.channel_id == channel_id))
    stored = {row.carrier: row for row in rows}
    marker = stored.pop(REFRESHED, None)
    if marker is None:
        return None, None
    return {code: row.platform_code for code, row in stored.items()}, marker.refreshed_at


def store_list(
    session: Session, channel_id: int, entries: Iterable[CarrierEntry], now: datetime
) -> dict[str, str]:
    """Replace the channel's codes with what its platform just listed."""
    matched = match_list(list(entries))
    session.execute(delete(ChannelCarrier).where(ChannelCarrier.channel_id == channel_id))
    session.add_all(
        ChannelCarrier(channel_id=channel_id, carrier=code, platform_code=entry.code[:64],
                       platform_name=entry.name[:64], refreshed_at=now)
        for code, entry in matched.items()
    )  # fmt: skip
    session.add(ChannelCarrier(channel_id=channel_id, carrier=REFRESHED, platform_code="",
                               refreshed_at=now))  # fmt: skip
    return {code: entry.code for code, entry in matched.items()}
