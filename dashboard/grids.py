"""The console's client-side grids (the alerts and admin pages): AG Grid with sorting,
filters and resizing on every column, a CSV export of exactly what the grid shows (its
filters and sort applied), written on the server like the workbench's so Excel reads the
Chinese, and the message a list shows when it has nothing."""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import dash
import dash_ag_grid as dag
import dash_mantine_components as dmc
from dash import Input, Output, State, callback, dcc

from dashboard.i18n import lang_of, t
from dashboard.shell import LANG_STORE
from dashboard.workbench.export import csv_bytes
from store.models import utcnow

Table = Callable[[list[dict[str, Any]], str], tuple[list[str], list[list[Any]]]]
"""A grid's rows (as filtered and sorted on screen) in a language → a file's header and cells."""
ROW_PX = 42
HEAD_PX = 50
"""AG Grid's Quartz theme: a row and the header with the grid's border, in pixels."""


def grid(
    grid_id: str,
    *,
    selection: str | None = None,
    selectable: str | None = None,
    whole: bool = False,
    **props: Any,
) -> dag.AgGrid:
    """A grid whose rows, columns and height (``fit``) callbacks fill. ``selection`` is
    ``singleRow`` (a click picks a row) or ``multiRow`` (checkboxes, only on rows where the
    JavaScript condition ``selectable`` holds). A ``whole`` grid is as tall as all its rows,
    however tall each is (wrapped text: few rows, read whole). ``props`` go to the grid."""
    options: dict[str, Any] = {"tooltipShowDelay": 300, "suppressNoRowsOverlay": True}
    if selection == "singleRow":
        options["rowSelection"] = {
            "mode": "singleRow",
            "checkboxes": False,
            "enableClickSelection": True,
        }
    elif selection == "multiRow":
        options["rowSelection"] = {
            "mode": "multiRow",
            "checkboxes": True,
            "headerCheckbox": False,
            "enableClickSelection": False,
        }
        if selectable:
            options["rowSelection"]["isRowSelectable"] = {"function": selectable}
    if whole:
        options["domLayout"] = "autoHeight"
    return dag.AgGrid(
        id=grid_id,
        rowData=[],
        columnDefs=[],
        defaultColDef={"sortable": True, "filter": True, "resizable": True},
        getRowId="params.data.rid",
        dashGridOptions=options,
        style=fit(0),
        **props,
    )


def fit(rows: int, most: int | None = 12) -> dict[str, str]:
    """A grid's style for ``rows`` rows: as tall as they are, up to ``most`` (then it
    scrolls; None for a ``whole`` grid), and hidden when there are none (the list's empty
    state says why)."""
    if not rows:
        return {"display": "none"}
    if most is None:
        return {"width": "100%"}
    return {"width": "100%", "height": f"{HEAD_PX + ROW_PX * min(rows, most) + 2}px"}


@dataclass(frozen=True, slots=True)
class Exports:
    """One page's CSV exports: its ``dcc.Download`` (``<prefix>-download``) and its export
    buttons, pattern ids of the role ``<prefix>-export`` (``grid``: the grid each exports).
    Each page has its own role, so a page labelling its buttons by pattern never reaches
    another page's."""

    prefix: str

    @property
    def role(self) -> str:
        return f"{self.prefix}-export"

    @property
    def download(self) -> str:
        return f"{self.prefix}-download"

    def layout(self) -> dcc.Download:
        return dcc.Download(id=self.download)

    def button(self, grid_id: str) -> dmc.Button:
        return dmc.Button(id={"role": self.role, "grid": grid_id}, variant="default", size="xs")

    def register(self, grid_id: str, table: Table, name: str) -> None:
        """The export button of ``grid_id`` writes the rows it shows, as ``table`` lays them
        out, to ``orderwatch-<name>-<time>.csv``."""

        @callback(
            Output(self.download, "data", allow_duplicate=True),
            Input({"role": self.role, "grid": grid_id}, "n_clicks"),
            State(grid_id, "virtualRowData"),
            State(grid_id, "rowData"),
            State(LANG_STORE, "data"),
            prevent_initial_call=True,
        )
        def export(
            clicks: int | None,
            shown: list[dict[str, Any]] | None,
            every: list[dict[str, Any]] | None,
            lang: Any,
        ) -> Any:
            if not clicks:
                return dash.no_update
            rows = shown if shown is not None else every or []
            header, body = table(rows, lang_of(lang))
            return {
                "content": base64.b64encode(csv_bytes(header, body)).decode(),
                "filename": f"orderwatch-{name}-{utcnow():%Y%m%d-%H%M}.csv",
                "base64": True,
            }


def empty_state(key: str, lang: str, *, color: str = "gray", titled: bool = False) -> dmc.Alert:
    """The message a list shows when it has nothing (``<key>.title`` too when ``titled``)."""
    title = t(f"{key}.title", lang) if titled else None
    return dmc.Alert(t(key if not titled else f"{key}.body", lang), title=title, color=color)
