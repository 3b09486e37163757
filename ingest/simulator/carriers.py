"""The carrier lists the simulated platforms answer their carrier-list calls with, in each
platform's own codes; a shipment naming a code not on its platform's list is refused.

The codes are the simulator's: where ``ingest.carriers`` cites a source they agree with it,
the others only have to be consistent within the simulator. Xiaohongshu's list lacks 德邦 on
purpose, so a carrier one platform does not know can be shown being refused before sending.
"""

from __future__ import annotations

CARRIER_LISTS: dict[str, tuple[tuple[str, str], ...]] = {
    "taobao": (("SF", "顺丰速运"), ("ZTO", "中通快递"), ("YTO", "圆通速递"), ("STO", "申通快递"),
               ("YUNDA", "韵达快递"), ("EMS", "EMS"), ("JTSD", "极兔速递"), ("DBKD", "德邦快递"),
               ("JD", "京东快递"), ("ZTOKY", "中通快运")),
    "jd": (("467", "顺丰快递"), ("463", "圆通快递"), ("1499", "中通速递"), ("470", "申通快递"),
           ("1327", "韵达快递"), ("465", "邮政EMS"), ("3046", "德邦快递"), ("2087", "京东快递"),
           ("880001", "极兔速递"), ("1274", "厂家自送")),
    "pdd": (("1", "顺丰速运"), ("2", "申通快递"), ("115", "中通快递"), ("85", "圆通快递"),
            ("121", "韵达快递"), ("118", "邮政EMS"), ("384", "极兔速递"), ("120", "京东快递"),
            ("131", "德邦快递")),
    "douyin": (("shunfeng", "顺丰速运"), ("yuantong", "圆通速递"), ("zhongtong", "中通快递"),
               ("shentong", "申通快递"), ("yunda", "韵达快递"), ("jtexpress", "极兔速递"),
               ("ems", "EMS"), ("jd", "京东快递"), ("debangkuaidi", "德邦快递"),
               ("zhongtongkuaiyun", "中通快运")),
    "xiaohongshu": (("shunfeng", "顺丰速运"), ("zto", "中通快递"), ("yto", "圆通速递"),
                    ("sto", "申通快递"), ("yunda", "韵达快递"), ("jtexpress", "极兔速递"),
                    ("ems", "EMS"), ("jd", "京东快递")),
}  # fmt: skip
CARRIER_LISTS["tmall"] = CARRIER_LISTS["taobao"]


def knows(platform: str, code: str) -> bool:
    return any(listed == code for listed, _name in CARRIER_LISTS.get(platform, ()))
