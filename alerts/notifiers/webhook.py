"""Generic webhooks signed per Standard Webhooks (standard-webhooks/standard-webhooks,
``spec/standard-webhooks.md``).

Headers ``webhook-id`` (the message's idempotency key, the same on every attempt, so the
receiver can drop a repeat), ``webhook-timestamp`` (unix seconds of this attempt) and
``webhook-signature`` = ``v1,`` + base64(HMAC-SHA256(key, f"{id}.{timestamp}.{body}")) where
the key is the base64 after the secret's ``whsec_`` prefix. 2xx is delivered; 429 and 5xx are
retried (honouring ``Retry-After``); any other answer, 410 Gone included, gives up.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import time
from datetime import UTC, datetime

import httpx
from pydantic import Field, field_validator

from alerts.notifiers.base import Delivery, Message, ReceiverSettings
from alerts.notifiers.http import by_status, excerpt, exchange
from alerts.notifiers.text import Secret, clip_bytes

PREFIX = "whsec_"
# The spec asks senders to keep payloads small; 20 KB leaves room for the envelope.
TEXT_LIMIT_BYTES = 16_000


def signature(secret: str, msg_id: str, timestamp: int, body: str) -> str:
    """The ``webhook-signature`` value for one attempt."""
    key = base64.b64decode(secret.removeprefix(PREFIX))
    content = f"{msg_id}.{timestamp}.{body}".encode()
    digest = hmac.new(key, content, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def webhook_id(idempotency_key: str) -> str:
    """The key itself, unless it holds the spec's delimiter '.': then a digest of it."""
    if "." not in idempotency_key:
        return idempotency_key
    return "msg_" + hashlib.sha256(idempotency_key.encode()).hexdigest()[:32]


class StandardWebhook(ReceiverSettings):
    base_url: str = Field(
        pattern=r"^https?://[^\s/?#]+(/[^\s#]*)?$",
        description="The endpoint itself; unlike a provider's base URL it may carry a query.",
    )
    secret: Secret

    @field_validator("secret")
    @classmethod
    def _whsec(cls, value: Secret) -> Secret:
        raw = value.get_secret_value()
        if not raw.startswith(PREFIX):
            raise ValueError(f"must start with {PREFIX!r}")
        try:
            key = base64.b64decode(raw.removeprefix(PREFIX), validate=True)
        except binascii.Error:
            raise ValueError(f"must be {PREFIX!r} followed by base64") from None
        if not 24 <= len(key) <= 64:
            raise ValueError("must hold 24 to 64 random bytes")
        return value

    def send(self, message: Message, client: httpx.Client) -> Delivery:
        now = time.time()
        msg_id = webhook_id(message.idempotency_key)
        body = payload(message, datetime.fromtimestamp(now, UTC))
        timestamp = int(now)
        headers = {
            "content-type": "application/json",
            "webhook-id": msg_id,
            "webhook-timestamp": str(timestamp),
            "webhook-signature": signature(self.secret.get_secret_value(), msg_id, timestamp, body),
        }
        request = client.build_request(
            "POST", self.base_url, content=body.encode(), headers=headers, timeout=self.timeout_s
        )
        answer = exchange(client, request)
        if isinstance(answer, Delivery):
            return answer
        return by_status(answer, None, f"HTTP {answer.status_code} {excerpt(answer)}".strip())


def payload(message: Message, now: datetime) -> str:
    """The JSON body: the spec's ``type``/``timestamp``/``data`` envelope around the message."""
    data = {
        "idempotency_key": message.idempotency_key,
        "kind": message.kind,
        "severity": message.severity,
        "title": message.title,
        "text": clip_bytes(message.text, TEXT_LIMIT_BYTES),
        "lang": message.lang,
        "url": message.url,
        "params": message.params,
    }
    envelope = {
        "type": f"alert.{message.kind}",
        "timestamp": now.isoformat().replace("+00:00", "Z"),
        "data": data,
    }
    return json.dumps(envelope, ensure_ascii=False, separators=(",", ":"))
