"""Settings as read from the environment stay as read."""

from __future__ import annotations

from orderwatch.settings import Settings


def test_a_throwaway_development_secret_leaves_the_settings_unchanged() -> None:
    settings = Settings(mode="development", secret_key=None)
    assert len(settings.require_secret()) >= 32
    assert settings.secret_key is None
