"""A form for any rule, built from its pydantic model: no raw JSON, and no form to keep in step
by hand when a model gains a field.

``specs(model)`` reads the model's fields once: a name, a number, a choice of literal values, a
list of tags, a nested model (the conditions, as a group) or a tuple of models (a whitelist,
refund tiers, as rows that can be added and removed). ``render`` draws the fields for a rule's
body; each input's id is ``{"role": FIELD, "path": "whitelist.0.below"}``, so ``collect`` can
rebuild the body from what the browser sends, and a problem found at a path can be shown on
the input it is about (``field_errors``).
"""

from __future__ import annotations

import types
from dataclasses import dataclass, field
from datetime import date, time
from decimal import Decimal
from functools import cache
from typing import Annotated, Any, Literal, Union, get_args, get_origin

import dash_mantine_components as dmc
from dash import html
from pydantic import BaseModel

from dashboard.i18n import role_label, stage_label, t
from store.stages import Stage

FIELD = "rules-field"
ROW_LABEL_OFFSET = 28
"""Pixels from a row's top to its inputs (below their labels)."""
ROW_ADD = "rules-row-add"
ROW_REMOVE = "rules-row-remove"

Widget = Literal[
    "text",
    "number",
    "choice",
    "bool",
    "tristate",
    "tags",
    "channel",
    "channels",
    "weekdays",
    "dates",
    "time",
    "group",
    "rows",
]


@dataclass(frozen=True)
class Spec:
    """One field of a rule model as the form shows it."""

    name: str
    widget: Widget
    optional: bool = False
    choices: tuple[str, ...] = ()
    whole: bool = False
    """A number without decimals."""
    children: tuple[Spec, ...] = field(default=())
    """The fields of a nested model (group) or of each row."""


@cache
def specs(model: type[BaseModel]) -> tuple[Spec, ...]:
    return tuple(_spec(name, info.annotation) for name, info in model.model_fields.items())


def _spec(name: str, annotation: Any) -> Spec:
    kind, optional = _strip(annotation)
    if name in ("channel", "keep_channel"):
        return Spec(name, "channel", optional)
    if name == "channels":
        return Spec(name, "channels", optional)
    if get_origin(kind) is Literal:
        return Spec(name, "choice", optional, tuple(str(v) for v in get_args(kind)))
    if get_origin(kind) is tuple:
        return _tuple_spec(name, _strip(get_args(kind)[0])[0], optional)
    if isinstance(kind, type) and issubclass(kind, BaseModel):
        return Spec(name, "group", optional, children=specs(kind))
    if kind is bool:
        return Spec(name, "tristate" if optional else "bool", optional)
    if kind in (int, float, Decimal):
        return Spec(name, "number", optional, whole=kind is int)
    return Spec(name, "time" if kind is time else "text", optional)


def _tuple_spec(name: str, element: Any, optional: bool) -> Spec:
    if isinstance(element, type) and issubclass(element, BaseModel):
        return Spec(name, "rows", optional, children=specs(element))
    if element is date:
        return Spec(name, "dates", optional)
    if element is int:  # the only tuple of numbers: ISO weekdays
        return Spec(name, "weekdays", optional)
    return Spec(name, "tags", optional)


def _strip(annotation: Any) -> tuple[Any, bool]:
    """The type without ``Annotated`` constraints and ``| None``, and whether None is allowed."""
    optional = False
    while True:
        origin = get_origin(annotation)
        if origin is Annotated:
            annotation = get_args(annotation)[0]
        elif origin in (Union, types.UnionType):
            members = [a for a in get_args(annotation) if a is not type(None)]
            optional = optional or len(members) < len(get_args(annotation))
            annotation = members[0]
        else:
            return annotation, optional


@dataclass(frozen=True)
class Context:
    lang: str
    channels: tuple[str, ...]
    """Known channel names, offered wherever a rule names a channel."""
    locked: frozenset[str] = frozenset()
    """Top-level fields that cannot change here (a saved rule's name)."""


