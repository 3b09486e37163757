"""DingTalk, WeCom and Feishu notifiers against loopback fakes that check them like the
providers do: DingTalk's 加签 and Feishu's 签名校验 recomputed from the official snippets
(open.dingtalk.com custom-robot-access; open.feishu.cn 自定义机器人使用指南), WeCom's key and
byte limits (developer.work.weixin.qq.com/document/path/91770)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from alerts.notifiers.base import Outcome
from tests.alerts.fake_providers import (
    DingTalk,
    Feishu,
    Reply,
    WeCom,
    answer,
    breach,
    send,
    serving,
)

SECRET = "SEC0123456789abcdef"


# --- DingTalk -------------------------------------------------------------------------------


@pytest.fixture
def dingtalk() -> Iterator[tuple[DingTalk, str]]:
    fake = DingTalk("tok", SECRET)
    with serving(fake) as base_url:
        yield fake, base_url


@pytest.mark.parametrize("msgtype", ["text", "markdown", "actionCard"])
def test_dingtalk_signed_message_types_are_accepted(
    dingtalk: tuple[DingTalk, str], msgtype: str
) -> None:
    fake, base_url = dingtalk
    settings = {
        "base_url": base_url,
        "access_token": "tok",
        "secret": SECRET,
        "msgtype": msgtype,
        "at_mobiles": ["13800138000"],
    }
    delivery = send("dingtalk", settings)
    assert (delivery.outcome, delivery.provider_code) == (Outcome.SENT, "0")
    assert fake.refused == []
    body = fake.received[0].json()
    assert body["msgtype"] == msgtype
    assert body["at"]["atMobiles"] == ["13800138000"]
    assert "@13800138000" in str(body[msgtype])


def test_dingtalk_sign_is_percent_encoded_once(dingtalk: tuple[DingTalk, str]) -> None:
    """The doc's urlencode(base64(...)): '+', '/' and '=' arrive as %2B, %2F, %3D."""
    fake, base_url = dingtalk
    for _ in range(8):  # enough signatures that one holds '+' or '/'
        send("dingtalk", {"base_url": base_url, "access_token": "tok", "secret": SECRET})
    assert fake.refused == []
    raw = " ".join(r.query for r in fake.received)
    assert "sign=" in raw and "%3D" in raw and "%253D" not in raw


def test_dingtalk_wrong_secret_is_a_security_failure(dingtalk: tuple[DingTalk, str]) -> None:
    _, base_url = dingtalk
    delivery = send("dingtalk", {"base_url": base_url, "access_token": "tok", "secret": "SECwrong"})
    assert (delivery.outcome, delivery.provider_code) == (Outcome.GIVE_UP, "310000")
    assert delivery.detail == "sign not match"


def test_dingtalk_unknown_token_gives_up(dingtalk: tuple[DingTalk, str]) -> None:
    _, base_url = dingtalk
    delivery = send("dingtalk", {"base_url": base_url, "access_token": "gone", "secret": SECRET})
    assert (delivery.outcome, delivery.provider_code) == (Outcome.GIVE_UP, "300005")


def test_dingtalk_long_text_is_cut_to_fit_its_20000_bytes(dingtalk: tuple[DingTalk, str]) -> None:
    fake, base_url = dingtalk
    long = breach(orders="，".join(f"OW{n:010d}" for n in range(3000)))
    delivery = send(
        "dingtalk", {"base_url": base_url, "access_token": "tok", "secret": SECRET}, long
    )
    assert delivery.outcome is Outcome.SENT
    assert (
        fake.received[0]
        .json()["markdown"]["text"]
        .endswith("[查看](https://console.example/alerts/1)")
    )


@pytest.mark.parametrize(
    ("errcode", "outcome", "wait"),
    [
        (130101, Outcome.RETRY, 600.0),  # send too fast, exceed 20 times per minute
        (410100, Outcome.RETRY, 60.0),
        (-1, Outcome.RETRY, None),  # system busy
        (310000, Outcome.GIVE_UP, None),  # keywords not in content
        (460101, Outcome.GIVE_UP, None),
    ],
)
def test_dingtalk_answer_codes(
    dingtalk: tuple[DingTalk, str], errcode: int, outcome: Outcome, wait: float | None
) -> None:
    fake, base_url = dingtalk
    settings = {"base_url": base_url, "access_token": "tok", "secret": SECRET}
    reply = Reply(200, {"errcode": errcode, "errmsg": "x"})
    assert answer(fake, "dingtalk", settings, reply) == (outcome, str(errcode), wait)


# --- WeCom ----------------------------------------------------------------------------------


@pytest.fixture
def wecom() -> Iterator[tuple[WeCom, str]]:
    fake = WeCom("k-1")
    with serving(fake) as base_url:
        yield fake, base_url


