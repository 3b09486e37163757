"""HTTP message push: each platform's signature and message format (``ingest.push``)."""

from __future__ import annotations

import hashlib
import json

import pytest

from ingest.push.base import MalformedPush, PushMessage, PushRefused, PushRequest
from ingest.push.douyin import PROTOCOL as DOUYIN
from ingest.push.douyin import event_sign
from ingest.push.xiaohongshu import PROTOCOL as XHS
from ingest.push.xiaohongshu import sign as xhs_sign

# Xiaohongshu doc 041 应用消息推送 (official doc as captured in
# AndersonBY/xiaohongshu-ecommerce-python-sdk docs/小红书官方文档/开发文档/041_应用消息推送.md):
# url /open_api/msg?canshu=test, app-key xhs, timestamp 1625475843, app-secret below → sign.
XHS_SECRET = "9a539709cafc1efc9ef05838be468a28"
XHS_SIGN = "a7b7430de338783293443133ab9b9357"
# The doudian doc's sample app (vectors/doudian_sign.vector.json).
DY_KEY, DY_SECRET = "6844048284663924231", "749698a6-fcb3-4358-b241-ec1d93cf9c1f"


Query = dict[str, str] | None


def request(
    body: bytes, headers: dict[str, str], *, path: str = "/push", query: Query = None
) -> PushRequest:
    return PushRequest(paths=(path,), query=query or {}, headers=headers, body=body)


# --- Xiaohongshu


def test_xiaohongshu_sign_matches_the_documented_example() -> None:
    params = {"canshu": "test", "app-key": "xhs", "timestamp": "1625475843"}
    assert xhs_sign("/open_api/msg", params, XHS_SECRET) == XHS_SIGN


def test_xiaohongshu_verifies_the_documented_request_and_ignores_the_body() -> None:
    headers = {"timestamp": "1625475843", "app-key": "xhs", "sign": XHS_SIGN}
    documented = request(b"[]", headers, path="/open_api/msg", query={"canshu": "test"})
    XHS.verify(documented, app_key="xhs", app_secret=XHS_SECRET)
    other_body = request(b'[{"x":1}]', headers, path="/open_api/msg", query={"canshu": "test"})
    XHS.verify(other_body, app_key="xhs", app_secret=XHS_SECRET)  # the body is not signed


@pytest.mark.parametrize(
    ("headers", "path", "why"),
    [
        ({"timestamp": "1625475843", "app-key": "xhs", "sign": "0" * 32}, "/open_api/msg", "sign"),
        ({"timestamp": "1625475844", "app-key": "xhs", "sign": XHS_SIGN}, "/open_api/msg", "sign"),
        ({"timestamp": "1625475843", "app-key": "xhs", "sign": XHS_SIGN}, "/elsewhere", "sign"),
        ({"timestamp": "1625475843", "app-key": "other", "sign": XHS_SIGN}, "/open_api/msg", "key"),
        ({"timestamp": "1625475843", "app-key": "xhs"}, "/open_api/msg", "'sign'"),
    ],
)
def test_xiaohongshu_refuses_what_it_did_not_sign(
    headers: dict[str, str], path: str, why: str
) -> None:
    pushed = request(b"[]", headers, path=path, query={"canshu": "test"})
    with pytest.raises(PushRefused, match=why):
        XHS.verify(pushed, app_key="xhs", app_secret=XHS_SECRET)


def test_xiaohongshu_messages_name_their_orders() -> None:
    data = json.dumps({"orderId": "P768291112062421411", "orderStatus": 4, "updateTime": 1})
    body = json.dumps(
        [
            {"msgTag": "msg_fulfillment_status_change", "sellerId": "s", "data": data},
            {"msgTag": "msg_item_create", "sellerId": "s", "data": "{}"},
        ]
    ).encode()
    assert XHS.messages(request(body, {})) == [
        PushMessage("msg_fulfillment_status_change", "P768291112062421411"),
        PushMessage("msg_item_create", None),
    ]
    assert XHS.messages(request(b'{"test":true}', {})) == []  # the URL check
    assert XHS.acknowledgement() == {"success": True, "error_code": 0, "error_msg": ""}


@pytest.mark.parametrize(
    "body", [b"not json", b'{"a":1}', b"[1]", b'[{"data":"{}"}]', b'[{"msgTag":"m","data":"{"}]']
)
def test_xiaohongshu_malformed_bodies(body: bytes) -> None:
    with pytest.raises(MalformedPush):
        XHS.messages(request(body, {}))


# --- Douyin shop


def test_douyin_event_sign_is_md5_of_key_body_secret() -> None:
    # minibear2021/doudian doudian/core.py DouDian.callback: md5(app_key + body + app_secret)
    body = b'[{"tag":"100","msg_id":"1","data":"{\\"p_id\\":1}"}]'
    expected = hashlib.md5(
        (DY_KEY + body.decode() + DY_SECRET).encode(), usedforsecurity=False
    ).hexdigest()
    assert event_sign(DY_KEY, body, DY_SECRET) == expected


def test_douyin_verifies_its_signature_over_the_raw_body() -> None:
    body = '[{"tag":"101","msg_id":"7","data":"{\\"p_id\\":4927,\\"备注\\":\\"x\\"}"}]'.encode()
    headers = {"app-id": DY_KEY, "event-sign": event_sign(DY_KEY, body, DY_SECRET).upper()}
    DOUYIN.verify(request(body, headers), app_key=DY_KEY, app_secret=DY_SECRET)
    with pytest.raises(PushRefused, match="event-sign"):
        DOUYIN.verify(request(body + b" ", headers), app_key=DY_KEY, app_secret=DY_SECRET)
    with pytest.raises(PushRefused, match="another app key"):
        DOUYIN.verify(request(body, {**headers, "app-id": "1"}), app_key=DY_KEY,
                      app_secret=DY_SECRET)  # fmt: skip
    with pytest.raises(PushRefused, match="'event-sign'"):
        DOUYIN.verify(request(body, {"app-id": DY_KEY}), app_key=DY_KEY, app_secret=DY_SECRET)


def test_douyin_messages_name_their_parent_orders() -> None:
    body = json.dumps(
        [
            {"tag": "101", "msg_id": "m1", "data": json.dumps({"p_id": 4927, "s_ids": [49271]})},
            {"tag": "200", "msg_id": "m2", "data": {"p_id": "4928", "aftersale_id": 9}},
            {"tag": "0", "msg_id": "m3", "data": "check"},
        ]
    ).encode()
    assert DOUYIN.messages(request(body, {})) == [
        PushMessage("101", "4927", "m1"),
        PushMessage("200", "4928", "m2"),
        PushMessage("0", None, "m3"),
    ]
    single = json.dumps({"tag": "102", "msg_id": "m4", "data": '{"p_id":1}'}).encode()
    assert DOUYIN.messages(request(single, {})) == [PushMessage("102", "1", "m4")]
    assert DOUYIN.acknowledgement() == {"code": 0, "msg": "success"}


@pytest.mark.parametrize(
    "body", [b"{", b"[1]", b'[{"msg_id":"1"}]', b'[{"tag":"101","data":"{"}]', b'[{"tag":"1"}]']
)
def test_douyin_malformed_bodies(body: bytes) -> None:
    with pytest.raises(MalformedPush):
        DOUYIN.messages(request(body, {}))
