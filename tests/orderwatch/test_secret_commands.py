"""The secrets' commands (issue 14, finding 11): channel secrets never on the command line,
tokens listed and revoked, passwords changed and users deactivated without SQL, keys rotated."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import JSON, Engine, select, type_coerce
from sqlalchemy.orm import Session, sessionmaker

from alerts.config import AlertsSection, ReceiverConfig, apply_alerts
from store.channels import get_channel
from store.db import make_engine, session_factory
from store.models import Channel, Receiver
from store.people import authenticate, create_token, create_user, verify_token
from store.sealing import Keyring, SealedUnreadable
from tests.conftest import Run

KEY = "k" * 43


def _url(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def _credentials(engine: Engine, key: str | None = KEY) -> dict[str, str]:
    sealed = make_engine(_url(engine), keyring=Keyring.of(key))
    with session_factory(sealed)() as session:
        found = dict(get_channel(session, "dy").credentials)
    sealed.dispose()
    return found


def test_an_app_secret_on_the_command_line_is_refused(run: Run, engine: Engine) -> None:
    code, _out, err = run("channels", "add", "dy", "--platform", "douyin", "--app-key", "k",
                          "--app-secret", "s3cret", database=_url(engine))  # fmt: skip

    assert code == 2
    assert "shows in `ps`" in err and "ORDERWATCH_CHANNEL_APP_SECRET" in err


def test_channel_secrets_come_from_stdin_the_environment_or_a_prompt(
    run: Run, engine: Engine, sessions: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
) -> None:
    add = ("channels", "add", "dy", "--platform", "douyin", "--app-key", "k")
    url = _url(engine)
    assert run(*add, "--secrets-stdin", database=url, stdin="s3cret\ntok\n", secret_key=KEY)[0] == 0
    assert _credentials(engine) == {"app_key": "k", "app_secret": "s3cret", "access_token": "tok"}
    with sessions.begin() as session:
        session.delete(get_channel(session, "dy"))

    code, _out, _err = run(*add, database=url, secret_key=KEY,
                           channel_app_secret="from-env")  # fmt: skip
    assert code == 0 and _credentials(engine)["app_secret"] == "from-env"
    with sessions.begin() as session:
        session.delete(get_channel(session, "dy"))

    monkeypatch.delenv("ORDERWATCH_CHANNEL_APP_SECRET")
    prompted = run(*add, database=url, stdin="typed\n", secret_key=KEY)
    assert prompted[0] == 0 and "typed" not in prompted[1]
    assert _credentials(engine)["app_secret"] == "typed"
    with engine.connect() as connection:
        raw = connection.execute(select(type_coerce(Channel.__table__.c.credentials, JSON)))
        assert "typed" not in json.dumps(raw.scalar_one())


def test_tokens_are_listed_and_revoked(
    run: Run, engine: Engine, sessions: sessionmaker[Session]
) -> None:
    with sessions.begin() as session:
        secret = create_token(session, name="pda-7", scopes=["scans"]).secret
        create_token(session, name="bi", scopes=["metrics:read", "orders:read"])

    listed = json.loads(run("tokens", "list", "--json", database=_url(engine))[1])
    code, out, _err = run("tokens", "revoke", "pda-7", database=_url(engine))
    missing = run("tokens", "revoke", "nope", database=_url(engine))

    assert [(t["name"], t["scopes"], t["revoked_at"]) for t in listed] == [
        ("bi", "metrics:read,orders:read", None),
        ("pda-7", "scans", None),
    ]
    assert secret not in json.dumps(listed) and listed[1]["prefix"] == secret[:10] + "…"
    assert (code, out.strip()) == (0, "token pda-7 revoked")
    assert missing[0] == 1 and "unknown token 'nope'" in missing[2]
    with sessions() as session:
        assert verify_token(session, secret) is None


def test_passwords_change_and_users_are_deactivated(
    run: Run, engine: Engine, sessions: sessionmaker[Session]
) -> None:
    with sessions.begin() as session:
        create_user(session, username="ann", role="supervisor", password="first-password")

    changed = run("users", "passwd", "ann", "--password-stdin", database=_url(engine),
                  stdin="second-password\n")  # fmt: skip
    with sessions() as session:
        assert authenticate(session, "ann", "first-password") is None
        assert authenticate(session, "ann", "second-password") is not None
    deactivated = run("users", "deactivate", "ann", database=_url(engine))

    assert (changed[0], deactivated[0]) == (0, 0)
    with sessions() as session:
        assert authenticate(session, "ann", "second-password") is None
    short = run("users", "passwd", "ann", "--password-stdin", database=_url(engine), stdin="x\n")
    assert short[0] == 1 and "at least 8 characters" in short[2]


def _receiver_settings(engine: Engine, key: str) -> dict[str, str]:
    sealed = make_engine(_url(engine), keyring=Keyring.of(key))
    with session_factory(sealed)() as session:
        found = dict(session.scalars(select(Receiver)).one().settings)
    sealed.dispose()
    return found


def test_rotate_key_reseals_under_the_new_key(run: Run, engine: Engine) -> None:
    url = _url(engine)
    add = ("channels", "add", "dy", "--platform", "douyin", "--app-key", "k", "--secrets-stdin")
    assert run(*add, database=url, stdin="s3cret\n", secret_key=KEY)[0] == 0
    robot = {"access_token": "ding-token", "secret": "SECding"}
    receiver = ReceiverConfig(name="floor", kind="dingtalk", settings=robot)
    sealed = make_engine(url, keyring=Keyring.of(KEY))
    with session_factory(sealed).begin() as session:
        apply_alerts(session, AlertsSection(receivers=(receiver,)), author="t")
    sealed.dispose()
    new = "n" * 43

    refused = run("rotate-key", database=url, secret_key=new)  # without the old key
    rotated = run("rotate-key", "--old-key-stdin", database=url, secret_key=new, stdin=KEY + "\n")

    assert refused[0] == 1 and "rotate-key" in refused[2]
    assert (rotated[0], rotated[1].splitlines()) == (
        0,
        [
            "alert_receivers.settings: 1 row(s) sealed under the new key",
            "channels.credentials: 1 row(s) sealed under the new key",
        ],
    )
    assert _credentials(engine, new)["app_secret"] == "s3cret"
    assert _receiver_settings(engine, new) == robot
    with pytest.raises(SealedUnreadable):  # the old key opens nothing any more
        _receiver_settings(engine, KEY)


def test_a_development_store_moves_to_a_real_key(run: Run, engine: Engine) -> None:
    url = _url(engine)
    add = ("channels", "add", "dy", "--platform", "douyin", "--app-key", "k", "--secrets-stdin")
    assert run(*add, database=url, stdin="s3cret\n")[0] == 0  # no key: the development one

    assert run("rotate-key", database=url, secret_key=KEY)[0] == 0

    assert _credentials(engine)["app_secret"] == "s3cret"
