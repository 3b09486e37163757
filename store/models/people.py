"""Console users and API tokens (stored as hashes only)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, String
from sqlalchemy.orm import Mapped, mapped_column

from store.models.base import Base, utcnow

ROLES = ("viewer", "supervisor", "cs_lead", "ops_supervisor", "admin")


class User(Base):
    """A person who signs in to the console."""

    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint("role IN ('" + "', '".join(ROLES) + "')", name="role_known"),
        CheckConstraint("locale IN ('zh', 'en')", name="locale_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str | None] = mapped_column(String(128))
    role: Mapped[str] = mapped_column(String(16))
    password_hash: Mapped[str] = mapped_column(String(255))
    """Argon2id hash; the password itself is never stored."""
    locale: Mapped[str] = mapped_column(String(2), default="zh")
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    session_generation: Mapped[int] = mapped_column(default=0, server_default="0")
    """Console sessions signed for another generation are over: signing out adds one, and so
    does the database when the role, the active flag or the password hash changes."""


class ApiToken(Base):
    """A bearer token for a handheld or an integration; only its SHA-256 is kept."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(12))
    """First characters of the token, shown so people can tell tokens apart."""
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    scopes: Mapped[list[str]] = mapped_column(default=list)
    created_by: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]


class SignInFailure(Base):
    """Failed console sign-ins of one user name or one client address, for throttling."""

    __tablename__ = "sign_in_failures"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    """``user:<name>`` or ``addr:<client address>``."""
    failures: Mapped[int] = mapped_column(default=0)
    """Failures in a row, counted again from one after a quiet hour."""
    last_failure_at: Mapped[datetime]
    locked_until: Mapped[datetime | None]
    """No password is checked for this key before then."""
