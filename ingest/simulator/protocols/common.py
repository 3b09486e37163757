"""What every simulated protocol shares: the request it sees and how it refuses."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol
from urllib.parse import parse_qsl

from ingest.channels.base import MalformedPayload

Answer = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Credentials:
    app_key: str = "sim"
    app_secret: str = "sim-secret"  # noqa: S105 - the simulator's documented default


@dataclass(frozen=True, slots=True)
class Request:
    path: str
    """The part after the platform's base path (``""`` for single-gateway platforms)."""
    query: Mapping[str, str]
    body: bytes
    headers: Mapping[str, str]

    def form(self) -> dict[str, str]:
        return dict(parse_qsl(self.body.decode("utf-8", "replace"), keep_blank_values=True))

    def json(self) -> dict[str, Any]:
        try:
            data = json.loads(self.body or b"{}")
        except ValueError:
            return {}
        return data if isinstance(data, dict) else {}


class ProtocolError(Exception):
    """A refusal in the platform's own envelope."""

    def __init__(self, body: Answer, status: int = 200) -> None:
        super().__init__(json.dumps(body, ensure_ascii=False)[:200])
        self.body = body
        self.status = status


class PlatformApi(Protocol):
    """One platform's API as the simulator serves it."""

    platform: str

    def params(self, request: Request) -> dict[str, Any]: ...

    def check(self, params: Mapping[str, Any]) -> None: ...

    def is_read(self, params: Mapping[str, Any]) -> bool: ...

    def window(self, params: Mapping[str, Any]) -> tuple[datetime, datetime] | None: ...

    def rate_limited(self) -> Answer: ...

    def busy(self) -> Answer: ...

    def handle(self, params: Mapping[str, Any], *, corrupt: bool) -> Answer: ...


def parsed(parse: Any, value: Any, key: str, refusal: Answer) -> Any:
    """``parse(value, key)``, or the platform's refusal of a bad argument."""
    try:
        return parse(value, key)
    except MalformedPayload:
        raise ProtocolError(refusal) from None
