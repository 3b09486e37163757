"""Channel credentials at rest (issue 14, finding 11): sealed with a key derived from the
secret key, opened transparently, unreadable with another key, re-sealed by a rotation, and
sealed by migration 0014 where they were plain (alert receivers' settings by 0016; the rest of
their tests are in tests/alerts/test_sealed_receivers.py)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from sqlalchemy import JSON, Engine, select, text, type_coerce
from sqlalchemy.engine import make_url

from store.channels import create_channel, get_channel
from store.db import make_engine, session_factory
from store.migrate import alembic_config, upgrade
from store.models import Base, Channel, Receiver
from store.sealing import Keyring, SealedUnreadable, derive, rotate, sealed_columns
from tests.conftest import PG_URL, need_service

SECRETS = {"app_key": "shop-key", "app_secret": "shop-secret-123", "access_token": "tok-456"}


def _with_keyring(engine: Engine, keyring: Keyring) -> Engine:
    return make_engine(engine.url.render_as_string(hide_password=False), keyring=keyring)


def _stored(engine: Engine) -> Any:
    with engine.connect() as connection:
        raw = type_coerce(Channel.__table__.c.credentials, JSON)
        return connection.execute(select(raw)).scalar_one()


def test_credentials_are_sealed_at_rest_and_read_back_plain(engine: Engine) -> None:
    sealed = _with_keyring(engine, Keyring.of("k" * 43))
    sessions = session_factory(sealed)
    with sessions.begin() as session:
        create_channel(session, name="dy", platform="douyin", credentials=SECRETS)

    stored = _stored(sealed)
    with sessions() as session:
        channel = get_channel(session, "dy")
        listed = session.scalars(select(Channel)).all()  # a listing leaves them unopened
        assert "credentials" not in listed[0].__dict__
        assert channel.credentials == SECRETS
    assert set(stored) == {"sealed"}
    assert not any(value in str(stored) for value in SECRETS.values())
    sealed.dispose()


def test_another_key_cannot_open_them_and_a_rotation_moves_them(engine: Engine) -> None:
    old, new = "o" * 43, "n" * 43
    with session_factory(_with_keyring(engine, Keyring.of(old))).begin() as session:
        create_channel(session, name="dy", platform="douyin", credentials=SECRETS)
    with_new = session_factory(_with_keyring(engine, Keyring.of(new)))

    with with_new() as session, pytest.raises(SealedUnreadable, match="rotate-key"):
        _ = get_channel(session, "dy").credentials
    both = _with_keyring(engine, Keyring.of(new, old))
    with both.begin() as connection:
        assert rotate(connection, Channel.__table__, "credentials", Keyring.of(new, old)) == 1

    with with_new() as session:
        assert get_channel(session, "dy").credentials == SECRETS
    only_old = session_factory(_with_keyring(engine, Keyring.of(old)))
    with only_old() as session, pytest.raises(SealedUnreadable):
        _ = get_channel(session, "dy").credentials


def test_the_sealing_key_is_derived_not_the_secret_key_itself() -> None:
    token = derive("s" * 43).encrypt(b"x")
    assert derive("s" * 43).decrypt(token) == b"x"
    assert b"s" * 43 not in token


@pytest.fixture(params=["sqlite", "postgres"])
def fresh_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database of its own (migrations run on it from the start)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'fresh.db'}"
        return
    base = make_url(need_service(PG_URL, "ORDERWATCH_TEST_DATABASE_URL"))
    name = f"ow_seal_{uuid.uuid4().hex[:10]}"
    admin = make_engine(base.render_as_string(hide_password=False), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_migration_0014_seals_plain_credentials(fresh_url: str) -> None:
    keyring = Keyring.of("m" * 43)
    engine = make_engine(fresh_url, keyring=keyring)
    config = alembic_config(fresh_url)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0013_throttle")
    with engine.begin() as connection:  # as a channel was stored before 0014: plain JSON
        connection.execute(
            Channel.__table__.insert().values(
                name="dy", platform="douyin", credentials=type_coerce(SECRETS, JSON),
                sync_interval_s=300, consecutive_failures=0,
            )
        )  # fmt: skip

    upgrade(engine)

    assert set(_stored(engine)) == {"sealed"}
    with session_factory(engine)() as session:
        assert get_channel(session, "dy").credentials == SECRETS
    engine.dispose()


def _receiver_stored(engine: Engine) -> Any:
    with engine.connect() as connection:
        raw = type_coerce(Receiver.__table__.c.settings, JSON)
        return connection.execute(select(raw)).scalar_one()


def test_migration_0016_seals_plain_receiver_settings_and_its_downgrade_opens_them(
    fresh_url: str,
) -> None:
    robot = {"access_token": "ding-token", "secret": "SECding"}
    engine = make_engine(fresh_url, keyring=Keyring.of("m" * 43))
    config = alembic_config(fresh_url)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0015_people_events")
    with engine.begin() as connection:  # as a receiver was stored before 0016: plain JSON
        connection.execute(
            Receiver.__table__.insert().values(
                name="floor", kind="dingtalk", settings=type_coerce(robot, JSON), lang="zh",
                enabled=True,
            )
        )  # fmt: skip

    upgrade(engine)

    assert set(_receiver_stored(engine)) == {"sealed"}
    with session_factory(engine)() as session:
        assert session.scalars(select(Receiver)).one().settings == robot
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0015_people_events")
    assert _receiver_stored(engine) == robot
    engine.dispose()


def test_a_rotation_finds_every_sealed_column() -> None:
    found = {(table.name, column) for table, column in sealed_columns(Base.metadata)}
    assert found == {("channels", "credentials"), ("alert_receivers", "settings")}
