"""One sync of a channel at a time, across every worker process.

On PostgreSQL a session-level advisory lock held on a connection of its own for the duration;
on SQLite (one process: the demo) an in-process lock.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, text

LOCK_SPACE = 0x0077_6174  # first key of the two-int advisory lock: "orderwatch ingest"
_local: dict[tuple[int, int], threading.Lock] = {}
_local_guard = threading.Lock()


@contextmanager
def try_lock(engine: Engine, key: int, space: int = LOCK_SPACE) -> Iterator[bool]:
    """Yields whether the lock was taken; it is released on leaving."""
    if engine.dialect.name != "postgresql":
        with _local_guard:
            lock = _local.setdefault((space, key), threading.Lock())
        taken = lock.acquire(blocking=False)
        try:
            yield taken
        finally:
            if taken:
                lock.release()
        return
    with engine.connect() as connection:
        taken = bool(
            connection.scalar(
                text("SELECT pg_try_advisory_lock(:space, :key)"), {"space": space, "key": key}
            )
        )
        connection.commit()
        try:
            yield taken
        finally:
            if taken:
                connection.execute(
                    text("SELECT pg_advisory_unlock(:space, :key)"), {"space": space, "key": key}
                )
                connection.commit()
