"""Acting on orders from the console, shared by the workbench (many orders at once) and the
order page (one): the confirmation dialog, the server-side role check, the call to
``rules.order_actions.act_on_orders`` (the function the REST API calls too) and the toast.

Each page builds its dialog with ``ActionDialog(prefix)`` and wires it in its own callbacks,
so both pages ask the same questions, check the same role and send the same action. The
pages that act on other things ask through the same dialog (``ActionDialog.asking``, see
``dashboard.confirming``).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import dash
import dash_mantine_components as dmc
from dash import Input, Output, State, dcc, html
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from dashboard.auth import ConsoleUser
from dashboard.context import app_config, store_sessions
from dashboard.i18n import t
from dashboard.permissions import ACT_ON_ORDERS, may, require_role
from dashboard.shell import LANG_STORE, TOASTS
from rules.order_actions import ActionKind, BatchResult, OrderAction, Seen, act_on_orders
from store.models import HoldCategory
from store.stages import Source

ACTIONS = tuple(kind.value for kind in ActionKind)
HoldChoice = tuple[str, str, str]
"""A hold category: (code, 中文 label, English label)."""


def may_act(user: ConsoleUser | None) -> bool:
    """Whether to draw the action buttons; every action callback checks again on the server."""
    return may(user, ACT_ON_ORDERS)


@dataclass(frozen=True, slots=True)
class ActionDialog:
    """The confirmation dialog of one page: its component ids all start with ``prefix``."""

    prefix: str

    def id(self, part: str) -> str:
        return f"{self.prefix}-{part}"

    def layout(self) -> html.Div:
        """The dialog (closed) and the store holding the action it asks about."""
        fields = dmc.Stack(
            [
                dmc.Text(id=self.id("dialog-text")),
                dmc.TextInput(id=self.id("dialog-picker"), value=""),
                dmc.Select(id=self.id("dialog-category"), data=[], value=None),
                dmc.Textarea(id=self.id("dialog-note"), value="", autosize=True, minRows=2),
                dmc.Text(id=self.id("dialog-error"), c="red", size="sm"),
                dmc.Group(
                    [
                        dmc.Button(id=self.id("dialog-cancel"), variant="default"),
                        dmc.Button(id=self.id("dialog-confirm")),
                    ],
                    justify="flex-end",
                ),
            ]
        )
        modal = dmc.Modal(id=self.id("modal"), opened=False, centered=True, children=fields)
        return html.Div([dcc.Store(id=self.id("pending")), modal])

    def label_outputs(self) -> list[Output]:
        """What ``labels`` fills: the buttons' texts and the hold categories to choose from."""
        return [
            Output(self.id("dialog-cancel"), "children"),
            Output(self.id("dialog-confirm"), "children"),
            Output(self.id("dialog-category"), "data"),
        ]

    @staticmethod
    def labels(lang: str, holds: list[HoldChoice]) -> tuple[str, str, list[dict[str, str]]]:
        return (
            t("orders.modal.cancel", lang),
            t("orders.modal.confirm", lang),
            hold_options(holds, lang),
        )

    def open_outputs(self) -> list[Output]:
        """What ``opened`` and ``closed`` fill, in their order."""
        return [
            Output(self.id("modal"), "opened"),
            Output(self.id("modal"), "title"),
            Output(self.id("dialog-text"), "children"),
            Output(self.id("pending"), "data"),
            Output(self.id("dialog-picker"), "style"),
            Output(self.id("dialog-category"), "style"),
            Output(self.id("dialog-note"), "label"),
            Output(self.id("dialog-picker"), "label"),
            Output(self.id("dialog-category"), "label"),
            Output(self.id("dialog-note"), "value"),
            Output(self.id("dialog-error"), "children"),
            Output(self.id("dialog-note"), "style"),
        ]

    @staticmethod
    def opened(action: str, body: str, lang: str) -> tuple[Any, ...]:
        """The dialog asking to confirm the order action ``action`` with the text ``body``,
        showing the fields that action needs (a picker to assign, a category to hold)."""
        note = t("orders.field.reason" if action == "reject" else "orders.field.note", lang)
        return ActionDialog.asking(
            action,
            t(f"orders.action.{action}", lang),
            body,
            lang,
            picker=action == "assign",
            category=action == "hold",
            note=note,
        )

    @staticmethod
    def asking(
        pending: Any,
        title: str,
        body: str,
        lang: str,
        *,
        picker: bool = False,
        category: bool = False,
        note: str | None = None,
    ) -> tuple[Any, ...]:
        """The dialog asking to confirm what ``pending`` names (kept for the confirm
        callback), with the fields asked for: a picker, a hold category, a note labelled
        ``note`` (None: no note)."""
        hidden = {"display": "none"}
        return (
            True,
            title,
            body,
            pending,
            {} if picker else hidden,
            {} if category else hidden,
            note or "",
            t("orders.field.picker", lang),
            t("orders.field.category", lang),
            "",
            "",
            {} if note is not None else hidden,
        )

    @staticmethod
    def closed() -> tuple[Any, ...]:
        return (False, *(dash.no_update,) * 11)

    def confirming(
        self,
        refresh: str,
        *,
        outputs: Sequence[Output] = (),
        states: Sequence[State] = (),
        refresh_shared: bool = False,
    ) -> list[Output | Input | State]:
        """A confirm callback's wiring. It fills the toast, the dialog's opened flag and error,
        the page's ``refresh`` counter (``refresh_shared``: other callbacks fill it too), then
        ``outputs``; it is given the confirm button's clicks, the dialog's fields (``states``
        of this class), then ``states``, the refresh counter and the language."""
        return [
            Output(TOASTS, "sendNotifications", allow_duplicate=True),
            Output(self.id("modal"), "opened", allow_duplicate=True),
            Output(self.id("dialog-error"), "children", allow_duplicate=True),
            Output(refresh, "data", allow_duplicate=refresh_shared),
            *outputs,
            Input(self.id("dialog-confirm"), "n_clicks"),
            *self.states(),
            *states,
            State(refresh, "data"),
            State(LANG_STORE, "data"),
        ]

    def busy(self) -> list[tuple[Output, bool, bool]]:
        """The confirm button spins while its callback runs (``running=``)."""
        return [(Output(self.id("dialog-confirm"), "loading"), True, False)]

    def states(self) -> list[State]:
        """What ``take_action`` is given from the dialog: action, picker, category, note."""
        return [
            State(self.id("pending"), "data"),
            State(self.id("dialog-picker"), "value"),
            State(self.id("dialog-category"), "value"),
            State(self.id("dialog-note"), "value"),
        ]


