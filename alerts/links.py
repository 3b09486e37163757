"""Signed, expiring acknowledge links: whoever holds the message can acknowledge its group
without signing in, until the link expires.

A token is ``GROUP.EXPIRES.SIGNATURE``: the group id, the expiry in unix seconds and
base64url(HMAC-SHA256(ORDERWATCH_SECRET_KEY, "ack:GROUP.EXPIRES")). Changing either number
breaks the signature; a late click is told the link expired, not that it is invalid.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import UTC, datetime

from store.errors import DomainError

ACK_PATH = "/api/v1/alerts/ack/"


class LinkRefused(DomainError):
    """A forged, malformed or expired acknowledge link."""

    code = "link_refused"


def _signature(secret: str, payload: str) -> str:
    digest = hmac.new(secret.encode(), f"ack:{payload}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def ack_token(group_id: int, expires_at: datetime, secret: str) -> str:
    payload = f"{group_id}.{int(expires_at.timestamp())}"
    return f"{payload}.{_signature(secret, payload)}"


def ack_url(public_url: str, group_id: int, expires_at: datetime, secret: str) -> str:
    return public_url.rstrip("/") + ACK_PATH + ack_token(group_id, expires_at, secret)


def verify_ack_token(token: str, secret: str, now: datetime) -> int:
    """The group the token acknowledges; ``LinkRefused`` when it is forged or expired."""
    group, _, rest = token.partition(".")
    expires, _, offered = rest.partition(".")
    if not (group.isdigit() and expires.isdigit() and offered):
        raise LinkRefused("this acknowledge link is malformed", code="link_malformed")
    expected = _signature(secret, f"{group}.{expires}")
    if not hmac.compare_digest(expected, offered):
        raise LinkRefused(
            "this acknowledge link was not signed by orderwatch (altered or from another "
            "installation)",
            code="link_forged",
        )
    expired_at = datetime.fromtimestamp(int(expires), UTC)
    if now >= expired_at:
        raise LinkRefused(
            f"this acknowledge link expired at {expired_at:%Y-%m-%d %H:%M} UTC; "
            "acknowledge the alert in the console instead",
            code="link_expired",
        )
    return int(group)
