"""The Standard Webhooks notifier against a loopback consumer that verifies it per the spec."""

from __future__ import annotations

import base64
from collections.abc import Iterator

import pytest

from alerts.notifiers.base import Outcome
from alerts.notifiers.providers import notifier_for
from tests.alerts.fake_providers import CLIENT, Reply, WebhookReceiver, breach, serving

SECRET = "whsec_" + base64.b64encode(b"k" * 32).decode()


@pytest.fixture
def receiver() -> Iterator[tuple[WebhookReceiver, str]]:
    fake = WebhookReceiver(SECRET)
    with serving(fake) as base_url:
        yield fake, base_url + "/hooks/orderwatch?source=orderwatch"


def test_signed_delivery_carries_the_idempotency_key_on_every_attempt(
    receiver: tuple[WebhookReceiver, str],
) -> None:
    fake, url = receiver
    notifier = notifier_for("webhook", {"base_url": url, "secret": SECRET})
    fake.replies.append(Reply(503, {"error": "busy"}, {"retry-after": "7"}))
    first = notifier.send(breach(key="ntf-42"), CLIENT)
    second = notifier.send(breach(key="ntf-42"), CLIENT)
    assert (first.outcome, first.status_code, first.retry_after_s) == (Outcome.RETRY, 503, 7.0)
    assert (second.outcome, second.status_code) == (Outcome.SENT, 204)
    assert fake.refused == []
    assert [r.headers["webhook-id"] for r in fake.received] == ["ntf-42", "ntf-42"]
    assert (
        fake.received[1].path + "?" + fake.received[1].query
        == "/hooks/orderwatch?source=orderwatch"
    )
    body = fake.received[1].json()
    assert body["type"] == "alert.sla_breach"
    assert body["data"]["title"] == "37 单在 杭州仓 待拣货 超过 2 小时"
    assert body["data"]["params"]["warehouse"] == "杭州仓"


def test_a_key_holding_the_signature_delimiter_is_replaced_by_a_stable_digest(
    receiver: tuple[WebhookReceiver, str],
) -> None:
    fake, url = receiver
    notifier = notifier_for("webhook", {"base_url": url, "secret": SECRET})
    assert notifier.send(breach(key="alert.42"), CLIENT).outcome is Outcome.SENT
    assert notifier.send(breach(key="alert.42"), CLIENT).outcome is Outcome.SENT
    ids = {r.headers["webhook-id"] for r in fake.received}
    assert len(ids) == 1 and "." not in ids.pop()


def test_a_consumer_with_another_secret_refuses_and_we_give_up(
    receiver: tuple[WebhookReceiver, str],
) -> None:
    fake, url = receiver
    other = "whsec_" + base64.b64encode(b"x" * 32).decode()
    notifier = notifier_for("webhook", {"base_url": url, "secret": other})
    delivery = notifier.send(breach(key="ntf-42"), CLIENT)
    assert (delivery.outcome, delivery.status_code) == (Outcome.GIVE_UP, 401)
    assert fake.refused == ["bad signature"]


@pytest.mark.parametrize(
    ("reply", "outcome"),
    [
        (Reply(200, {"ok": True}), Outcome.SENT),
        (Reply(429, {}), Outcome.RETRY),
        (Reply(500, {}), Outcome.RETRY),
        (Reply(502, b"<html>bad gateway</html>"), Outcome.RETRY),
        (Reply(410, {}), Outcome.GIVE_UP),
        (Reply(400, {}), Outcome.GIVE_UP),
        (Reply(301, b"", {"location": "https://elsewhere.example/"}), Outcome.GIVE_UP),
    ],
)
def test_answers_are_classified_by_status(
    receiver: tuple[WebhookReceiver, str], reply: Reply, outcome: Outcome
) -> None:
    fake, url = receiver
    fake.replies.append(reply)
    notifier = notifier_for("webhook", {"base_url": url, "secret": SECRET})
    delivery = notifier.send(breach(key="ntf-42"), CLIENT)
    assert (delivery.outcome, delivery.status_code) == (outcome, reply.status)
