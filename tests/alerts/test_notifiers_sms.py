"""Aliyun, Tencent and Twilio SMS notifiers against loopback fakes that verify them as the
providers do: Aliyun recomputes the RPC v1 signature from the form it received and refuses
a reused nonce; Tencent recomputes TC3-HMAC-SHA256 from the Host and bytes it received;
Twilio checks Basic auth and the Messages API fields."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs

import pytest

from alerts.notifiers.base import Outcome
from alerts.notifiers.templates import compose
from tests.alerts.fake_providers import (
    Aliyun,
    Reply,
    Tencent,
    Twilio,
    answer,
    breach,
    hosted,
    send,
)

ACCOUNT = "AC" + "a" * 32
API_KEY = "SK" + "b" * 32


LONG_SITE = breach(warehouse="杭州仓（西湖区二号库）")


# --- Aliyun ---------------------------------------------------------------------------------


@pytest.fixture
def aliyun() -> Iterator[tuple[Aliyun, dict[str, Any]]]:
    fake = Aliyun("LTAI-id", "ali-secret", "SMS_71390007", {"count", "site"})
    yield from hosted(
        fake,
        {
            "access_key_id": "LTAI-id",
            "access_key_secret": "ali-secret",
            "sign_name": "阿里云短信测试",
            "template_code": "SMS_71390007",
            "template_params": {"count": "count", "site": "warehouse"},
            "phone": "+8613800138000",
            "max_param_chars": 6,
        },
    )


def test_aliyun_sends_the_approved_template_with_its_parameters(
    aliyun: tuple[Aliyun, dict[str, Any]],
) -> None:
    fake, settings = aliyun
    first, second = send("aliyun_sms", settings, LONG_SITE), send("aliyun_sms", settings)
    assert (first.outcome, first.provider_code, first.detail) == (
        Outcome.SENT,
        "OK",
        "BizId 9006^0",
    )
    assert second.outcome is Outcome.SENT  # a fresh SignatureNonce each time
    assert fake.refused == []
    form = {k: v[0] for k, v in parse_qs(fake.received[0].body.decode()).items()}
    assert form["PhoneNumbers"] == "13800138000"
    assert json.loads(form["TemplateParam"]) == {"count": "37", "site": "杭州仓（西…"}


def test_aliyun_international_numbers_keep_their_country_code(
    aliyun: tuple[Aliyun, dict[str, Any]],
) -> None:
    fake, settings = aliyun
    send("aliyun_sms", settings | {"phone": "+85261234567"})
    assert parse_qs(fake.received[0].body.decode())["PhoneNumbers"] == ["85261234567"]


def test_aliyun_wrong_secret_is_signature_does_not_match(
    aliyun: tuple[Aliyun, dict[str, Any]],
) -> None:
    _, settings = aliyun
    delivery = send("aliyun_sms", settings | {"access_key_secret": "wrong"})
    assert (delivery.outcome, delivery.status_code, delivery.provider_code) == (
        Outcome.GIVE_UP,
        400,
        "SignatureDoesNotMatch",
    )


def test_aliyun_unapproved_template_gives_up(aliyun: tuple[Aliyun, dict[str, Any]]) -> None:
    _, settings = aliyun
    delivery = send("aliyun_sms", settings | {"template_code": "SMS_1"})
    assert (delivery.outcome, delivery.provider_code) == (
        Outcome.GIVE_UP,
        "isv.SMS_TEMPLATE_ILLEGAL",
    )


def test_aliyun_missing_message_parameter_is_named_and_nothing_is_sent(
    aliyun: tuple[Aliyun, dict[str, Any]],
) -> None:
    fake, settings = aliyun
    delivery = send("aliyun_sms", settings | {"template_params": {"code": "sku"}})
    assert delivery.outcome is Outcome.GIVE_UP
    assert "'sku'" in delivery.detail and "sla_breach" in delivery.detail
    assert fake.received == []


@pytest.mark.parametrize(
    ("code", "text", "outcome", "wait"),
    [
        ("isv.BUSINESS_LIMIT_CONTROL", "触发分钟级流控Permits:1", Outcome.RETRY, 60.0),
        ("isv.BUSINESS_LIMIT_CONTROL", "触发小时级流控Permits:5", Outcome.RETRY, 3600.0),
        ("isv.BUSINESS_LIMIT_CONTROL", "触发天级流控Permits:10", Outcome.RETRY, 86400.0),
        ("isp.SYSTEM_ERROR", "system error", Outcome.RETRY, None),
        ("Throttling.User", "Request was denied due to user flow control.", Outcome.RETRY, None),
        ("isv.MOBILE_NUMBER_ILLEGAL", "非法手机号", Outcome.GIVE_UP, None),
        ("isv.SMS_TEMPLATE_ILLEGAL", "模板不合法", Outcome.GIVE_UP, None),
        ("isv.DAY_LIMIT_CONTROL", "触发日发送限额", Outcome.GIVE_UP, None),
        ("isv.AMOUNT_NOT_ENOUGH", "账户余额不足", Outcome.GIVE_UP, None),
    ],
)
def test_aliyun_answer_codes(
    aliyun: tuple[Aliyun, dict[str, Any]],
    code: str,
    text: str,
    outcome: Outcome,
    wait: float | None,
) -> None:
    fake, settings = aliyun
    reply = Reply(200, {"Code": code, "Message": text, "RequestId": "R"})
    assert answer(fake, "aliyun_sms", settings, reply) == (outcome, code, wait)


# --- Tencent --------------------------------------------------------------------------------


@pytest.fixture
def tencent() -> Iterator[tuple[Tencent, dict[str, Any]]]:
    fake = Tencent("AKID-1", "tc-secret")
    yield from hosted(
        fake,
        {
            "secret_id": "AKID-1",
            "secret_key": "tc-secret",
            "sdk_app_id": "1400006666",
            "sign_name": "腾讯云",
            "template_id": "1234",
            "template_params": ["count", "stage"],
            "phone": "+8613711112222",
        },
    )


def test_tencent_signs_for_tencents_host_through_a_gateway(
    tencent: tuple[Tencent, dict[str, Any]],
) -> None:
    fake, settings = tencent
    delivery = send("tencent_sms", settings)
    assert (delivery.outcome, delivery.provider_code, fake.refused) == (Outcome.SENT, "Ok", [])
    request = fake.received[0]
    assert request.headers["host"] == "sms.tencentcloudapi.com"
    body = request.json()
    assert body["PhoneNumberSet"] == ["+8613711112222"]
    assert body["TemplateParamSet"] == ["37", "待拣货"]
    assert body["SessionContext"] == "ntf-1"


def test_tencent_wrong_key_is_a_signature_failure(tencent: tuple[Tencent, dict[str, Any]]) -> None:
    _, settings = tencent
    delivery = send("tencent_sms", settings | {"secret_key": "wrong"})
    assert (delivery.outcome, delivery.provider_code) == (
        Outcome.GIVE_UP,
        "AuthFailure.SignatureFailure",
    )


@pytest.mark.parametrize(
    ("reply", "outcome", "code", "wait"),
    [
        (
            Tencent.status("+8613711112222", "LimitExceeded.PhoneNumberOneHourLimit", "1h"),
            Outcome.RETRY,
            "LimitExceeded.PhoneNumberOneHourLimit",
            3600.0,
        ),
        (
            Tencent.status("+8613711112222", "LimitExceeded.DeliveryFrequencyLimit", "freq"),
            Outcome.RETRY,
            "LimitExceeded.DeliveryFrequencyLimit",
            None,
        ),
        (
            Tencent.status("+8613711112222", "InvalidParameterValue.IncorrectPhoneNumber", "bad"),
            Outcome.GIVE_UP,
            "InvalidParameterValue.IncorrectPhoneNumber",
            None,
        ),
        (
            {
                "Response": {
                    "Error": {
                        "Code": "FailedOperation.TemplateUnapprovedOrNotExist",
                        "Message": "模板未审批或不存在",
                    },
                    "RequestId": "R",
                }
            },
            Outcome.GIVE_UP,
            "FailedOperation.TemplateUnapprovedOrNotExist",
            None,
        ),
        (
            {
                "Response": {
                    "Error": {"Code": "InternalError.Timeout", "Message": "t"},
                    "RequestId": "R",
                }
            },
            Outcome.RETRY,
            "InternalError.Timeout",
            None,
        ),
        (
            {
                "Response": {
                    "Error": {"Code": "RequestLimitExceeded", "Message": "t"},
                    "RequestId": "R",
                }
            },
            Outcome.RETRY,
            "RequestLimitExceeded",
            None,
        ),
    ],
)
def test_tencent_answer_codes(
    tencent: tuple[Tencent, dict[str, Any]],
    reply: dict[str, Any],
    outcome: Outcome,
    code: str,
    wait: float | None,
) -> None:
    fake, settings = tencent
    reply = Reply(200, reply)
    assert answer(fake, "tencent_sms", settings, reply) == (outcome, code, wait)


# --- Twilio ---------------------------------------------------------------------------------


@pytest.fixture
def twilio() -> Iterator[tuple[Twilio, dict[str, Any]]]:
    fake = Twilio(ACCOUNT, "tw-token", (API_KEY, "key-secret"))
    yield from hosted(
        fake,
        {
            "account_sid": ACCOUNT,
            "auth_token": "tw-token",
            "from_number": "+15005550006",
            "to": "+14155550100",
        },
    )


def test_twilio_sends_free_text_within_1600_characters(
    twilio: tuple[Twilio, dict[str, Any]],
) -> None:
    fake, settings = twilio
    long = compose(
        idempotency_key="ntf-8",
        kind="channel_failing",
        severity="warning",
        lang="en",
        facts={"channel": "taobao", "error": "x" * 5000},
        url=None,
    )
    delivery = send("twilio_sms", settings, long)
    assert (delivery.outcome, delivery.status_code, delivery.provider_code) == (
        Outcome.SENT,
        201,
        "queued",
    )
    assert fake.refused == []
    body = parse_qs(fake.received[0].body.decode())["Body"][0]
    assert len(body) == 1600 and body.startswith("Channel taobao is failing to sync\n")


def test_twilio_wrong_token_gives_up_on_20003(twilio: tuple[Twilio, dict[str, Any]]) -> None:
    _, settings = twilio
    delivery = send("twilio_sms", settings | {"auth_token": "wrong"})
    assert (delivery.outcome, delivery.status_code, delivery.provider_code) == (
        Outcome.GIVE_UP,
        401,
        "20003",
    )


@pytest.mark.parametrize(
    ("reply", "outcome", "wait"),
    [
        (Twilio.error(429, 20429, "Too Many Requests", **{"retry-after": "2"}), Outcome.RETRY, 2.0),
        (Twilio.error(503, 20500, "Internal Server Error"), Outcome.RETRY, None),
        (
            Twilio.error(400, 21211, "The 'To' number is not a valid phone number."),
            Outcome.GIVE_UP,
            None,
        ),
        (
            Twilio.error(400, 21610, "Attempt to send to unsubscribed recipient"),
            Outcome.GIVE_UP,
            None,
        ),
    ],
)
def test_twilio_answer_codes(
    twilio: tuple[Twilio, dict[str, Any]], reply: Reply, outcome: Outcome, wait: float | None
) -> None:
    fake, settings = twilio
    reply = reply
    assert answer(fake, "twilio_sms", settings, reply) == (outcome, str(reply.body["code"]), wait)


def test_twilio_messaging_service_with_an_api_key(twilio: tuple[Twilio, dict[str, Any]]) -> None:
    fake, settings = twilio
    sms = settings | {
        "auth_token": None,
        "api_key_sid": API_KEY,
        "api_key_secret": "key-secret",
        "from_number": None,
        "messaging_service_sid": "MG" + "c" * 32,
        "status_callback": "https://console.example/twilio/status",
    }
    delivery = send("twilio_sms", sms)
    assert (delivery.outcome, fake.refused) == (Outcome.SENT, [])
    form = parse_qs(fake.received[0].body.decode())
    assert form["MessagingServiceSid"] == ["MG" + "c" * 32]
    assert form["StatusCallback"] == ["https://console.example/twilio/status"]
    assert "From" not in form
