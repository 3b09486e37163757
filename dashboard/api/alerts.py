"""``/v1/alerts``: alert groups and their delivery log, acknowledgement, silences, dead letters,
and the signed acknowledge link that messages carry.

The link (``/v1/alerts/ack/{token}``) needs no API token: its HMAC signature is the
permission, until it expires. ``GET`` shows what it acknowledges and a confirm button (a link
preview or a mail scanner following it acknowledges nothing); the button ``POST``s.
"""

from __future__ import annotations

import html
from datetime import timedelta
from typing import Annotated, Literal
from urllib.parse import parse_qs

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from starlette.concurrency import run_in_threadpool

from alerts import views
from alerts.ack import acknowledge_group
from alerts.links import LinkRefused, verify_ack_token
from alerts.muting import create_silence, expire_silence
from alerts.outbox import resend
from dashboard.api.deps import Caller, Store, require_scope
from dashboard.api.problems import documented
from dashboard.api.warehouse_models import Count
from store.errors import Conflict, NotFound
from store.models import utcnow

router = APIRouter(prefix="/v1/alerts", tags=["alerts"])

Reader = Annotated[Caller, Depends(require_scope("alerts:read"))]
Acker = Annotated[Caller, Depends(require_scope("alerts:ack"))]
Id = Annotated[int, Path(ge=1, le=2**31 - 1)]
Note = Annotated[str, StringConstraints(min_length=1, max_length=500)]
LabelValue = Annotated[str, StringConstraints(min_length=1, max_length=64)]


class AckIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    note: Note | None = None


class SilenceIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    matchers: dict[LabelValue, LabelValue] = Field(min_length=1, max_length=8)
    """Label -> the value it must have: kind, severity, channel, warehouse, stage, sku..."""
    minutes: Annotated[Count, Field(ge=1, le=30 * 24 * 60)]
    """How long from now it lasts."""
    reason: Note


@router.get("/groups", summary="Alert groups, newest first, each with its worst alerts")
def get_groups(
    caller: Reader,
    session: Store,
    state: Literal["open", "resolved", "all"] = "open",
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[views.GroupView]:
    return views.groups(session, state=state, limit=limit)


@router.get(
    "/groups/{group_id}",
    summary="One alert group with its alerts and delivery log",
    responses=documented(404),
)
def get_group(group_id: Id, caller: Reader, session: Store) -> views.GroupView:
    return views.group(session, group_id)


@router.post(
    "/groups/{group_id}/ack",
    summary="Acknowledge a group: escalation and reminders stop (audited)",
    responses=documented(404, 409),
)
def post_ack(group_id: Id, body: AckIn, caller: Acker, session: Store) -> views.GroupView:
    acknowledge_group(session, group_id, actor=caller.name, now=utcnow(), note=body.note)
    session.flush()
    return views.group(session, group_id)


@router.get("/silences", summary="Silences that have not ended")
def get_silences(caller: Reader, session: Store) -> list[views.SilenceView]:
    return views.silences(session, utcnow())


@router.post(
    "/silences",
    status_code=201,
    summary="Mute the alerts whose labels match, for a while, with a reason (audited)",
)
def post_silence(body: SilenceIn, caller: Acker, session: Store) -> views.SilenceView:
    now = utcnow()
    silence = create_silence(
        session,
        matchers=body.matchers,
        ends_at=now + timedelta(minutes=body.minutes),
        author=caller.name,
        reason=body.reason,
        now=now,
    )
    return views.SilenceView.of(silence, now)


@router.delete(
    "/silences/{silence_id}",
    summary="End a silence now (audited)",
    responses=documented(404, 409),
)
def delete_silence(silence_id: Id, caller: Acker, session: Store) -> views.SilenceView:
    now = utcnow()
    return views.SilenceView.of(
        expire_silence(session, silence_id, author=caller.name, now=now), now
    )


@router.get("/deliveries", summary="The delivery log, newest first (status=dead: dead letters)")
def get_deliveries(
    caller: Reader,
    session: Store,
    status: Literal["pending", "sent", "dead"] | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[views.DeliveryView]:
    return views.deliveries(session, status=status, limit=limit)


@router.post(
    "/deliveries/{delivery_id}/resend",
    summary="Queue a dead letter again with a fresh retry budget (audited)",
    responses=documented(404, 409),
)
def post_resend(delivery_id: Id, caller: Acker, session: Store) -> views.DeliveryView:
    return views.DeliveryView.of(resend(session, delivery_id, actor=caller.name, now=utcnow()))


# --- the signed link ---------------------------------------------------------------------


Token = Annotated[str, Path(max_length=200)]


@router.get("/ack/{token}", include_in_schema=False, response_class=HTMLResponse)
async def get_ack_link(token: Token, request: Request) -> HTMLResponse:
    return await run_in_threadpool(_link, request, token, None)


@router.post("/ack/{token}", include_in_schema=False, response_class=HTMLResponse)
async def post_ack_link(token: Token, request: Request) -> HTMLResponse:
    form = parse_qs((await request.body()).decode(errors="replace"))
    name = (form.get("name") or [""])[0].strip()[:40]
    return await run_in_threadpool(_link, request, token, name)


def _link(request: Request, token: str, name: str | None) -> HTMLResponse:
    """The confirm page (``name`` None) or the acknowledgement, as a page either way."""
    secret: str | None = request.app.state.secret_key
    if secret is None:
        return _page(503, "确认链接不可用 / Links unavailable", "this server has no secret key")
    now = utcnow()
    sessions = request.app.state.sessions
    try:
        group_id = verify_ack_token(token, secret, now)
        with sessions.begin() as session:
            if name is None:
                return _confirm(views.group(session, group_id, items=10), request.url.path)
            actor = f"link:{name}" if name else "link"
            acknowledge_group(session, group_id, actor=actor, now=now)
            done = views.group(session, group_id, items=10)
    except LinkRefused as refused:
        status = 410 if refused.code == "link_expired" else 403
        return _page(status, "链接无效 / Link refused", refused.message)
    except (NotFound, Conflict) as error:
        return _page(
            404 if isinstance(error, NotFound) else 409,
            "无法确认 / Cannot acknowledge",
            error.message,
        )
    who = done.acknowledged_by or actor
    return _page(200, "已确认 / Acknowledged", f"alert group #{group_id} acknowledged by {who}")


def _confirm(group: views.GroupView, path: str) -> HTMLResponse:
    if group.acknowledged_at is not None:
        return _page(
            200,
            "已确认 / Acknowledged",
            f"alert group #{group.id} was acknowledged by {group.acknowledged_by}",
        )
    items = "".join(f"<li>{html.escape(a.title)}</li>" for a in group.alerts)
    body = (
        f"<p>{group.open_alerts} open alert(s) · {html.escape(group.group_key)}</p><ul>{items}</ul>"
        f'<form method="post" action="{html.escape(path)}">'
        '<label>姓名 / Your name <input name="name" maxlength="40"></label> '
        '<button type="submit">确认 / Acknowledge</button></form>'
    )
    return _html(200, f"确认告警 / Acknowledge alert group #{group.id}", body)


def _page(status: int, title: str, message: str) -> HTMLResponse:
    return _html(status, title, f"<p>{html.escape(message)}</p>")


def _html(status: int, title: str, body: str) -> HTMLResponse:
    page = (
        '<!doctype html><html lang="zh"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(title)}</title></head><body><h1>{html.escape(title)}</h1>"
        f"{body}</body></html>"
    )
    return HTMLResponse(page, status)
