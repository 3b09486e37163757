"""Alert receivers' settings at rest (issue 14, finding 11): sealed like channel credentials,
so the stored value holds none of a provider's secrets; read back through the column, every
notifier still signs as its provider checks; and the engine's ticks never open a receiver's
settings, a delivery batch only those of the receivers it sends to."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from typing import Any

import pytest
from sqlalchemy import JSON, Engine, select, type_coerce
from sqlalchemy.orm import Session, sessionmaker

from alerts.config import AlertsSection, ReceiverConfig, apply_alerts
from alerts.notifiers.base import Outcome
from alerts.routing import load_routes
from store.db import make_engine, session_factory
from store.models import Receiver
from store.sealing import DEVELOPMENT_KEY, Keyring, attach
from tests.alerts.fake_providers import (
    Aliyun,
    DingTalk,
    FakeProvider,
    Feishu,
    WebhookReceiver,
    breach,
    send,
    serving,
)
from tests.alerts.pipeline import (
    PICK_DUE,
    SECRET,
    Pipeline,
    awaiting_pick,
    configure,
    consumer,
    route,
    webhook,
)
from tests.factories import T0, add_channel

KEY = "r" * 43
SECRETS = {
    "dingtalk": {"access_token": "ding-token-1", "secret": "SECding0123456789"},
    "feishu": {"token": "feishu-hook-1", "secret": "feishu-sign-secret"},
    "webhook": {"secret": SECRET},
    "aliyun_sms": {"access_key_id": "LTAI-id-1", "access_key_secret": "ali-secret-1"},
}
ALIYUN = {
    "sign_name": "阿里云短信测试",
    "template_code": "SMS_71390007",
    "template_params": {"count": "count", "site": "warehouse"},
    "phone": "+8613800138000",
}


def _fakes() -> dict[str, FakeProvider]:
    """One provider fake per kind, checking signatures made with ``SECRETS``."""
    ali = SECRETS["aliyun_sms"]
    return {
        "dingtalk": DingTalk(SECRETS["dingtalk"]["access_token"], SECRETS["dingtalk"]["secret"]),
        "feishu": Feishu(SECRETS["feishu"]["token"], SECRETS["feishu"]["secret"]),
        "webhook": WebhookReceiver(SECRET),
        "aliyun_sms": Aliyun(ali["access_key_id"], ali["access_key_secret"], "SMS_71390007",
                             {"count", "site"}),
    }  # fmt: skip


@pytest.fixture
def providers() -> Iterator[dict[str, tuple[FakeProvider, dict[str, Any]]]]:
    """Each fake served, with the settings of a receiver pointing at it."""
    with ExitStack() as stack:
        served = {}
        for kind, fake in _fakes().items():
            base_url = stack.enter_context(serving(fake))
            extra = ALIYUN if kind == "aliyun_sms" else {}
            served[kind] = (fake, {**SECRETS[kind], **extra, "base_url": base_url})
        yield served


@pytest.fixture
def sealed(engine: Engine) -> Iterator[sessionmaker[Session]]:
    """The store under a real secret key."""
    made = make_engine(engine.url.render_as_string(hide_password=False), keyring=Keyring.of(KEY))
    yield session_factory(made)
    made.dispose()


def test_receiver_secrets_are_sealed_at_rest_and_still_sign_after_the_round_trip(
    sealed: sessionmaker[Session], providers: dict[str, tuple[FakeProvider, dict[str, Any]]]
) -> None:
    receivers = tuple(
        ReceiverConfig(name=kind.replace("_", "-"), kind=kind, settings=settings)
        for kind, (_fake, settings) in providers.items()
    )
    with sealed.begin() as session:
        apply_alerts(session, AlertsSection(receivers=receivers), author="t")

    with sealed() as session:
        raw = type_coerce(Receiver.__table__.c.settings, JSON)  # the stored form
        stored: dict[str, Any] = dict(session.execute(select(Receiver.kind, raw)).all())
        opened = {r.kind: r.settings for r in session.scalars(select(Receiver))}
    for kind, (fake, settings) in providers.items():
        assert set(stored[kind]) == {"sealed"}
        assert not any(secret in str(stored[kind]) for secret in SECRETS[kind].values())
        assert opened[kind] == settings
        delivery = send(kind, opened[kind], breach())
        assert (kind, delivery.outcome, fake.refused) == (kind, Outcome.SENT, [])


class _Counting(Keyring):
    """The development keyring, counting the sealed values it opens."""

    def __init__(self) -> None:
        super().__init__([DEVELOPMENT_KEY])
        self.opened = 0

    def open(self, stored: dict[str, Any]) -> dict[str, Any]:
        self.opened += 1
        return super().open(stored)


@pytest.fixture
def counting(engine: Engine) -> _Counting:
    keyring = _Counting()
    attach(engine.dialect, keyring)
    return keyring


def test_ticks_open_no_receiver_settings_and_a_delivery_only_its_receivers(
    sessions: sessionmaker[Session], counting: _Counting
) -> None:
    add_channel(sessions)
    with consumer() as (fake, url):
        idle = webhook("idle", url)  # on no route: nothing is ever sent to it
        configure(sessions, [webhook("hook", url), idle], [route()])
        pipeline = Pipeline(sessions)
        orders = awaiting_pick(sessions, 3)
        counting.opened = 0

        with sessions() as session:  # what the console's lists and the routes read
            listed = [r.name for r in session.scalars(select(Receiver).order_by(Receiver.name))]
            routed = [r.name for route in load_routes(session) for r in route.levels[0]]
        pipeline.tick(T0, changed=tuple(orders))
        pipeline.tick(PICK_DUE)
        assert (listed, routed, len(pipeline.outbox()), counting.opened) == (
            ["hook", "idle"], ["hook"], 1, 0,
        )  # fmt: skip

        attempts = pipeline.deliver(PICK_DUE)
    assert [a.status for a in attempts] == ["sent"] and len(fake.accepted) == 1
    assert counting.opened == 1  # hook's settings, to sign the one message
