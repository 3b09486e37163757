"""What the template SMS providers (Aliyun, Tencent) share: filling approved templates.

Mainland SMS providers send only templates approved in their console, with variables; a
receiver names which message parameter fills each variable. Values are cut to the provider's
per-variable length (a longer value is refused outright), and a variable whose parameter the
message lacks gives up with its name rather than sending a blank.
"""

from __future__ import annotations

from collections.abc import Iterable

from alerts.notifiers.base import Delivery, Message, Outcome
from alerts.notifiers.templates import PARAMS
from alerts.notifiers.text import clip_chars


class MissingParameter(Exception):
    """Internal: a template variable's message parameter is absent (becomes a GIVE_UP)."""


def known_params(names: Iterable[str]) -> None:
    """Refuse a template variable bound to a parameter no message carries."""
    unknown = sorted(set(names) - PARAMS)
    if unknown:
        known = ", ".join(sorted(PARAMS))
        raise ValueError(f"unknown message parameter {', '.join(unknown)} (known: {known})")


def value(message: Message, param: str, max_chars: int) -> str:
    if param not in message.params:
        raise MissingParameter(param)
    return clip_chars(message.params[param], max_chars)


def missing(error: MissingParameter, message: Message) -> Delivery:
    return Delivery(
        Outcome.GIVE_UP,
        None,
        None,
        f"template variable needs message parameter {error.args[0]!r}, "
        f"which this {message.kind} message does not carry",
    )
