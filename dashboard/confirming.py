"""Actions other than on orders (a channel's sync, pause and resume, a quarantined order's
retry and dismissal) through the workbench's confirmation dialog
(``dashboard.workbench.acting.ActionDialog``): the same dialog with its note field as the
reason, the same server-side role check, the same toast."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Concatenate, ParamSpec, TypeVar

from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from dashboard.auth import ConsoleUser
from dashboard.context import store_sessions
from dashboard.permissions import require_role
from dashboard.workbench.acting import ActionDialog

P = ParamSpec("P")
R = TypeVar("R")


def asking(
    dialog: ActionDialog, pending: Any, title: str, body: str, lang: str, *, note: str
) -> tuple[Any, ...]:
    """What ``dialog.open_outputs()`` get to ask for ``pending`` (kept for the confirm
    callback) under ``title``, with the note field labelled ``note``."""
    return dialog.asking(pending, title, body, lang, note=note)


async def as_allowed(
    allowed: frozenset[str],
    action: str,
    work: Callable[Concatenate[sessionmaker[Session], str, P], R],
    *args: P.args,
    **kwargs: P.kwargs,
) -> R:
    """``work(sessions, actor, …)`` off the event loop as the signed-in user, once the server
    has checked their role (``Forbidden`` otherwise: answered 403, audited as ``action``)."""
    user = await require_role(allowed, action=action)
    return await as_user(user, work, *args, **kwargs)


async def as_user(
    user: ConsoleUser,
    work: Callable[Concatenate[sessionmaker[Session], str, P], R],
    *args: P.args,
    **kwargs: P.kwargs,
) -> R:
    """``work(sessions, actor, …)`` off the event loop as ``user``, whose role the caller
    has checked on the server (before it read what the browser sent)."""
    return await run_in_threadpool(work, store_sessions(), user.username, *args, **kwargs)
