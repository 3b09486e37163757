"""Settings read once from ``ORDERWATCH_*`` environment variables into one typed object."""

from __future__ import annotations

import math
import os
import secrets
import string
import zlib
from functools import lru_cache
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from store.sealing import Keyring


def default_database_url() -> str:
    """The zero-setup store: a SQLite file in the working directory."""
    return f"sqlite:///{Path.cwd() / 'orderwatch.db'}"


def usable_cores() -> int:
    """The CPU cores this process may run on (its affinity where the system has one: a
    container limited to some cores sees those)."""
    if hasattr(os, "sched_getaffinity"):  # Linux; macOS and Windows have only cpu_count
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


class Settings(BaseSettings):
    """Everything a process needs to know about its environment."""

    model_config = SettingsConfigDict(env_prefix="ORDERWATCH_", extra="ignore")

    database_url: str = Field(default_factory=default_database_url)
    """SQLAlchemy URL of the store; PostgreSQL in production, SQLite by default."""
    redis_url: str | None = None
    """Redis for cross-process fan-out and locks; without it everything stays in-process."""
    timezone: str = "Asia/Shanghai"
    """Business time zone for days, hours and weekday buckets."""
    secret_key: SecretStr | None = None
    """Signs console sessions; required when ``mode`` is production."""
    mode: Literal["development", "production"] = "development"
    host: str = "127.0.0.1"
    port: int = Field(default=8050, ge=1, le=65535)
    public_url: str | None = Field(default=None, pattern=r"^https?://\S+$")
    """Where people reach the console (behind a proxy, say): the start of the links in
    alert messages. Default: ``http://HOST:PORT``."""
    log_format: Literal["console", "json"] = "console"
    web_workers: int = Field(default_factory=lambda: min(usable_cores(), 8), ge=1, le=64)
    """Processes ``serve`` runs the console and API in: one per usable CPU core (at most
    eight) by default, so handheld traffic is not limited to one core."""

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def public_base_url(self) -> str:
        return (self.public_url or f"http://{self.host}:{self.port}").rstrip("/")

    def require_secret(self) -> str:
        """The secret key; in development, when none is set, a throwaway one made up on each
        call (a process asks once and hands it on: the settings stay as they were read).

        Production refuses a missing key and a weak one: whoever can guess it can sign a
        console session for any user.
        """
        key = self.secret_key.get_secret_value() if self.secret_key is not None else ""
        if self.mode != "production":
            return key if key.strip() else secrets.token_urlsafe(32)
        if not key.strip():
            raise MissingSecretError(
                f"ORDERWATCH_SECRET_KEY is not set: production mode refuses to start without "
                f"it; {GENERATE_KEY}"
            )
        bits = entropy_bits(key)
        if bits < MIN_SECRET_BITS:
            raise MissingSecretError(
                f"ORDERWATCH_SECRET_KEY is too weak (about {bits} bits of entropy; production "
                f"needs {MIN_SECRET_BITS}, 32 random bytes); {GENERATE_KEY}"
            )
        return key

    def keyring(self, *old_keys: str) -> Keyring:
        """What seals the secrets kept in the store: derived from the secret key (in
        development without one, the fixed development key: sealed, not secret)."""
        key = self.secret_key.get_secret_value() if self.secret_key is not None else None
        return Keyring.of(key, *old_keys)


MIN_SECRET_BITS = 256
GENERATE_KEY = (
    "generate one with: python3 -c 'import secrets; print(secrets.token_urlsafe(32))' "
    "(or: openssl rand -base64 32)"
)
_ALPHABETS = (
    (frozenset(string.digits), 10),
    (frozenset(string.hexdigits), 16),
    (frozenset(string.ascii_letters + string.digits + "+/=_-"), 64),
    (frozenset(string.printable), 95),
)


def entropy_bits(key: str) -> int:
    """An upper estimate of the entropy of ``key``: its length times the bits of the smallest
    usual alphabet it is written in (digits, hex, base64, printable ASCII, else UTF-8 bytes),
    and nothing like it when it repeats itself (``aaaa…``, ``abcabc…``), which a random key
    does not. ``secrets.token_urlsafe(32)`` and ``token_hex(32)`` make 256."""
    used = frozenset(key)
    per_char = next((math.log2(size) for chars, size in _ALPHABETS if used <= chars), None)
    raw = key.encode()
    bits = len(key) * per_char if per_char is not None else len(raw) * 8.0
    # Random text hardly compresses; a repetitive one shrinks to a few bytes.
    if len(zlib.compress(raw, 9)) < len(raw) / 2:
        bits = min(bits, (len(zlib.compress(raw, 9)) - 8) * 8.0)
    return max(int(bits), 0)


class MissingSecretError(RuntimeError):
    """Raised when a production process starts without a usable secret key."""


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
