"""What every platform's HTTP message push (消息推送) shares: the request as it arrived, the
messages read from it, and the ways it is refused.

A push only ever names orders: orderwatch fetches each named order from the platform through
the channel's connector and applies what the platform answers. A forged or stale message can
therefore at worst make orderwatch read an order again; it can never write a value itself.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from store.errors import DomainError


@dataclass(frozen=True, slots=True)
class PushRequest:
    """One HTTP push exactly as it arrived (headers with lower-case names)."""

    paths: tuple[str, ...]
    """The URL path the platform called, as the server saw it; behind a mount it can be seen
    with or without the mount prefix, so every spelling is tried when a path is signed."""
    query: Mapping[str, str]
    headers: Mapping[str, str]
    body: bytes = field(repr=False)


@dataclass(frozen=True, slots=True)
class PushMessage:
    """One message of a push: its type and the platform order it is about, if any."""

    tag: str
    order_id: str | None
    message_id: str | None = None


class PushRefused(DomainError):
    """The push is not signed by the platform with this channel's credentials."""

    code = "invalid_signature"


class MalformedPush(DomainError):
    """The push body does not have the shape the platform documents."""

    code = "malformed_push"


class PushNotOffered(DomainError):
    """The channel's platform does not deliver messages by HTTP push."""

    code = "push_not_offered"


class PushProtocol(Protocol):
    """One platform's push: how it is signed, what it carries, what it expects back."""

    platform: str

    def verify(self, request: PushRequest, *, app_key: str, app_secret: str) -> None:
        """Raise ``PushRefused`` unless the platform signed ``request``."""

    def messages(self, request: PushRequest) -> list[PushMessage]:
        """The messages of a verified push; raises ``MalformedPush``."""

    def acknowledgement(self) -> dict[str, Any]:
        """The body the platform reads as "received"."""


def same_digest(expected: str, given: str) -> bool:
    """Constant-time comparison of two hex digests (case-insensitive)."""
    return hmac.compare_digest(expected.lower().encode(), given.strip().lower().encode())


def header(request: PushRequest, name: str) -> str:
    """A required header, or ``PushRefused`` naming it."""
    value = request.headers.get(name, "").strip()
    if not value:
        raise PushRefused(f"the push has no {name!r} header, so it cannot be verified")
    return value


def order_id_text(value: Any) -> str | None:
    """A platform order id as text (ids are int64 on some platforms, text on others)."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        return None
    text = str(value).strip()
    return text or None


def require_app_key(request_key: str, app_key: str) -> None:
    if not hmac.compare_digest(request_key.encode(), app_key.encode()):
        raise PushRefused("the push is for another app key than this channel's")


def as_mapping(value: Any, what: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise MalformedPush(f"{what} is not a JSON object")
    return value
