"""What never reaches a log line: credentials (API tokens, the secret key, channel app secrets,
passwords, cookies) and buyers' personal data (name, phone, address).

Every log record, at every level and from every library, passes ``Redactor`` before it is
written: values under a sensitive key are replaced whole, and every text (the message, each
value, the formatted traceback) is searched for what such data looks like. Tracebacks are
rendered without local variables, so what a frame held never becomes text in the first place;
what an exception's message quotes is what the patterns here are for.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

REDACTED = "[redacted]"

SENSITIVE_PARTS = frozenset(
    {
        "password", "passwd", "pwd", "secret", "token", "authorization", "cookie",
        "credential", "credentials", "signature", "sign", "apikey",
        "phone", "mobile", "tel", "telephone", "address", "addr", "buyer", "receiver",
        "consignee", "email",
    }
)  # fmt: skip
"""A key is sensitive when one of its words is one of these (``buyer_name``, ``app_secret``,
``receiverPhone``, ``post_tel``); ``token_count`` is too, which costs a number, not a leak."""
_WORDS = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|\d+")

_KEYWORD = r"[\w-]*(?:password|passwd|secret|token|authorization|cookie|credential|signature" \
           r"|phone|mobile|address|addr|buyer|receiver|consignee|_tel|email)[\w-]*"  # fmt: skip
_PATTERNS: tuple[tuple[re.Pattern[str], Any], ...] = (
    # "key": "value" and key='value' in a message, a repr or JSON; key=value in a query or
    # logfmt (unquoted only without spaces, so "token = verify(...)" in a traceback's source
    # line stays readable)
    (
        re.compile(
            rf"""(?ix)(?P<q>["']?)(?P<key>{_KEYWORD})(?P=q)
            (?:(?P<sep>\s*[:=]\s*)(?:"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')
            |(?P<eq>=)[^\s,;&}})\]'"]+)"""
        ),
        lambda m: f"{m['q']}{m['key']}{m['q']}{m['sep'] or m['eq']}{REDACTED}",
    ),
    (re.compile(r"\bowt_[A-Za-z0-9_-]{6,}"), f"owt_{REDACTED}"),  # orderwatch API tokens
    (re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]{6,}"), rf"\1 {REDACTED}"),
    (re.compile(r"(?i)([a-z][a-z0-9+.-]*://[^:/?#\s@]+:)[^@\s/]+@"), rf"\1{REDACTED}@"),
    # SQLAlchemy's "[parameters: ...]" quotes the row being written
    (re.compile(r"\[parameters: .*?\](?=\n|$)", re.DOTALL), f"[parameters: {REDACTED}]"),
    # PostgreSQL's DETAIL quotes the failing row or key
    (re.compile(r"(?m)(DETAIL:\s+(?:Failing row contains|Key)).*$"), rf"\1 {REDACTED}"),
    # ... and a failed COPY's CONTEXT quotes the line of data
    (re.compile(r"(?m)(CONTEXT:\s+COPY \w+, line \d+)\b.*$"), rf"\1 {REDACTED}"),
    # pydantic's errors quote the input
    (re.compile(r"input_value=.*?(?=, input_type=)", re.DOTALL), f"input_value={REDACTED}"),
    # mainland mobile numbers (with or without +86) and any E.164 number
    (re.compile(r"(?<![\d.])(?:\+?86[-\s]?)?1[3-9]\d{9}(?!\d)"), "[phone]"),
    (re.compile(r"(?<![\w+])\+[1-9]\d{7,14}(?!\d)"), "[phone]"),
    (re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"), "[email]"),
)
_NATIVE = (int, float, bool, type(None))


def is_sensitive_key(key: str) -> bool:
    return any(word.lower() in SENSITIVE_PARTS for word in _WORDS.findall(key))


class Redactor:
    """Removes credentials and personal data from log values; ``known`` are exact secrets
    (the secret key) to remove wherever they appear."""

    def __init__(self, known: Iterable[str] = ()) -> None:
        # The longest first, so that a secret containing another is removed whole.
        self.known = sorted({k for k in known if len(k) >= 4}, key=len, reverse=True)

    def text(self, value: str) -> str:
        for secret in self.known:
            value = value.replace(secret, REDACTED)
        for pattern, replacement in _PATTERNS:
            value = pattern.sub(replacement, value)
        return value

    def value(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, _NATIVE):
            return value
        if isinstance(value, Mapping):
            return self.mapping(value)
        if isinstance(value, list | tuple | set | frozenset):
            return [self.value(item) for item in value]
        # Anything else would be rendered by its repr, which may quote what it holds.
        return self.text(repr(value))

    def mapping(self, values: Mapping[Any, Any]) -> dict[Any, Any]:
        return {
            key: REDACTED
            if isinstance(key, str) and is_sensitive_key(key) and values[key] is not None
            else self.value(item)
            for key, item in values.items()
        }
