"""``POST /v1/channels/{name}/push``: platforms' HTTP message push (消息推送).

Platforms cannot send our bearer tokens, so a push is authenticated by the platform's own
signature with the channel's stored app key and secret (``ingest.push``); the answer is the
acknowledgement the platform expects. Douyin shop and Xiaohongshu push over HTTP; Taobao/Tmall,
Pinduoduo and JD do not (404, saying how orderwatch reads them instead).
"""

from __future__ import annotations

from typing import Annotated, Any

import httpx
from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from dashboard import limits
from dashboard.api.deps import ApiRefusal, store_sessions
from dashboard.api.problems import MEDIA_TYPE, Problem, documented
from dashboard.api.warehouse_models import NamePath
from ingest.push import (
    MalformedPush,
    PushFailed,
    PushNotOffered,
    PushRefused,
    PushRequest,
    receive_push,
)
from store.errors import NotFound

FETCH_TIMEOUT_S = 3.0
"""Douyin wants an answer within 5 s; a platform slower than this is left to the next pull."""

_ACK_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "The platform's own acknowledgement",
    "oneOf": [
        {
            "title": "Douyin shop",
            "type": "object",
            "properties": {"code": {"type": "integer"}, "msg": {"type": "string"}},
            "required": ["code", "msg"],
        },
        {
            "title": "Xiaohongshu",
            "type": "object",
            "properties": {
                "success": {"type": "boolean"},
                "error_code": {"type": "integer"},
                "error_msg": {"type": "string"},
            },
            "required": ["success", "error_code", "error_msg"],
        },
    ],
}
_RESPONSES: dict[int | str, dict[str, Any]] = {
    **documented(400, 404),
    200: {
        "description": "Verified and applied; the body is what the platform expects "
        '(Douyin `{"code":0,"msg":"success"}`, Xiaohongshu '
        '`{"success":true,"error_code":0,"error_msg":""}`)',
        "content": {"application/json": {"schema": _ACK_SCHEMA}},
    },
    401: {
        "description": "The platform's signature is missing or does not match the channel's "
        "app key and secret; nothing was applied",
        "content": {MEDIA_TYPE: {"schema": Problem.model_json_schema()}},
    },
    404: {
        "description": "No such channel, or its platform does not deliver messages by HTTP push",
        "content": {MEDIA_TYPE: {"schema": Problem.model_json_schema()}},
    },
    503: {
        "description": "Some named orders could not be fetched from the platform; the others "
        "were applied, and the platform's redelivery or the next pull reads the rest",
        "content": {MEDIA_TYPE: {"schema": Problem.model_json_schema()}},
    },
}
_BODY = {
    "required": True,
    "description": "The platform's push body, verbatim (its signature covers the raw bytes)",
    "content": {"application/json": {"schema": {}}},
}

router = APIRouter(prefix="/v1/channels", tags=["channels"])


@router.post(
    "/{name}/push",
    max_body_size=limits.PUSH,
    responses=_RESPONSES,
    openapi_extra={"requestBody": _BODY, "security": []},
    response_class=JSONResponse,
)
async def receive_channel_push(
    request: Request,
    sessions: Annotated[sessionmaker[Session], Depends(store_sessions)],
    name: NamePath,
) -> JSONResponse:
    """A platform's message push for channel ``name``: verified with the platform's signature,
    each named order fetched from the platform and applied idempotently."""
    push = PushRequest(
        paths=_paths(request),
        query=dict(request.query_params),
        headers={key.lower(): value for key, value in request.headers.items()},
        body=await request.body(),
    )
    try:
        answer = await run_in_threadpool(_receive, sessions, name, push)
    except NotFound as exc:
        raise ApiRefusal(404, "unknown_channel", exc.message) from None
    except PushNotOffered as exc:
        raise ApiRefusal(404, exc.code, exc.message) from None
    except PushRefused as exc:
        raise ApiRefusal(401, exc.code, exc.message) from None
    except MalformedPush as exc:
        raise ApiRefusal(400, exc.code, exc.message) from None
    except PushFailed as exc:
        raise ApiRefusal(503, exc.code, exc.message, {"Retry-After": "60"}) from None
    return JSONResponse(answer)


def _receive(sessions: sessionmaker[Session], name: str, push: PushRequest) -> dict[str, Any]:
    with httpx.Client(timeout=FETCH_TIMEOUT_S) as client:
        return receive_push(sessions, name, push, client=client).acknowledgement


def _paths(request: Request) -> tuple[str, ...]:
    """The called path with and without the mount prefix (``/api``), whichever the platform
    signed: behind a mount the scope's path may or may not carry the root path."""
    path, root = request.scope.get("path", ""), request.scope.get("root_path", "")
    spellings = [path, root + path if not path.startswith(root) else path.removeprefix(root)]
    return tuple(dict.fromkeys(p for p in spellings if p))
