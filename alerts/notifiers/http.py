"""One HTTP exchange with a provider, and what its status line says when its body does not.

Network failures become RETRY deliveries here, so no provider module handles them twice.
"""

from __future__ import annotations

import email.utils
import json
import time
from collections.abc import Mapping
from typing import Any

import httpx

from alerts.notifiers.base import Delivery, Outcome

# 408 request timeout, 425 too early and 429 too many requests are worth another try; every
# other 4xx says the request itself is wrong and will stay wrong.
RETRYABLE_4XX = frozenset({408, 425, 429})


def exchange(client: httpx.Client, request: httpx.Request) -> httpx.Response | Delivery:
    """Send ``request``; a timeout or an unreachable host is a RETRY delivery, not an error."""
    try:
        # A provider that redirects is misconfigured; following could leak the signed body.
        return client.send(request, follow_redirects=False)
    except httpx.TimeoutException as error:
        return Delivery(Outcome.RETRY, None, None, f"timed out: {type(error).__name__}")
    except httpx.HTTPError as error:
        return Delivery(Outcome.RETRY, None, None, f"unreachable: {error}")


def by_status(response: httpx.Response, provider_code: str | None, detail: str) -> Delivery:
    """Classify on the HTTP status alone: 2xx sent, 408/425/429/5xx retry, the rest give up."""
    status = response.status_code
    if 200 <= status < 300:
        outcome = Outcome.SENT
    elif status >= 500 or status in RETRYABLE_4XX:
        outcome = Outcome.RETRY
    else:
        outcome = Outcome.GIVE_UP
    after = retry_after(response) if outcome is Outcome.RETRY else None
    return Delivery(outcome, status, provider_code, detail, after)


def retry_after(response: httpx.Response) -> float | None:
    """Seconds the ``Retry-After`` header asks for (a number or an HTTP date), if any."""
    value = response.headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def json_object(response: httpx.Response) -> Mapping[str, Any]:
    """The answer's JSON object, or an empty mapping when the body is not one (a proxy page)."""
    try:
        body = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        return {}
    return body if isinstance(body, dict) else {}


def excerpt(response: httpx.Response, limit: int = 200) -> str:
    """The start of a body for a delivery's detail, on one line."""
    return " ".join(response.text[:limit].split())
