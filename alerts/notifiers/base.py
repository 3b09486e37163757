"""What every notifier speaks: a message in, a classified delivery out.

The deliverer (``alerts`` outbox) hands a notifier one ``Message`` and an ``httpx.Client``;
the notifier signs and sends it the way its provider documents and answers with a
``Delivery``. A notifier never raises for what the provider or the network did: it classifies
the answer as SENT, RETRY (rate limited, 5xx, timeout, refused connection) or GIVE_UP
(invalid signature or key, template not approved, bad number) and keeps the provider's code.

Receivers are stored as ``(kind, settings)``; ``providers.notifier_for`` validates the settings
with the provider's pydantic model.
"""

from __future__ import annotations

from abc import abstractmethod
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

import httpx
from pydantic import BaseModel, ConfigDict, Field


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
