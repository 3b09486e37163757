"""What the group robots (DingTalk, WeCom, Feishu) share: JSON in, a code in the answer out.

HTTP 200 is not success for them: the body's code is. Zero is delivered; the provider's
throttling codes and "system busy" are retried (after the wait the provider documents);
anything else (bad signature, unknown token, missing keyword) gives up, with the code kept.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

from alerts.notifiers.base import Delivery, Outcome
from alerts.notifiers.http import RETRYABLE_4XX, excerpt, exchange, json_object, retry_after


@dataclass(frozen=True)
class AnswerCodes:
    """Where a robot puts its code and which codes mean "try again later"."""

    fields: tuple[str, ...]
    """Keys that may hold the code, first present wins: ("code", "StatusCode")."""
    messages: tuple[str, ...]
    """Keys that may hold the message, likewise."""
    retry: Mapping[int, float]
    """Retryable code -> seconds the provider makes us wait (0: the deliverer's own backoff)."""
    retry_if_message: Mapping[int, str] = field(default_factory=dict)
    """Codes that only mean throttling when the message says so (Feishu's generic 9499)."""


def post(
    client: httpx.Client,
    url: str,
    body: Mapping[str, Any],
    *,
    codes: AnswerCodes,
    timeout_s: float,
    params: Mapping[str, str] | None = None,
) -> Delivery:
    request = client.build_request("POST", url, params=params, json=body, timeout=timeout_s)
    answer = exchange(client, request)
    if isinstance(answer, Delivery):
        return answer
    return classify(answer, codes)


def classify(response: httpx.Response, codes: AnswerCodes) -> Delivery:
    body = json_object(response)
    code = next((body[key] for key in codes.fields if isinstance(body.get(key), int)), None)
    text = next((str(body[key]) for key in codes.messages if key in body), excerpt(response))
    status = response.status_code
    if code is None:
        # A proxy's page or an empty body: whether the robot got it is unknown, and a retry
        # after a 5xx is the only answer that can turn out better.
        outcome = Outcome.RETRY if status >= 500 or status in RETRYABLE_4XX else Outcome.GIVE_UP
        return Delivery(outcome, status, None, f"HTTP {status} without a code: {text}")
    if code == 0:
        return Delivery(Outcome.SENT, status, "0", text)
    wait = retry_wait(code, text, codes)
    if wait is not None or status >= 500 or status in RETRYABLE_4XX:
        after = retry_after(response) or wait or None
        return Delivery(Outcome.RETRY, status, str(code), text, after)
    return Delivery(Outcome.GIVE_UP, status, str(code), text)


def retry_wait(code: int, text: str, codes: AnswerCodes) -> float | None:
    """Seconds to wait before retrying ``code`` (0: usual backoff); None when it is final."""
    if code in codes.retry:
        return codes.retry[code]
    marker = codes.retry_if_message.get(code)
    if marker is not None and marker in text.lower():
        return 0.0
    return None
