"""``apply_config`` for channels and users: idempotent, audited, refused as a whole."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from rules.config import ConfigError, apply_config, export_config
from store.audit import audit_trail
from store.models import Channel, User
from store.people import authenticate

CONFIG = """
[[channels]]
name = "xhs-main"
platform = "xiaohongshu"
sync_interval_s = 300

[[users]]
username = "wang"
role = "supervisor"
display_name = "王主管"
password_env = "OW_TEST_PASSWORD_WANG"
"""


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("OW_TEST_PASSWORD_WANG", "correct horse")
    path = tmp_path / "orderwatch.toml"
    path.write_text(CONFIG, encoding="utf-8")
    return path


def test_apply_creates_then_changes_nothing_then_updates(
    sessions: sessionmaker[Session], config: Path
) -> None:
    with sessions.begin() as session:
        first = apply_config(session, config, author="ops-li")
    with sessions.begin() as session:
        second = apply_config(session, config, author="ops-li")
    config.write_text(
        CONFIG.replace("= 300", "= 120").replace('"supervisor"', '"ops_supervisor"'),
        encoding="utf-8",
    )
    with sessions.begin() as session:
        third = apply_config(session, config, author="ops-li")
    assert first.changes == ["channel xhs-main: created", "user wang: created (supervisor)"]
    assert second.changes == []
    assert third.changes == [
        "channel xhs-main: changed sync_interval_s",
        "user wang: changed role",
    ]
    with sessions() as session:
        assert authenticate(session, "wang", "correct horse") is not None
        role = session.scalar(select(User.role).where(User.username == "wang"))
        trail = audit_trail(session, entity_type="user", entity_id="wang")
        exported = export_config(session)
    assert role == "ops_supervisor"
    assert [e.action for e in trail] == ["user.created", "user.changed"]
    assert 'name = "xhs-main"' in exported and "password" not in exported


def test_one_bad_entry_refuses_the_whole_file(
    sessions: sessionmaker[Session], config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OW_TEST_PASSWORD_WANG")
    with sessions.begin() as session, pytest.raises(ConfigError) as refused:
        apply_config(session, config, author="ops-li")
    assert refused.value.problems == [
        "users[0].password_env: $OW_TEST_PASSWORD_WANG must hold a password of at least 8 "
        "characters"
    ]
    with sessions() as session:
        assert session.scalars(select(Channel)).all() == []


def test_a_channel_cannot_change_platform(sessions: sessionmaker[Session], config: Path) -> None:
    with sessions.begin() as session:
        apply_config(session, config, author="ops-li")
    config.write_text(CONFIG.replace('"xiaohongshu"', '"douyin"'), encoding="utf-8")
    with sessions.begin() as session, pytest.raises(ConfigError, match="cannot change platform"):
        apply_config(session, config, author="ops-li")


def test_syntax_errors_name_the_line(sessions: sessionmaker[Session], tmp_path: Path) -> None:
    broken = tmp_path / "broken.toml"
    broken.write_text('[[channels]]\nname = "x\n', encoding="utf-8")
    with sessions.begin() as session, pytest.raises(ConfigError, match="line 2"):
        apply_config(session, broken, author="ops-li")


def test_channel_settings_apply_export_and_apply_again_unchanged(
    sessions: sessionmaker[Session], config: Path
) -> None:
    config.write_text(
        CONFIG.replace(
            "sync_interval_s = 300",
            "sync_interval_s = 300\n"
            'settings = { rate_limit_per_s = 80, bnpl_payment_types = ["7"] }',
        ),
        encoding="utf-8",
    )
    with sessions.begin() as session:
        apply_config(session, config, author="ops-li")
        channel = session.scalars(select(Channel)).one()
        assert channel.settings == {"rate_limit_per_s": 80.0, "bnpl_payment_types": ["7"]}
        exported = export_config(session)
    assert "bnpl_payment_types" in exported
    config.write_text(exported, encoding="utf-8")
    with sessions.begin() as session:
        again = apply_config(session, config, author="ops-li").changes
    assert [change for change in again if change.startswith("channel")] == []


def test_an_unknown_channel_setting_is_refused(
    sessions: sessionmaker[Session], config: Path
) -> None:
    config.write_text(
        CONFIG.replace("sync_interval_s = 300", "sync_interval_s = 300\nsettings = { qps = 5 }"),
        encoding="utf-8",
    )
    with sessions.begin() as session, pytest.raises(ConfigError, match="qps"):
        apply_config(session, config, author="ops-li")
