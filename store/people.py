"""Console users (Argon2id password hashes) and API tokens (SHA-256 hashes)."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Collection
from dataclasses import dataclass
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from store.audit import write_audit
from store.errors import Conflict, InvalidInput, NotFound
from store.identifiers import check_identifier
from store.models import ROLES, ApiToken, User, utcnow

SCOPES = (
    "scans",
    "orders:read",
    "orders:act",
    "metrics:read",
    "tickets",
    "channels:push",
    "alerts:read",
    "alerts:ack",
)
TOKEN_USE_RESOLUTION = timedelta(minutes=1)
"""``last_used_at`` is kept to this resolution: a handheld scanning every second would
otherwise turn each read-only check into a row write (and a WAL flush)."""
TOKEN_PREFIX = "owt_"  # noqa: S105 - a marker that makes leaked tokens easy to find
MIN_PASSWORD_LENGTH = 8
_hasher = PasswordHasher()


def create_user(
    session: Session,
    *,
    username: str,
    role: str,
    password: str,
    display_name: str | None = None,
    actor: str = "cli",
) -> User:
    """Add a console user; the password is kept only as an Argon2id hash."""
    check_user_name(username)
    if display_name is not None:
        _identifier(display_name, "display name", "bad_display_name", max_length=128)
    check_role(role)
    check_password(password)
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise Conflict(f"user {username!r} exists already", code="user_exists")
    user = User(
        username=username,
        role=role,
        display_name=display_name,
        password_hash=_hasher.hash(password),
    )
    session.add(user)
    session.flush()
    write_audit(
        session,
        actor=actor,
        action="user.created",
        entity_type="user",
        entity_id=username,
        after={"role": role},
    )
    return user


def check_user_name(username: str) -> None:
    """``InvalidInput`` (code ``bad_user_name``) unless ``username`` can name a user."""
    if not username or len(username) > 64 or any(c.isspace() for c in username):
        raise InvalidInput(
            f"user name {username!r} must be 1–64 characters without spaces", code="bad_user_name"
        )
    _identifier(username, "user name", "bad_user_name")


def _identifier(value: str, what: str, code: str, *, max_length: int = 64) -> None:
    try:
        check_identifier(value, what, max_length=max_length)
    except InvalidInput as exc:
        raise InvalidInput(exc.message, code=code) from None


def check_role(role: str) -> None:
    if role not in ROLES:
        raise InvalidInput(
            f"unknown role {role!r}; known roles: {', '.join(ROLES)}", code="unknown_role"
        )


def check_password(password: str) -> None:
    """The one strength rule of every password, wherever it is set (CLI, console, config)."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(
            f"password must be at least {MIN_PASSWORD_LENGTH} characters", code="weak_password"
        )


def new_password() -> str:
    """A random password that meets ``check_password``, for a reset the admin does not type."""
    return secrets.token_urlsafe(12)  # 16 characters, 96 random bits


def list_users(session: Session) -> list[User]:
    """Every user, active or not, by name."""
    return list(session.scalars(select(User).order_by(User.username)))


def get_user(session: Session, username: str) -> User:
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise NotFound("user", f"unknown user {username!r}")
    return user


def set_password(session: Session, username: str, password: str, *, actor: str = "cli") -> User:
    """Replace a user's password (only its Argon2id hash is kept); audited, never the value.
    Every console session of the user ends (the database moves their session generation on)."""
    check_password(password)
    user = get_user(session, username)
    user.password_hash = _hasher.hash(password)
    write_audit(
        session, actor=actor, action="user.password_changed", entity_type="user",
        entity_id=username,
    )  # fmt: skip
    return user


def change_role(session: Session, username: str, role: str, *, actor: str = "cli") -> User:
    """Give a user another role; audited. Their console sessions end (the database moves
    their session generation on), so the new role applies from their next sign-in. Nobody
    changes their own role: an admin who demoted themselves could not undo it."""
    check_role(role)
    user = get_user(session, username)
    if user.role == role:
        return user
    _not_own_account(username, actor, "change your own role")
    before = user.role
    user.role = role
    write_audit(
        session, actor=actor, action="user.role_changed", entity_type="user",
        entity_id=username, before={"role": before}, after={"role": role},
    )  # fmt: skip
    return user


