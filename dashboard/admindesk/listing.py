"""One tab's table, users or tokens: its intro, its buttons, the grid (filter, sort, CSV)
with its loading and empty states, and the callbacks that translate it and read it (as an
admin: the server checks the role before it reads)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

import dash_mantine_components as dmc
from dash import Input, Output, callback, html
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from dashboard.admindesk import reading
from dashboard.admindesk.frame import EXPORTS, REFRESH, as_admin
from dashboard.context import app_config, store_sessions
from dashboard.grids import empty_state, fit, grid
from dashboard.i18n import lang_of, t
from dashboard.shell import LANG_STORE

SHOWN_ROWS = 15
"""Rows a grid shows before it scrolls."""


@dataclass(frozen=True, slots=True)
class Listing:
    name: str
    """``users`` or ``tokens``: ``admin-<name>-intro``, ``admin-<name>-empty``, and the texts
    ``admin.<name>.intro`` and ``admin.<name>.none``."""
    grid: str
    columns: tuple[str, ...]
    read: Callable[[sessionmaker[Session], ZoneInfo, str], list[reading.Row]]
    buttons: dict[str, str]
    """The tab's buttons: id → the key of its text."""

    def layout(self, buttons: list[dmc.Button]) -> dmc.Stack:
        loading = dmc.Stack([dmc.Skeleton(height=28) for _ in range(3)], gap="xs")
        return dmc.Stack(
            [
                dmc.Text(id=f"admin-{self.name}-intro", c="dimmed", size="sm"),
                dmc.Group([*buttons, dmc.Box(EXPORTS.button(self.grid), ml="auto")], gap="xs"),
                html.Div(loading, id=f"admin-{self.name}-empty"),
                grid(self.grid, selection="singleRow"),
            ],
            gap="sm",
        )

    def register(self) -> None:
        EXPORTS.register(self.grid, partial(reading.export_table, self.columns), self.name)

        @callback(
            Output(self.grid, "columnDefs"),
            Output(f"admin-{self.name}-intro", "children"),
            *(Output(button, "children") for button in self.buttons),
            Input(LANG_STORE, "data"),
        )
        def translate(lang_data: Any) -> tuple[Any, ...]:
            lang = lang_of(lang_data)
            return (
                reading.column_defs(self.columns, lang),
                t(f"admin.{self.name}.intro", lang),
                *(t(key, lang) for key in self.buttons.values()),
            )

        @callback(
            Output(self.grid, "rowData"),
            Output(self.grid, "style"),
            Output(f"admin-{self.name}-empty", "children"),
            Input(LANG_STORE, "data"),
            Input(REFRESH, "data"),
        )
        async def show(lang_data: Any, _refresh: Any) -> tuple[Any, ...]:
            await as_admin(self.name)
            lang = lang_of(lang_data)
            rows = await run_in_threadpool(self.read, store_sessions(), app_config().zone, lang)
            empty = None if rows else empty_state(f"admin.{self.name}.none", lang)
            return rows, fit(len(rows), most=SHOWN_ROWS), empty
