"""Settings as read from the environment stay as read."""

from __future__ import annotations

import base64
import os
import secrets

import pytest
from sqlalchemy import Engine

from orderwatch.settings import MissingSecretError, Settings, entropy_bits
from tests.conftest import Run


def test_a_throwaway_development_secret_leaves_the_settings_unchanged() -> None:
    settings = Settings(mode="development", secret_key=None)
    assert len(settings.require_secret()) >= 32
    assert settings.secret_key is None


STRONG = "eAnaGhNUoQKNT0Abrtd-NR4Zp3aTtHAaBoYGfVDeq98"


def test_development_treats_an_empty_key_as_none() -> None:
    made = Settings(mode="development", secret_key="").require_secret()
    assert len(made) >= 32


@pytest.mark.parametrize(
    ("key", "problem"),
    [
        (None, "is not set"),
        ("", "is not set"),
        ("   ", "is not set"),
        ("test-secret", "too weak"),
        ("a" * 64, "too weak"),
        ("0123456789" * 5, "too weak"),
        ("deadbeef" * 4, "too weak"),  # 32 hex digits: 128 bits
    ],
)
def test_production_refuses_a_missing_or_weak_key_and_says_how_to_make_one(
    key: str | None, problem: str
) -> None:
    with pytest.raises(MissingSecretError, match=problem) as refused:
        Settings(mode="production", secret_key=key).require_secret()
    assert "secrets.token_urlsafe(32)" in str(refused.value)


MAKERS = {
    "urlsafe": lambda: secrets.token_urlsafe(32),
    "hex": lambda: secrets.token_hex(32),
    "base64": lambda: base64.b64encode(os.urandom(32)).decode(),
}


@pytest.mark.parametrize("encoding", MAKERS)
def test_production_takes_32_random_bytes_in_any_usual_encoding(encoding: str) -> None:
    for _ in range(50):  # random keys: no lucky draw
        key = MAKERS[encoding]()
        assert Settings(mode="production", secret_key=key).require_secret() == key


def test_serve_refuses_to_start_in_production_with_an_empty_key(
    run: Run, sqlite_engine: Engine
) -> None:
    database = sqlite_engine.url.render_as_string(hide_password=False)
    code, _out, err = run("serve", database=database, mode="production", secret_key="")

    assert code == 1
    assert err.startswith("error: ORDERWATCH_SECRET_KEY is not set")
    assert "Traceback" not in err


def test_the_estimate_counts_a_random_key_and_not_a_long_repetitive_one() -> None:
    assert entropy_bits(STRONG) >= 256
    assert entropy_bits("orderwatch" * 10) < 256
