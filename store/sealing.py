"""Secrets at rest: columns of secrets sealed with a key derived from the secret key.

A channel's app secret and access token let anyone act as the shop on its platform, and an
alert receiver's settings hold its provider's secrets (a robot's token and signing secret, a
webhook's HMAC secret, an SMS account's access key), so ``channels.credentials`` and
``alert_receivers.settings`` hold them sealed (Fernet: AES-128-CBC with HMAC-SHA256, from
the ``cryptography`` package), never as plain JSON. The sealing key is derived from
``ORDERWATCH_SECRET_KEY`` with HKDF-SHA256 under a label of its own, so the key that signs
sessions is never used as is to encrypt anything.

Each engine carries its ``Keyring`` (``store.db.make_engine(keyring=...)``); the column type
``SealedJSON`` seals on write and opens on read with the keyring of the engine it runs on, so
every reader of a sealed column keeps getting a plain dict. Without a secret key (a
development store) a fixed development key is used: sealed, but not secret; production
refuses to start without a key. ``rotate`` re-seals every row under the first key of a
keyring that also holds the old one (``orderwatch rotate-key``, for every column
``sealed_columns`` finds); ``rewrite`` is what a migration that seals a column does and
undoes.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Sequence
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import JSON, Connection, Dialect, MetaData, Table, select, type_coerce, update
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.sql.expression import TableClause
from sqlalchemy.types import TypeDecorator, TypeEngine

from store.errors import DomainError

DEVELOPMENT_KEY = "orderwatch-development-key: not a secret"
_LABEL = b"orderwatch channel credentials v1"
"""Named after the first column sealed and kept for every sealed column since: another label
would derive another key, and nothing sealed before would open."""
_FIELD = "sealed"
_ATTRIBUTE = "orderwatch_keyring"


class SealedUnreadable(DomainError):
    """Sealed data that none of the keyring's keys opens."""

    code = "sealed_unreadable"


def derive(secret_key: str) -> Fernet:
    """The sealing key of ``secret_key`` (HKDF-SHA256, 32 bytes, under orderwatch's label)."""
    material = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_LABEL).derive(
        secret_key.encode()
    )
    return Fernet(base64.urlsafe_b64encode(material))


class Keyring:
    """Seals with the first key; opens with any (the others are keys being rotated out)."""

    def __init__(self, secret_keys: Sequence[str]) -> None:
        if not secret_keys:
            raise ValueError("a keyring needs at least one key")
        self.development = secret_keys[0] == DEVELOPMENT_KEY
        self._keys = MultiFernet([derive(key) for key in secret_keys])

    @classmethod
    def of(cls, secret_key: str | None, *old_keys: str) -> Keyring:
        """The keyring of ``secret_key`` (``None``: the development key), able to open what
        ``old_keys`` sealed."""
        return cls([secret_key or DEVELOPMENT_KEY, *old_keys])

    def seal(self, value: dict[str, Any]) -> dict[str, str]:
        token = self._keys.encrypt(json.dumps(value, sort_keys=True).encode())
        return {_FIELD: token.decode("ascii")}

    def open(self, stored: dict[str, Any]) -> dict[str, Any]:
        if not is_sealed(stored):
            return stored  # written before its column was sealed (migrations 0014, 0016)
        try:
            opened: dict[str, Any] = json.loads(self._keys.decrypt(stored[_FIELD].encode()))
        except InvalidToken:
            raise SealedUnreadable(
                "stored secrets were sealed with another ORDERWATCH_SECRET_KEY; set the key "
                "they were sealed with, or run `orderwatch rotate-key` with it as the old key"
            ) from None
        return opened

    def reseal(self, stored: dict[str, Any]) -> dict[str, str]:
        """``stored`` sealed under the first key (plain JSON is sealed)."""
        return self.seal(self.open(stored))


def is_sealed(stored: object) -> bool:
    return isinstance(stored, dict) and set(stored) == {_FIELD}


def attach(dialect: Dialect, keyring: Keyring) -> None:
    """Make ``keyring`` the one ``SealedJSON`` uses on connections of ``dialect``."""
    setattr(dialect, _ATTRIBUTE, keyring)


def keyring_of(dialect: Dialect) -> Keyring:
    found = getattr(dialect, _ATTRIBUTE, None)
    return found if isinstance(found, Keyring) else _DEVELOPMENT


_DEVELOPMENT = Keyring.of(None)


class SealedJSON(TypeDecorator[dict[str, Any]]):
    """A JSON object stored sealed (JSONB on PostgreSQL, as the plain column was)."""

    impl = JSON
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "postgresql":
            return dialect.type_descriptor(JSONB())
        return dialect.type_descriptor(JSON())

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        return None if value is None else keyring_of(dialect).seal(dict(value))

    def process_result_value(self, value: Any, dialect: Dialect) -> Any:
        return None if value is None else keyring_of(dialect).open(value)


def sealed_columns(metadata: MetaData) -> list[tuple[Table, str]]:
    """Every ``SealedJSON`` column of ``metadata``, as ``(table, column name)``: what a key
    rotation re-seals, found by type so that no sealed column is left out of one."""
    return [
        (table, column.name)
        for table in metadata.sorted_tables
        for column in table.columns
        if isinstance(column.type, SealedJSON)
    ]


def rotate(connection: Connection, table: TableClause, column: str, keyring: Keyring) -> int:
    """Re-seal ``table.column`` in every row under ``keyring``'s first key; rows changed."""
    return _rewrite(connection, table, column, keyring.reseal, lambda stored: True)


def rewrite(connection: Connection, table: TableClause, column: str, *, seal: bool) -> int:
    """Seal each plain value of ``table.column`` (``seal``), or open each sealed one, with the
    keyring of ``connection``'s engine (``orderwatch migrate``'s); rows changed."""
    keyring = keyring_of(connection.dialect)
    change = keyring.seal if seal else keyring.open
    return _rewrite(connection, table, column, change, lambda stored: is_sealed(stored) != seal)


def _rewrite(
    connection: Connection,
    table: TableClause,
    column: str,
    change: Callable[[dict[str, Any]], dict[str, Any]],
    wanted: Callable[[dict[str, Any]], bool],
) -> int:
    raw = type_coerce(table.c[column], JSON)  # the stored form, past SealedJSON
    rows = connection.execute(select(table.c.id, raw.label("stored"))).all()
    changed = [row for row in rows if row.stored is not None and wanted(row.stored)]
    for row in changed:
        value = type_coerce(change(row.stored), JSON)
        connection.execute(update(table).where(table.c.id == row.id).values({column: value}))
    return len(changed)