def deactivate_user(
    session: Session, username: str, *, actor: str = "cli", reason: str | None = None
) -> User:
    """Stop a user from signing in and end their console sessions; the account and its
    audit trail stay. Nobody deactivates themselves (they would be locked out at once)."""
    user = get_user(session, username)
    if user.is_active:
        _not_own_account(username, actor, "deactivate yourself")
        user.is_active = False
        write_audit(
            session, actor=actor, action="user.deactivated", entity_type="user",
            entity_id=username, before={"active": True},
            after={"active": False, "reason": (reason or "").strip() or None},
        )  # fmt: skip
    return user


def _not_own_account(username: str, actor: str, what: str) -> None:
    if username == actor:
        raise InvalidInput(f"you cannot {what}: ask another admin", code="own_account")


def authenticate(session: Session, username: str, password: str) -> User | None:
    """The active user with this name and password, or ``None``."""
    user = session.scalar(select(User).where(User.username == username, User.is_active))
    if user is None:
        _hasher.hash(password)  # same cost whether or not the name exists
        return None
    try:
        _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return None
    return user


@dataclass(frozen=True, slots=True)
class IssuedToken:
    """A new token; ``secret`` is shown once and never stored."""

    secret: str
    record: ApiToken


def create_token(
    session: Session, *, name: str, scopes: list[str], actor: str = "cli"
) -> IssuedToken:
    unknown = sorted(set(scopes) - set(SCOPES))
    if unknown:
        raise InvalidInput(
            f"unknown scope {', '.join(unknown)}; known scopes: {', '.join(SCOPES)}",
            code="unknown_scope",
        )
    if not scopes:
        raise InvalidInput(
            f"a token needs at least one scope; known scopes: {', '.join(SCOPES)}",
            code="no_scopes",
        )
    _identifier(name, "token name", "bad_token_name")
    if session.scalar(select(ApiToken.id).where(ApiToken.name == name)) is not None:
        raise Conflict(f"token {name!r} exists already", code="token_exists")
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    record = ApiToken(
        name=name,
        prefix=secret[:10],
        token_hash=_digest(secret),
        scopes=sorted(set(scopes)),
        created_by=actor,
    )
    session.add(record)
    session.flush()
    write_audit(
        session,
        actor=actor,
        action="token.created",
        entity_type="api_token",
        entity_id=name,
        after={"scopes": record.scopes},
    )
    return IssuedToken(secret=secret, record=record)


def list_tokens(session: Session) -> list[ApiToken]:
    """Every token, live and revoked, by name (their secrets are not kept: only prefixes)."""
    return list(session.scalars(select(ApiToken).order_by(ApiToken.name)))


def revoke_token(session: Session, name: str, *, actor: str = "cli") -> ApiToken:
    """Revoke a token: every request with it is refused from the commit on."""
    token = session.scalar(select(ApiToken).where(ApiToken.name == name))
    if token is None:
        raise NotFound("token", f"unknown token {name!r}")
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        write_audit(
            session, actor=actor, action="token.revoked", entity_type="api_token",
            entity_id=name,
        )  # fmt: skip
    return token


def verify_token(session: Session, secret: str) -> ApiToken | None:
    """The live token matching ``secret``, else ``None``; its last use is recorded in the
    caller's transaction when the recorded one is older than ``TOKEN_USE_RESOLUTION``."""
    return verify_tokens(session, [secret]).get(secret)


def verify_tokens(session: Session, presented: Collection[str]) -> dict[str, ApiToken]:
    """``verify_token`` for many secrets in one query: secret → live token, for those that
    are live."""
    digests = {_digest(secret): secret for secret in presented}
    records = session.scalars(
        select(ApiToken).where(
            ApiToken.token_hash.in_(list(digests)), ApiToken.revoked_at.is_(None)
        )
    )
    now = utcnow()
    live = {}
    for record in records:
        if record.last_used_at is None or now - record.last_used_at >= TOKEN_USE_RESOLUTION:
            record.last_used_at = now
        live[digests[record.token_hash]] = record
    return live


def _digest(secret: str) -> str:
    # Tokens are 256 random bits, so a fast hash is enough (unlike passwords).
    return hashlib.sha256(secret.encode()).hexdigest()
