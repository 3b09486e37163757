"""The silence form: which alerts (label = value matchers, prefilled from a group), until when
(a preset span or a time in the business zone), and why. It previews what it would mute,
and refuses with a precise message per field: no matcher, no reason, an end already past.

``alerts.muting.create_silence`` checks the same things again (it is what the REST API and
the CLI call); the form says them first, in the reader's language, next to the field.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import dash_mantine_components as dmc
from dash import dcc, html

from alerts.labels import GROUP_LABELS, KINDS
from dashboard.alertdesk.rows import kind_label
from dashboard.formatting import moment
from dashboard.i18n import stage_label, t
from store.models import SEVERITIES
from store.stages import Stage

PREFIX = "alerts-silence"
SPANS = {"30m": 30, "1h": 60, "2h": 120, "4h": 240, "8h": 480, "1d": 1440}
"""The preset lengths, in minutes; ``until`` picks an end time instead."""
UNTIL = "until"
DEFAULT_SPAN = "2h"
LONGEST = timedelta(days=30)
"""As long as the REST API lets a silence last."""
REASON_MAX = 500
CHOSEN = ("kind", "severity", "stage", "channel")
"""Matchers picked from a list; the others are typed (warehouse, SKU, order number...)."""
EXAMPLES = {
    "warehouse": "SH-01",
    "sku": "SKU-0001",
    "order_no": "OW0000000042",
    "deadline": "sla:awaiting-pick-2h",
}
"""What a typed matcher's value looks like (the labels' values as the sources write them)."""


def fid(part: str) -> str:
    return f"{PREFIX}-{part}"


def matcher_id(label: str) -> str:
    return fid(f"m-{label}")


def layout() -> html.Div:
    """The form in a modal (closed), and the store of the matchers it was opened with."""
    matchers = [
        dmc.Select(id=matcher_id(label), data=[], value=None, clearable=True, searchable=True)
        if label in CHOSEN
        else dmc.TextInput(id=matcher_id(label), value="", placeholder=EXAMPLES.get(label))
        for label in GROUP_LABELS
    ]
    body = dmc.Stack(
        [
            dmc.Text(id=fid("help"), size="sm", c="dimmed"),
            dmc.SimpleGrid(matchers, cols=4, spacing="sm"),
            dmc.Text(id=fid("matchers-error"), c="red", size="sm"),
            dmc.Group(
                [
                    dmc.Stack(
                        [
                            dmc.Text(id=fid("for-label"), size="sm", fw=500),
                            dmc.SegmentedControl(id=fid("for"), value=DEFAULT_SPAN, data=[]),
                        ],
                        gap=4,
                    ),
                    dmc.DateTimePicker(
                        id=fid("until"), value=None, valueFormat="YYYY-MM-DD HH:mm", w=220,
                        style={"display": "none"},
                    ),
                ],
                align="flex-start",
            ),
            dmc.Textarea(
                id=fid("reason"), value="", autosize=True, minRows=2, required=True,
                inputProps={"maxLength": REASON_MAX},
            ),
            dmc.Alert(id=fid("preview"), color="gray", variant="light"),
            dmc.Group(
                [
                    dmc.Button(id=fid("cancel"), variant="default"),
                    dmc.Button(id=fid("submit"), color="orange"),
                ],
                justify="flex-end",
            ),
        ],
        gap="sm",
    )  # fmt: skip
    modal = dmc.Modal(id=fid("modal"), opened=False, centered=True, size="xl", children=body)
    return html.Div([dcc.Store(id=fid("opened-with")), modal])


def options(label: str, channels: Sequence[str], lang: str) -> list[dict[str, str]]:
    """The choices of a listed matcher."""
    if label == "kind":
        return [{"value": k, "label": kind_label(k, lang)} for k in KINDS]
    if label == "severity":
        return [{"value": s, "label": t(f"severity.{s}", lang)} for s in reversed(SEVERITIES)]
    if label == "stage":
        return [{"value": s.value, "label": stage_label(s.value, lang)} for s in Stage]
    return [{"value": c, "label": c} for c in channels]


def span_options(lang: str) -> list[dict[str, str]]:
    return [
        {"value": value, "label": t(f"alerts.silence.span.{value}", lang)}
        for value in (*SPANS, UNTIL)
    ]


@dataclass(frozen=True, slots=True)
class SilenceAsk:
    """A silence as the form asks for it, checked."""

    matchers: dict[str, str]
    ends_at: datetime
    reason: str


class FormProblems(Exception):
    """What is wrong with the form, per field (``matchers``, ``until``, ``reason``)."""

    def __init__(self, by_field: dict[str, str]) -> None:
        super().__init__("; ".join(by_field.values()))
        self.by_field = by_field


def matchers_of(values: Sequence[Any]) -> dict[str, str]:
    """The matcher inputs' values (in ``GROUP_LABELS`` order) that are filled in."""
    return {
        label: str(value).strip()
        for label, value in zip(GROUP_LABELS, values, strict=True)
        if value is not None and str(value).strip()
    }


def read_form(
    matchers: Mapping[str, str],
    span: str | None,
    until: str | None,
    reason: str | None,
    *,
    now: datetime,
    zone: ZoneInfo,
    lang: str,
) -> SilenceAsk:
    """The silence the form asks for, or ``FormProblems`` naming every problem at once."""
    problems: dict[str, str] = {}
    if not matchers:
        problems["matchers"] = t("alerts.silence.error.no_matchers", lang)
    ends_at = _end(span, until, now, zone, lang, problems)
    text = (reason or "").strip()
    if not text:
        problems["reason"] = t("alerts.silence.error.no_reason", lang)
    elif len(text) > REASON_MAX:
        problems["reason"] = t("alerts.silence.error.long_reason", lang, n=REASON_MAX)
    if problems or ends_at is None:
        raise FormProblems(problems)
    return SilenceAsk(dict(matchers), ends_at, text)


def _end(
    span: str | None,
    until: str | None,
    now: datetime,
    zone: ZoneInfo,
    lang: str,
    problems: dict[str, str],
) -> datetime | None:
    if span in SPANS:
        return now + timedelta(minutes=SPANS[span])
    if not until:
        problems["until"] = t("alerts.silence.error.no_end", lang)
        return None
    try:
        # The picker gives a wall-clock time; it means the business zone's clock.
        ends_at = datetime.fromisoformat(until).replace(tzinfo=zone)
    except ValueError:
        problems["until"] = t("alerts.silence.error.bad_end", lang, value=until)
        return None
    if ends_at <= now:
        shown = moment(ends_at, zone, lang)
        problems["until"] = t("alerts.silence.error.past", lang, when=shown)
    elif ends_at - now > LONGEST:
        problems["until"] = t("alerts.silence.error.too_long", lang, days=LONGEST.days)
    return ends_at
