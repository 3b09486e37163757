"""Who may do what in the console, checked on the server for every action callback.

A hidden button is not a permission: an action callback calls ``require_role`` before it
touches the store, so a call forged by hand (or from a page drawn for another role) answers
403 and leaves an audit entry that names the account and the action it tried."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from prometheus_client import Counter
from starlette.concurrency import run_in_threadpool

from dashboard.auth import ConsoleUser, current_user
from dashboard.context import store_sessions
from store.audit import write_audit

ACT_ON_CHANNELS = frozenset({"supervisor", "ops_supervisor", "admin"})
"""Sync a channel now, pause and resume its pulls, retry or dismiss a quarantined order."""
ADD_CHANNELS = frozenset({"admin"})
"""Connect a new sales channel with its credentials."""
ACT_ON_ORDERS = frozenset({"supervisor", "ops_supervisor", "admin"})
"""Release, approve, reject, hold, assign, annotate orders; run the flow health audit."""
REVEAL_BUYER = frozenset({"ops_supervisor", "admin"})
"""See a buyer's unmasked name, phone and address (each reveal is audited)."""
SEE_RULES = frozenset({"supervisor", "cs_lead", "ops_supervisor", "admin"})
"""See the rules and their history, and dry-run a change."""
EDIT_RULES = frozenset({"admin"})
"""Save a rule as a new version, restore an old one."""
ACT_ON_ALERTS = frozenset({"supervisor", "ops_supervisor", "admin"})
"""Acknowledge alert groups, silence alerts and end silences, re-send dead letters, send a
receiver a test message."""
CONFIGURE_ALERTS = frozenset({"ops_supervisor", "admin"})
"""Change the alert receivers and routes (the ``[alerts]`` section ``orderwatch apply`` reads)."""
MANAGE_ACCESS = frozenset({"admin"})
"""Add console users, change their roles, deactivate them, reset their passwords; create and
revoke API tokens (the ``/admin`` page)."""

REFUSED = Counter(
    "orderwatch_console_refused_actions", "Console actions refused by role", ["action"]
)


class Forbidden(Exception):
    """The signed-in user's role may not take ``action``."""

    def __init__(self, action: str, role: str | None) -> None:
        super().__init__(f"the role {role or 'none'} may not {action}")
        self.action = action
        self.role = role


def may(user: ConsoleUser | None, allowed: frozenset[str]) -> bool:
    """Whether to draw the buttons of what ``allowed`` roles may do; each action's callback
    checks again on the server."""
    return user is not None and user.role in allowed


async def require_role(allowed: frozenset[str], *, action: str) -> ConsoleUser:
    """The signed-in user when their role is in ``allowed``; otherwise the refusal is audited
    and ``Forbidden`` ends the callback (answered 403 by the handler ``install`` adds)."""
    user = current_user()
    if user is not None and user.role in allowed:
        return user
    REFUSED.labels(action=action).inc()
    await run_in_threadpool(_audit_refusal, user, action)
    raise Forbidden(action, user.role if user else None)


def _audit_refusal(user: ConsoleUser | None, action: str) -> None:
    with store_sessions().begin() as session:
        write_audit(
            session,
            actor=user.username if user else "anonymous",
            action="console.refused",
            entity_type="console_action",
            entity_id=action,
            after={"role": user.role if user else None},
        )


def install(app: FastAPI) -> None:
    """Answer ``Forbidden`` from any console route with 403 and the reason."""

    async def forbidden(_request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, Forbidden)
        return JSONResponse({"error": "forbidden", "message": str(exc)}, status_code=403)

    app.add_exception_handler(Forbidden, forbidden)
