"""Who may act on orders from the workbench, checked on the server in every action callback.

A stand-in for the console-wide role check (``dashboard.permissions.require_role``): same
roles, same audit entry on a refusal. A hidden button is not a permission, so a forged action
callback is refused here and leaves a trace that names the account and what it tried.
"""

from __future__ import annotations

from dash.backends._fastapi import get_current_request
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from dashboard.auth import ConsoleUser, current_user
from store.audit import write_audit

ACT_ON_ORDERS = frozenset({"supervisor", "ops_supervisor", "admin"})
"""Roles that release, approve, reject, hold, assign and annotate orders."""


class Forbidden(Exception):
    """The signed-in user's role may not take ``action``; the callback ends, nothing changed."""

    def __init__(self, action: str, role: str | None) -> None:
        super().__init__(f"the role {role or 'none'} may not {action}")
        self.action = action
        self.role = role


def may_act(user: ConsoleUser | None) -> bool:
    return user is not None and user.role in ACT_ON_ORDERS


async def require_actor(action: str) -> ConsoleUser:
    """The signed-in user when they may act on orders; otherwise the refusal is audited and
    ``Forbidden`` ends the callback before it touches an order."""
    user = current_user()
    if user is not None and may_act(user):
        return user
    # The request's app holds the store (``dashboard.app`` imports this module, so its helper
    # cannot be imported here).
    sessions: sessionmaker[Session] = get_current_request().app.state.sessions
    await run_in_threadpool(_audit_refusal, sessions, user, action)
    raise Forbidden(action, user.role if user else None)


def _audit_refusal(sessions: sessionmaker[Session], user: ConsoleUser | None, action: str) -> None:
    with sessions.begin() as session:
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
        return JSONResponse({"error": "forbidden", "message": str(exc)}, status_code=403)

    app.add_exception_handler(Forbidden, forbidden)
