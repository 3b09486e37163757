"""API tokens record their last use, at most once a minute (a check is not a write)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from store.models import ApiToken, utcnow
from store.people import TOKEN_USE_RESOLUTION, create_token, verify_token


def _last_used(sessions: sessionmaker[Session]) -> object:
    with sessions() as session:
        return session.scalar(select(ApiToken.last_used_at))


def test_first_use_is_recorded(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        secret = create_token(session, name="pda-1", scopes=["scans"]).secret
    with sessions.begin() as session:
        assert verify_token(session, secret) is not None
    assert _last_used(sessions) is not None


def test_recent_use_is_not_written_again(sessions: sessionmaker[Session]) -> None:
    recent = utcnow() - TOKEN_USE_RESOLUTION / 2
    with sessions.begin() as session:
        secret = create_token(session, name="pda-1", scopes=["scans"]).secret
        session.get_one(ApiToken, 1).last_used_at = recent
    with sessions.begin() as session:
        token = verify_token(session, secret)
        assert token is not None
        assert not session.dirty
    assert _last_used(sessions) == recent


def test_older_use_is_refreshed(sessions: sessionmaker[Session]) -> None:
    old = utcnow() - TOKEN_USE_RESOLUTION - timedelta(seconds=5)
    with sessions.begin() as session:
        secret = create_token(session, name="pda-1", scopes=["scans"]).secret
        session.get_one(ApiToken, 1).last_used_at = old
    with sessions.begin() as session:
        assert verify_token(session, secret) is not None
    last = _last_used(sessions)
    assert isinstance(last, type(old)) and last > old


def test_revoked_or_unknown_token_is_refused(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        secret = create_token(session, name="pda-1", scopes=["scans"]).secret
        session.get_one(ApiToken, 1).revoked_at = utcnow()
    with sessions.begin() as session:
        assert verify_token(session, secret) is None
        assert verify_token(session, "owt_unknown") is None
