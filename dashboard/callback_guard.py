"""Dash's callback requests checked before Dash reads them: a malformed one is a 400.

Dash trusts the body of ``POST /_dash-update-component``: one that is not JSON, names a
callback the app does not have, or lists other inputs than the callback declares fails inside
Dash as a ``TypeError`` or ``KeyError``, answered 500; and a callback handed a value of another
type than its parameter declares (a number where its store keeps a dict) fails inside the
callback. This ASGI middleware reads the body (bounded by the console's size limit around it),
checks it against Dash's wire format, the app's own callback map and the type annotations of
the callback's parameters, and hands the same bytes on; anything else is answered 400 and
never reaches Dash.
"""

from __future__ import annotations

import functools
import inspect
import json
import typing
from typing import Any

import dash
from dash import _callback
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, TypeAdapter, ValidationError
from starlette.types import ASGIApp, Message, Receive, Scope, Send

CALLBACK_PATH = "/_dash-update-component"


class _Prop(BaseModel):
    """One component property in a callback request: ``{"id", "property", "value"}``."""

    model_config = ConfigDict(extra="allow")

    id: str | dict[str, Any]
    property: str


_Entry = _Prop | list[_Prop]
"""A pattern-matching (``ALL``) input arrives as the list of the components it matched."""


class CallbackCall(BaseModel):
    """The body Dash's renderer posts to call one callback."""

    model_config = ConfigDict(extra="allow")

    output: str
    outputs: _Entry | list[_Entry]
    inputs: list[_Entry]
    state: list[_Entry] = []
    changedPropIds: list[str]  # noqa: N815 - Dash's name on the wire


class CallbackGuard:
    """ASGI middleware in front of Dash's callback route (see the module's docstring)."""

    def __init__(self, app: ASGIApp, console: dash.Dash) -> None:
        self.app = app
        self.console = console

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != CALLBACK_PATH:
            await self.app(scope, receive, send)
            return
        body = await _read(receive)
        problem = self.problem(body)
        if problem is not None:
            response = JSONResponse({"error": "bad_request", "message": problem}, 400)
            await response(scope, receive, send)
            return
        await self.app(scope, _replay(body, receive), send)

    def problem(self, body: bytes) -> str | None:
        """Why ``body`` is not a call of one of the app's callbacks, or ``None``."""
        try:
            call = CallbackCall.model_validate(json.loads(body))
        except (ValueError, ValidationError):  # JSONDecodeError and UnicodeDecodeError too
            return "the body is not a Dash callback request"
        spec = self._callbacks().get(call.output)
        if spec is None or spec.get("callback") is None:  # none, or one the browser runs
            return f"no server callback writes {call.output[:200]!r}"
        if not _outputs_match(call):
            return f"the outputs sent are not those of the callback writing {call.output!r}"
        for part, sent in (("inputs", call.inputs), ("state", call.state)):
            if not _matches(spec.get(part, []), sent):
                return f"the {part} sent are not those of the callback writing {call.output!r}"
        return _mistyped(spec["callback"], [*call.inputs, *call.state])

    def _callbacks(self) -> dict[str, Any]:
        # Dash moves the process-wide registrations into the app's map on its first request;
        # until then (this request may be the first) they are still in the global map.
        return {**_callback.GLOBAL_CALLBACK_MAP, **self.console.callback_map}


def _outputs_match(call: CallbackCall) -> bool:
    """``outputs`` lists what ``output`` names: Dash names a callback of several outputs
    "..a.b...c.d.." and expects their list, and a pattern (``ALL``) output as the list of the
    components it matched."""
    several = call.output.startswith("..")
    parts = call.output.strip(".").split("...") if several else [call.output]
    if several and not isinstance(call.outputs, list):
        return False
    # One output arrives as itself, or (a pattern) as the list of the components it matched.
    sent: list[Any] = call.outputs if several else [call.outputs]  # type: ignore[assignment]
    if len(parts) != len(sent):
        return False
    for part, entry in zip(parts, sent, strict=True):
        name, _, prop = part.rpartition(".")
        if _is_pattern(name):  # the components it matched
            if not isinstance(entry, list):
                return False
        elif isinstance(entry, list) or (entry.id, _plain(entry.property)) != (name, _plain(prop)):
            return False
    return True


def _plain(prop: str) -> str:
    return prop.split("@")[0]  # "@<hash>": Dash's mark of an output another callback shares


def _matches(declared: list[dict[str, Any]], sent: list[_Prop | list[_Prop]]) -> bool:
    if len(declared) != len(sent):
        return False
    for expected, entry in zip(declared, sent, strict=True):
        props = entry if isinstance(entry, list) else [entry]
        if any(prop.property != expected["property"] for prop in props):
            return False
        if _is_pattern(expected["id"]):  # the components it matched, with their own ids
            if any(isinstance(prop.id, str) for prop in props):
                return False
        elif isinstance(entry, list) or entry.id != expected["id"]:
            return False
    return True


def _is_pattern(component_id: object) -> bool:
    """A pattern-matching id (``{"action": ALL, ...}``), which Dash's map keeps as JSON text."""
    return isinstance(component_id, dict) or str(component_id).startswith("{")


LOCATION_PROPERTIES = frozenset({"pathname", "search", "hash", "href"})
"""A ``dcc.Location``'s properties, which the browser always fills with text: Dash's own page
router (``_pages_location``), whose parameters declare nothing, takes them."""


def _mistyped(callback: Any, sent: list[_Prop | list[_Prop]]) -> str | None:
    """Why a value sent does not fit the type its callback parameter declares, or ``None``."""
    locations = [e for e in sent if isinstance(e, _Prop) and e.id == "_pages_location"]
    if any(e.property in LOCATION_PROPERTIES and not isinstance(_value(e), str) for e in locations):
        return "the page location's parts must be text"
    taking = _parameters(inspect.unwrap(callback), len(sent))
    for (name, adapter), entry in zip(taking, sent, strict=False):
        value = [_value(p) for p in entry] if isinstance(entry, list) else _value(entry)
        try:
            adapter.validate_python(value)
        except ValidationError:
            return f"the value sent for {name!r} is not of the type the callback takes"
    return None


def _value(prop: _Prop) -> Any:
    return (prop.model_extra or {}).get("value")


@functools.cache
def _parameters(function: Any, count: int) -> list[tuple[str, TypeAdapter[Any]]]:
    """Validators of the annotations (unannotated: anything) of the parameters that take a
    callback's first ``count`` values: Dash passes inputs, then state, in order, and a
    ``*values`` parameter takes all the rest."""
    hints = typing.get_type_hints(function)
    taking: list[tuple[str, TypeAdapter[Any]]] = []
    for p in inspect.signature(function).parameters.values():
        adapter: TypeAdapter[Any] = TypeAdapter(hints.get(p.name, Any))
        if p.kind is p.VAR_POSITIONAL:
            return taking + [(p.name, adapter)] * (count - len(taking))
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD):
            taking.append((p.name, adapter))
    return taking


async def _read(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if message["type"] != "http.request" or not message.get("more_body", False):
            return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()  # a disconnect, once the answer is sent

    return replay