def render(fields: tuple[Spec, ...], body: dict[str, Any], context: Context) -> list[Any]:
    return [_render(spec, body.get(spec.name), spec.name, context) for spec in fields]


def _render(spec: Spec, value: Any, path: str, context: Context) -> Any:
    label = t(f"rules.field.{spec.name}", context.lang)
    if spec.widget == "group":
        inner = [
            _render(child, (value or {}).get(child.name), f"{path}.{child.name}", context)
            for child in spec.children
        ]
        grid = dmc.SimpleGrid(inner, cols={"base": 1, "sm": 2}, spacing="sm")
        return dmc.Fieldset(grid, legend=label, variant="filled", id=f"rules-group-{path}")
    if spec.widget == "rows":
        return _rows(spec, list(value or []), path, label, context)
    component_id = {"role": FIELD, "path": path}
    disabled = path in context.locked
    return _input(spec, value, component_id, label, context, disabled)


def _input(
    spec: Spec,
    value: Any,
    component_id: dict[str, str],
    label: str,
    context: Context,
    disabled: bool,
) -> Any:
    lang = context.lang
    common: dict[str, Any] = {"id": component_id, "label": label, "disabled": disabled}
    match spec.widget:
        case "number":
            decimals = {"decimalScale": 0} if spec.whole else {}
            shown = "" if value is None else float(value)
            return dmc.NumberInput(value=shown, allowNegative=True, **decimals, **common)
        case "choice" | "channel":
            options = _options(spec, lang, context.channels)
            return dmc.Select(
                data=options, value=value, clearable=spec.optional, searchable=True, **common
            )
        case "bool" | "tristate":
            keys = ("true", "false") if spec.widget == "bool" else ("any", "true", "false")
            options = [{"value": k, "label": t(f"rules.choice.{k}", lang)} for k in keys]
            chosen = "any" if value is None else "true" if value else "false"
            return dmc.Select(data=options, value=chosen, allowDeselect=False, **common)
        case "channels":
            return dmc.MultiSelect(
                data=list(context.channels), value=list(value or []), searchable=True, **common
            )
        case "tags":
            return dmc.TagsInput(value=list(value or []), **common)
        case "weekdays":
            days = [{"value": str(n), "label": t(f"rules.weekday.{n}", lang)} for n in range(1, 8)]
            return dmc.MultiSelect(data=days, value=[str(v) for v in value or []], **common)
        case "dates":
            return dmc.DatePickerInput(
                type="multiple",
                value=list(value or []),
                valueFormat="YYYY-MM-DD",
                clearable=True,
                **common,
            )
        case "time":
            return dmc.TimeInput(value=(value or "")[:5], **common)
    return dmc.TextInput(value=value or "", **common)


def _options(spec: Spec, lang: str, channels: tuple[str, ...]) -> list[dict[str, str]]:
    if spec.widget == "channel":
        return [{"value": name, "label": name} for name in channels]
    return [{"value": v, "label": choice_label(spec.name, v, lang)} for v in spec.choices]


def choice_label(name: str, value: str, lang: str) -> str:
    """A literal value in words: stages and roles by their own labels, the rest from the
    editor's texts, anything unknown as itself."""
    if name == "stage" and value in {s.value for s in Stage}:
        return stage_label(value, lang)
    if name == "role":
        return role_label(value, lang)
    key = f"rules.choice.{value}"
    text = t(key, lang)
    return value if text == key else text


