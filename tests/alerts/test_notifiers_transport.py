"""What no provider answered: every notifier turns a refused connection, a timeout and a
proxy's error page into a delivery (never an exception), retried where a retry can help."""

from __future__ import annotations

import base64
import socket
from collections.abc import Iterator
from typing import Any

import pytest

from alerts.notifiers.base import Outcome
from alerts.notifiers.providers import notifier_for
from alerts.notifiers.templates import compose
from tests.alerts.fake_providers import CLIENT, FakeProvider, Received, Reply, serving

SETTINGS: dict[str, dict[str, Any]] = {
    "webhook": {"secret": "whsec_" + base64.b64encode(b"k" * 32).decode()},
    "dingtalk": {"access_token": "t", "secret": "SECabc"},
    "wecom": {"key": "k"},
    "feishu": {"token": "t", "secret": "s"},
    "aliyun_sms": {
        "access_key_id": "id",
        "access_key_secret": "s",
        "sign_name": "签名",
        "template_code": "SMS_1",
        "phone": "+8613800138000",
        "template_params": {"n": "count"},
    },
    "tencent_sms": {
        "secret_id": "id",
        "secret_key": "k",
        "sdk_app_id": "1",
        "template_id": "2",
        "phone": "+8613800138000",
        "template_params": ["count"],
    },
    "twilio_sms": {
        "account_sid": "AC" + "a" * 32,
        "auth_token": "t",
        "to": "+14155550100",
        "from_number": "+15005550006",
    },
}
MESSAGE = compose(
    idempotency_key="k",
    kind="orders_quarantined",
    severity="warning",
    lang="zh",
    facts={"count": "3", "channel": "jd", "reason": "金额不符"},
    url=None,
)


class Scripted(FakeProvider):
    """No checks: answers whatever the test scripted (a proxy in front of the provider)."""

    def check(self, request: Received) -> str | None:
        return None

    def success(self, request: Received) -> Reply:
        raise AssertionError("every answer is scripted")


@pytest.fixture
def proxy() -> Iterator[tuple[Scripted, str]]:
    fake = Scripted()
    with serving(fake) as base_url:
        yield fake, base_url


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


@pytest.mark.parametrize("kind", sorted(SETTINGS))
def test_connection_refused_is_retried(kind: str) -> None:
    notifier = notifier_for(
        kind, SETTINGS[kind] | {"base_url": f"http://127.0.0.1:{closed_port()}"}
    )
    delivery = notifier.send(MESSAGE, CLIENT)
    assert (delivery.outcome, delivery.status_code) == (Outcome.RETRY, None)
    assert delivery.detail.startswith("unreachable")


@pytest.mark.parametrize("kind", sorted(SETTINGS))
def test_a_timeout_is_retried(kind: str, proxy: tuple[Scripted, str]) -> None:
    fake, base_url = proxy
    fake.replies.append(Reply(stall=True))
    notifier = notifier_for(kind, SETTINGS[kind] | {"base_url": base_url, "timeout_s": 0.2})
    delivery = notifier.send(MESSAGE, CLIENT)
    assert (delivery.outcome, delivery.detail) == (Outcome.RETRY, "timed out: ReadTimeout")


@pytest.mark.parametrize("kind", sorted(SETTINGS))
@pytest.mark.parametrize(("status", "outcome"), [(502, Outcome.RETRY), (403, Outcome.GIVE_UP)])
def test_a_proxy_error_page_is_classified_by_its_status(
    kind: str, status: int, outcome: Outcome, proxy: tuple[Scripted, str]
) -> None:
    fake, base_url = proxy
    fake.replies.append(Reply(status, b"<html><body>gateway says no</body></html>"))
    notifier = notifier_for(kind, SETTINGS[kind] | {"base_url": base_url})
    delivery = notifier.send(MESSAGE, CLIENT)
    assert (delivery.outcome, delivery.status_code, delivery.provider_code) == (
        outcome,
        status,
        None,
    )
    assert "gateway says no" in delivery.detail
