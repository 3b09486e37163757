"""Errors as RFC 9457 ``application/problem+json`` with a precise ``detail``; never a bare 500
page, never a traceback."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException
from starlette.middleware.body_limit import MAX_BODY_SIZE_SCOPE_KEY
from starlette.types import Scope

from dashboard.errors import ErrorBoundary
from store.errors import Conflict, DomainError, InvalidInput, NotFound, TransitionRefused

MEDIA_TYPE = "application/problem+json"
STATUS_OF: dict[type[DomainError], int] = {
    NotFound: 404,
    Conflict: 409,
    TransitionRefused: 409,
    InvalidInput: 422,
}


class Problem(BaseModel):
    """RFC 9457 problem details, with orderwatch's stable error ``code``."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str
    code: str
    errors: list[dict[str, Any]] | None = None
    """Field-level problems of a request that failed validation."""


def problem_response(status: int, code: str, detail: str, **extra: Any) -> JSONResponse:
    title = _TITLES.get(status, "Error")
    body = Problem(title=title, status=status, detail=detail, code=code, **extra)
    return JSONResponse(body.model_dump(exclude_none=True), status, media_type=MEDIA_TYPE)


_TITLES = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    409: "Conflict",
    413: "Content Too Large",
    415: "Unsupported Media Type",
    422: "Unprocessable Content",
    500: "Internal Server Error",
}


def install(api: FastAPI) -> None:
    """Route every error the API can raise through one problem+json shape."""
    api.add_exception_handler(DomainError, _domain)  # type: ignore[arg-type]
    api.add_exception_handler(RequestValidationError, _validation)  # type: ignore[arg-type]
    api.add_exception_handler(HTTPException, _http)  # type: ignore[arg-type]
    # Not an exception handler: Starlette re-raises after calling one, and the error would be
    # logged twice (see dashboard.errors).
    api.add_middleware(ErrorBoundary, answer=_unexpected)


async def _domain(_request: Request, exc: DomainError) -> JSONResponse:
    status = next((s for kind, s in STATUS_OF.items() if isinstance(exc, kind)), 422)
    return problem_response(status, exc.code, exc.message)


async def _validation(_request: Request, exc: RequestValidationError) -> JSONResponse:
    errors = [_field_error(e) for e in exc.errors()]
    if any(e["type"] == "json_invalid" for e in errors):
        return problem_response(400, "malformed_json", "the request body is not valid JSON")
    detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors)
    return problem_response(422, "invalid_request", detail, errors=errors)


def _field_error(error: Any) -> dict[str, Any]:
    location = [str(part) for part in error.get("loc", ()) if part != "body"]
    return {
        "field": ".".join(location) or "body",
        "message": str(error.get("msg", "invalid")).removeprefix("Value error, "),
        "type": str(error.get("type", "invalid")),
    }


async def _http(request: Request, exc: HTTPException) -> JSONResponse:
    code, detail = getattr(exc, "code", None), str(exc.detail)
    if code is None:  # raised by the framework, not by orderwatch: say what it means here
        code, detail = _framework_refusal(request, exc)
    response = problem_response(exc.status_code, code, detail)
    for name, value in (exc.headers or {}).items():
        response.headers[name] = value
    return response


def _framework_refusal(request: Request, exc: HTTPException) -> tuple[str, str]:
    if exc.status_code == 404:
        return "unknown_path", f"no endpoint at {request.url.path!r}; see /api/openapi.json"
    if exc.status_code == 405:
        return "method_not_allowed", f"{request.method} is not allowed on {request.url.path!r}"
    if exc.status_code == 413:
        limit = request.scope.get(MAX_BODY_SIZE_SCOPE_KEY)
        return "body_too_large", f"the request body is over this endpoint's limit of {limit} bytes"
    return f"http_{exc.status_code}", str(exc.detail)


def _unexpected(_scope: Scope) -> JSONResponse:
    return problem_response(500, "internal_error", "the server failed; the error was logged")


_PROBLEM_SCHEMA = Problem.model_json_schema()
_WHEN = {
    400: "The body is not valid JSON",
    401: "No API token, or an unknown or revoked one",
    403: "The token lacks the scope this endpoint needs",
    404: "The order, channel or other thing named does not exist (`unknown_order`, …)",
    413: "The body is over the endpoint's size limit; nothing of it was read",
    415: "The body is not sent as application/json",
    409: "The order's stage does not allow this, or an idempotency key was reused",
    422: "The request is invalid; `detail` and `errors` say which field and why",
}


def documented(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries for the problem+json answers an endpoint can give (401, 403 and 422
    always)."""
    return {
        status: {
            "description": _WHEN[status],
            "content": {MEDIA_TYPE: {"schema": _PROBLEM_SCHEMA}},
        }
        for status in sorted({401, 403, 422, *statuses})
    }
