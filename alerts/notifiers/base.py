"""What every notifier speaks: a message in, a classified delivery out.

The deliverer (``alerts`` outbox) hands a notifier one ``Message`` and an ``httpx.Client``;
the notifier signs and sends it the way its provider documents and answers with a
``Delivery``. A notifier never raises for what the provider or the network did: it classifies
the answer as SENT, RETRY (rate limited, 5xx, timeout, refused connection) or GIVE_UP
(invalid signature or key, template not approved, bad number) and keeps the provider's code.

Receivers are stored as ``(kind, settings)``; ``notifier_for`` validates the settings with the
provider's pydantic model and refuses bad ones with one precise line per problem.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol

import httpx
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from store.errors import InvalidInput


@dataclass(frozen=True)
class Message:
    """What a notifier sends; ``params`` are the template parameters SMS providers fill."""

    idempotency_key: str
    kind: str
    severity: str
    title: str
    text: str
    lang: str
    url: str | None  # the console link
    params: dict[str, str]


class Outcome(StrEnum):
    SENT = "sent"
    RETRY = "retry"
    GIVE_UP = "give_up"


@dataclass(frozen=True)
class Delivery:
    outcome: Outcome
    status_code: int | None
    provider_code: str | None
    detail: str
    retry_after_s: float | None = None


class Notifier(Protocol):
    def send(self, message: Message, client: httpx.Client) -> Delivery: ...


class InvalidReceiver(InvalidInput):
    """Receiver settings that no provider would accept."""

    code = "invalid_receiver"


class ReceiverSettings(BaseModel):
    """Fields every provider's settings share; each provider's model adds its own."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    base_url: str = Field(
        pattern=r"^https?://[^\s/?#]+(/[^\s?#]*)?$",
        description="The provider's address, or a proxy, private gateway or test server.",
    )
    timeout_s: float = Field(default=10.0, gt=0, le=60)

    def endpoint(self, path: str) -> str:
        return self.base_url.rstrip("/") + path

    @abstractmethod
    def send(self, message: Message, client: httpx.Client) -> Delivery:
        """Sign and send ``message``; never raises for what the provider or network did."""


def notifier_for(kind: str, settings: Mapping[str, Any]) -> Notifier:
    """The notifier for a receiver's stored ``settings``, validated by its provider's model."""
    # The provider modules import this one for the types above, so their table is read here.
    from alerts.notifiers.providers import PROVIDERS

    model = PROVIDERS.get(kind)
    if model is None:
        known = ", ".join(sorted(PROVIDERS))
        raise InvalidReceiver(f"unknown receiver kind {kind!r} (known: {known})")
    try:
        return model.model_validate(dict(settings))
    except ValidationError as error:
        raise InvalidReceiver(f"{kind} receiver: {problems(error)}") from None


def problems(error: ValidationError) -> str:
    """``field: problem`` for every error, without pydantic's URLs and input echoes (secrets)."""
    lines = []
    for item in error.errors(include_url=False, include_input=False):
        where = ".".join(str(part) for part in item["loc"]) or "settings"
        lines.append(f"{where}: {item['msg']}")
    return "; ".join(lines)