@pytest.mark.parametrize("msgtype", ["text", "markdown"])
def test_wecom_long_messages_fit_the_byte_limits(wecom: tuple[WeCom, str], msgtype: str) -> None:
    fake, base_url = wecom
    long = breach(orders="，".join(f"OW{n:010d}" for n in range(1000)))
    delivery = send("wecom", {"base_url": base_url, "key": "k-1", "msgtype": msgtype}, long)
    assert (delivery.outcome, fake.refused) == (Outcome.SENT, [])
    content = fake.received[0].json()[msgtype]["content"]
    assert content.endswith("…") or content.endswith("(https://console.example/alerts/1)")


def test_wecom_mentions_go_with_text(wecom: tuple[WeCom, str]) -> None:
    fake, base_url = wecom
    send(
        "wecom",
        {"base_url": base_url, "key": "k-1", "msgtype": "text", "mentioned_mobiles": ["@all"]},
    )
    assert fake.received[0].json()["text"]["mentioned_mobile_list"] == ["@all"]


def test_wecom_deleted_key_gives_up(wecom: tuple[WeCom, str]) -> None:
    _, base_url = wecom
    delivery = send("wecom", {"base_url": base_url, "key": "deleted"})
    assert (delivery.outcome, delivery.provider_code) == (Outcome.GIVE_UP, "93000")


def test_wecom_rate_limit_retries_after_the_minute(wecom: tuple[WeCom, str]) -> None:
    fake, base_url = wecom
    reply = Reply(200, {"errcode": 45009, "errmsg": "api freq out of limit"})
    settings = {"base_url": base_url, "key": "k-1"}
    assert answer(fake, "wecom", settings, reply) == (Outcome.RETRY, "45009", 60.0)


# --- Feishu ---------------------------------------------------------------------------------


@pytest.fixture
def feishu() -> Iterator[tuple[Feishu, str]]:
    fake = Feishu("hook-1", "fs-secret")
    with serving(fake) as base_url:
        yield fake, base_url


@pytest.mark.parametrize("msg_type", ["interactive", "text"])
def test_feishu_signed_messages_are_accepted(feishu: tuple[Feishu, str], msg_type: str) -> None:
    fake, base_url = feishu
    settings = {
        "base_url": base_url,
        "token": "hook-1",
        "secret": "fs-secret",
        "msg_type": msg_type,
    }
    delivery = send("feishu", settings, breach(lang="en"))
    assert (delivery.outcome, fake.refused) == (Outcome.SENT, [])
    body = fake.received[0].json()
    if msg_type == "interactive":
        assert body["card"]["header"]["template"] == "red"
        assert body["card"]["elements"][1]["actions"][0]["text"]["content"] == "Open"


def test_feishu_dingtalk_style_signature_is_refused(feishu: tuple[Feishu, str]) -> None:
    """The classic mistake the doc warns about answers 19021; we give up with it."""
    _, base_url = feishu
    delivery = send("feishu", {"base_url": base_url, "token": "hook-1", "secret": "other"})
    assert (delivery.outcome, delivery.provider_code) == (Outcome.GIVE_UP, "19021")


def test_feishu_old_bots_status_code_answer_counts(feishu: tuple[Feishu, str]) -> None:
    fake, base_url = feishu
    fake.replies.append(Reply(200, {"Extra": None, "StatusCode": 0, "StatusMessage": "success"}))
    delivery = send("feishu", {"base_url": base_url, "token": "hook-1", "secret": "fs-secret"})
    assert delivery.outcome is Outcome.SENT


@pytest.mark.parametrize(
    ("reply", "outcome", "code"),
    [
        (Reply(200, {"code": 11232, "msg": "frequency limited"}), Outcome.RETRY, "11232"),
        (Reply(200, {"code": 9499, "msg": "too many request"}), Outcome.RETRY, "9499"),
        (
            Reply(
                429,
                {"code": 99991400, "msg": "request trigger frequency limit"},
                {"retry-after": "3"},
            ),
            Outcome.RETRY,
            "99991400",
        ),
        (Reply(200, {"code": 9499, "msg": "Bad Request"}), Outcome.GIVE_UP, "9499"),
        (Reply(200, {"code": 19024, "msg": "Key Words Not Found"}), Outcome.GIVE_UP, "19024"),
    ],
)
def test_feishu_answer_codes(
    feishu: tuple[Feishu, str], reply: Reply, outcome: Outcome, code: str
) -> None:
    fake, base_url = feishu
    settings = {"base_url": base_url, "token": "hook-1", "secret": "fs-secret"}
    assert answer(fake, "feishu", settings, reply)[:2] == (outcome, code)