def _rows(spec: Spec, rows: list[Any], path: str, label: str, context: Context) -> dmc.Fieldset:
    lang = context.lang
    drawn = []
    for n, row in enumerate(rows):
        inner = [
            _render(child, (row or {}).get(child.name), f"{path}.{n}.{child.name}", context)
            for child in spec.children
        ]
        remove = dmc.Button(
            t("rules.row.remove", lang),
            id={"role": ROW_REMOVE, "path": f"{path}.{n}"},
            variant="subtle",
            color="red",
            size="xs",
            n_clicks=0,
        )
        drawn.append(
            dmc.Group(
                [
                    dmc.Text(
                        t("rules.row.title", lang, n=n + 1),
                        size="sm",
                        fw=500,
                        mt=ROW_LABEL_OFFSET,
                        miw=48,
                    ),
                    dmc.SimpleGrid(inner, cols=min(len(inner), 3), spacing="sm", flex=1),
                    html.Div(remove, style={"marginTop": ROW_LABEL_OFFSET}),
                ],
                # Aligned to the inputs' tops, so an error under one input moves nothing.
                align="flex-start",
                gap="sm",
                wrap="nowrap",
                id=f"rules-row-{path}-{n}",
            )
        )
    add = dmc.Button(
        t("rules.row.add", lang),
        id={"role": ROW_ADD, "path": path},
        variant="light",
        size="xs",
        n_clicks=0,
    )
    empty = [] if rows else [dmc.Text(t("rules.row.none", lang), c="dimmed", size="sm")]
    return dmc.Fieldset(
        dmc.Stack([*drawn, *empty, html.Div(add)], gap="xs"),
        legend=label,
        id=f"rules-rows-{path}",
    )


def collect(fields: tuple[Spec, ...], values: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """The body the inputs hold, ``values`` by their paths; a field not drawn is left out (its
    model default applies)."""
    body: dict[str, Any] = {}
    for spec in fields:
        path = f"{prefix}{spec.name}"
        if spec.widget == "group":
            body[spec.name] = collect(spec.children, values, f"{path}.")
        elif spec.widget == "rows":
            indexes = sorted(
                {
                    int(key[len(path) + 1 :].split(".")[0])
                    for key in values
                    if key.startswith(f"{path}.")
                }
            )
            body[spec.name] = [collect(spec.children, values, f"{path}.{n}.") for n in indexes]
        elif path in values:
            body[spec.name] = _value(spec, values[path])
    return body


def _value(spec: Spec, raw: Any) -> Any:
    """What the model reads from one input's value (empty: None where the model allows it)."""
    empty = raw is None or raw == "" or raw == []
    match spec.widget:
        case "bool" | "tristate":
            return None if raw in (None, "any") else raw == "true"
        case "tags" | "channels" | "dates":
            return None if empty and spec.optional else list(raw or [])
        case "weekdays":
            return [int(v) for v in raw or []]
        case "number":
            if empty:
                return None
            return str(raw) if not spec.whole else raw
    if empty:
        return None if spec.optional else ""
    return raw


def with_row(
    fields: tuple[Spec, ...], body: dict[str, Any], path: str, *, remove: int | None = None
) -> dict[str, Any]:
    """``body`` with an empty row added to the rows at ``path`` (or row ``remove`` taken out)."""
    head, _, rest = path.partition(".")
    spec = next(s for s in fields if s.name == head)
    edited = dict(body)
    if not rest:
        rows = list(edited.get(head) or [])
        if remove is None:
            rows.append({})
        elif 0 <= remove < len(rows):
            rows.pop(remove)
        edited[head] = rows
    else:
        edited[head] = with_row(spec.children, dict(edited.get(head) or {}), rest, remove=remove)
    return edited


def field_errors(
    paths: list[str], problems: list[tuple[tuple[str | int, ...], str]]
) -> tuple[list[str | None], list[tuple[tuple[str | int, ...], str]]]:
    """Each input's error (in the order of ``paths``), and the problems no input is for: a
    problem goes to the input whose path is the longest start of its own (``holidays`` for
    ``holidays[2]``)."""
    errors: dict[str, list[str]] = {}
    rest = []
    for where, message in problems:
        dotted = ".".join(str(part) for part in where)
        owner = max(
            (p for p in paths if dotted == p or dotted.startswith(f"{p}.")), key=len, default=None
        )
        if owner is None:
            rest.append((where, message))
        else:
            errors.setdefault(owner, []).append(message)
    return [" ".join(errors[p]) if p in errors else None for p in paths], rest
