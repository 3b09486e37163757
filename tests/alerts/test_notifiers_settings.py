"""Receiver settings are validated per provider with precise errors; templates per kind."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from alerts.notifiers.providers import InvalidReceiver, notifier_for
from alerts.notifiers.templates import TEMPLATES, TemplateError, compose, fields

WHSEC = "whsec_" + base64.b64encode(b"k" * 32).decode()
ALIYUN = {
    "access_key_id": "LTAI-id",
    "access_key_secret": "s",
    "sign_name": "签名",
    "template_code": "SMS_1",
    "phone": "+8613800138000",
}
TENCENT = {
    "secret_id": "AKID",
    "secret_key": "k",
    "sdk_app_id": "1400006666",
    "template_id": "1234",
    "phone": "+8613800138000",
}
TWILIO = {
    "account_sid": "AC" + "a" * 32,
    "auth_token": "t",
    "to": "+14155550100",
    "from_number": "+15005550006",
}


@pytest.mark.parametrize(
    ("kind", "settings", "problem"),
    [
        ("pager", {}, "unknown receiver kind 'pager' (known: aliyun_sms, dingtalk"),
        (
            "webhook",
            {"base_url": "https://x.example/h", "secret": "abc"},
            "secret: Value error, must start with 'whsec_'",
        ),
        (
            "webhook",
            {
                "base_url": "https://x.example/h",
                "secret": "whsec_" + base64.b64encode(b"short").decode(),
            },
            "secret: Value error, must hold 24 to 64 random bytes",
        ),
        ("webhook", {"base_url": "ftp://x.example", "secret": WHSEC}, "base_url: String should"),
        ("webhook", {"secret": WHSEC}, "base_url: Field required"),
        (
            "dingtalk",
            {"access_token": "t", "secret": "nope"},
            "secret: Value error, a DingTalk signing secret starts with 'SEC'",
        ),
        ("dingtalk", {"access_token": "t", "msgtype": "feedCard"}, "msgtype: Input should be"),
        (
            "dingtalk",
            {"access_token": "t", "at_mobiles": ["138-0013"]},
            "at_mobiles: Value error, '138-0013' is not a mobile number",
        ),
        ("wecom", {}, "key: Field required"),
        ("wecom", {"key": "k", "colour": "red"}, "colour: Extra inputs are not permitted"),
        ("aliyun_sms", ALIYUN | {"phone": "13800138000"}, "phone: String should match pattern"),
        (
            "aliyun_sms",
            ALIYUN | {"template_params": {"name": "shop"}},
            "template_params: Value error, unknown message parameter shop (known: available",
        ),
        ("aliyun_sms", ALIYUN | {"template_code": "1234"}, "template_code: String should match"),
        ("tencent_sms", TENCENT | {"phone": "+86 138"}, "phone: String should match pattern"),
        (
            "tencent_sms",
            TENCENT | {"template_params": ["count", "nope"]},
            "template_params: Value error, unknown message parameter nope",
        ),
        (
            "twilio_sms",
            TWILIO | {"messaging_service_sid": "MG" + "c" * 32},
            "Value error, give exactly one of from_number and messaging_service_sid",
        ),
        (
            "twilio_sms",
            TWILIO | {"auth_token": None},
            "Value error, give either auth_token or both api_key_sid and api_key_secret",
        ),
        ("twilio_sms", TWILIO | {"to": "+0123"}, "to: String should match pattern"),
    ],
)
def test_bad_settings_are_refused_with_the_field_and_the_problem(
    kind: str, settings: dict[str, Any], problem: str
) -> None:
    with pytest.raises(InvalidReceiver) as refused:
        notifier_for(kind, settings)
    assert problem in str(refused.value)


def test_refusals_never_echo_a_secret() -> None:
    with pytest.raises(InvalidReceiver) as refused:
        notifier_for("dingtalk", {"access_token": "t", "secret": "top-secret-value"})
    assert "top-secret-value" not in str(refused.value)


@pytest.mark.parametrize(
    ("kind", "settings"),
    [
        ("webhook", {"base_url": "https://x.example/h", "secret": WHSEC}),
        ("dingtalk", {"access_token": "t", "secret": "SECabc"}),
        ("wecom", {"key": "k"}),
        ("feishu", {"token": "t", "base_url": "https://open.larksuite.com"}),
        ("aliyun_sms", ALIYUN),
        ("tencent_sms", TENCENT),
        ("twilio_sms", TWILIO),
    ],
)
def test_good_settings_build_a_notifier_that_hides_its_secrets(
    kind: str, settings: dict[str, Any]
) -> None:
    notifier = notifier_for(kind, settings)
    assert callable(notifier.send)
    for secret in ("SECabc", "whsec_", "'k'", "'t'", "'s'"):
        assert secret not in repr(notifier)


@pytest.mark.parametrize("kind", sorted(TEMPLATES))
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_kind_has_both_languages_with_the_same_facts(kind: str, lang: str) -> None:
    other = TEMPLATES[kind]["en" if lang == "zh" else "zh"]
    mine = TEMPLATES[kind][lang]
    assert fields(mine.title) | fields(mine.text) == fields(other.title) | fields(other.text)


def test_compose_fills_the_template_and_the_sms_parameters() -> None:
    message = compose(
        idempotency_key="k",
        kind="stock_low",
        severity="warning",
        lang="en",
        facts={"sku": "SKU-1", "warehouse": "Hangzhou", "available": "3", "threshold": "10"},
        url=None,
        resolved=True,
    )
    assert message.title == "Resolved: SKU-1 below safety stock at Hangzhou"
    assert message.text == "Available 3, safety stock 10"
    assert message.params["severity"] == "Warning"
    assert message.params["sku"] == "SKU-1"


@pytest.mark.parametrize(("count", "title"), [("1", "1 order"), ("3", "3 orders")])
def test_an_english_title_says_one_order_or_several(count: str, title: str) -> None:
    facts = {"count": count, "stage": "Awaiting pick", "warehouse": "SH-01", "threshold": "2 h",
             "longest": "3 h", "orders": "OW1"}  # fmt: skip
    message = compose(
        idempotency_key="k", kind="sla_breach", severity="warning", lang="en", facts=facts, url=None
    )
    assert message.title == f"{title} in Awaiting pick at SH-01 for over 2 h"


def test_a_missing_fact_is_named() -> None:
    with pytest.raises(TemplateError, match=r"template stock_low \(zh\) needs available, sku"):
        compose(
            idempotency_key="k",
            kind="stock_low",
            severity="warning",
            lang="zh",
            facts={"warehouse": "杭州仓", "threshold": "10"},
            url=None,
        )


def test_unknown_kind_and_language_are_refused() -> None:
    with pytest.raises(TemplateError, match="no template for alert kind 'weather'"):
        compose(idempotency_key="k", kind="weather", severity="info", lang="zh", facts={}, url=None)
    with pytest.raises(TemplateError, match="unknown language 'fr'"):
        compose(idempotency_key="k", kind="test", severity="info", lang="fr", facts={}, url=None)