async def take_action(
    action: str, seen: list[Seen], picker: str | None, category: str | None, note: str | None
) -> BatchResult:
    """Apply ``action`` to the orders as they were ``seen``, as the signed-in user, once the
    server has checked their role (``Forbidden`` otherwise, audited). An incomplete action
    raises its ``DomainError`` and touches nothing."""
    user = await require_role(ACT_ON_ORDERS, action=f"orders.{action}")
    order_action = OrderAction(
        ActionKind(action),
        picker=(picker or "").strip() or None,
        category=category,
        note=(note or "").strip() or None,
    )
    return await run_in_threadpool(
        _act, store_sessions(), order_action, seen, user.username, app_config().zone
    )


def _act(
    sessions: sessionmaker[Session],
    action: OrderAction,
    seen: list[Seen],
    actor: str,
    zone: ZoneInfo,
) -> BatchResult:
    with sessions.begin() as session:
        return act_on_orders(session, action, seen, actor=actor, source=Source.CONSOLE, zone=zone)


def toast(name: str, message: str, lang: str, *, refused: bool) -> list[dict[str, Any]]:
    """The notification an action's result is shown in (``sendNotifications``); refusals
    stay longer, so there is time to read why. Each has its own id: Mantine drops a
    notification whose id is still on screen, which would swallow a quick second result."""
    return [
        {
            "action": "show",
            "id": f"{name}-{uuid.uuid4().hex[:12]}",
            "title": t("orders.toast.title", lang),
            "message": message,
            "color": "orange" if refused else "green",
            "autoClose": 12000 if refused else 6000,
        }
    ]


def hold_categories(sessions: sessionmaker[Session]) -> list[HoldChoice]:
    with sessions() as session:
        rows = session.execute(
            select(HoldCategory.code, HoldCategory.label_zh, HoldCategory.label_en).order_by(
                HoldCategory.code
            )
        )
        return [(row[0], row[1], row[2]) for row in rows]


def hold_options(holds: list[HoldChoice], lang: str) -> list[dict[str, str]]:
    return [{"value": code, "label": en if lang == "en" else zh} for code, zh, en in holds]
