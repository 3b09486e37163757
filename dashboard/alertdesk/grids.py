"""The alerts page's grids: AG Grid with sorting, filters and resizing on every column, and a
CSV export of exactly what the grid shows (its filters and sort applied), written on the
server like the workbench's so Excel reads the Chinese."""

from __future__ import annotations

import base64
from typing import Any

import dash
import dash_ag_grid as dag
import dash_mantine_components as dmc
from dash import Input, Output, State, callback

from dashboard.alertdesk.rows import ColumnSpec, export_table
from dashboard.i18n import lang_of
from dashboard.shell import LANG_STORE
from dashboard.workbench.export import csv_bytes
from store.models import utcnow

DOWNLOAD = "alerts-download"
EXPORT = "alerts-export"
"""Pattern id role of the export buttons (``grid``: the grid they export)."""
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


def export_button(grid_id: str) -> dmc.Button:
    return dmc.Button(id={"role": EXPORT, "grid": grid_id}, variant="default", size="xs")


def register_export(grid_id: str, columns: tuple[ColumnSpec, ...], name: str) -> None:
    """The export button of ``grid_id`` writes the rows it shows to a CSV file."""

    @callback(
        Output(DOWNLOAD, "data", allow_duplicate=True),
        Input({"role": EXPORT, "grid": grid_id}, "n_clicks"),
        State(grid_id, "virtualRowData"),
        State(grid_id, "rowData"),
        State(LANG_STORE, "data"),
        prevent_initial_call=True,
    )
    def export(
        clicks: int | None, shown: list[dict[str, Any]] | None, every: Any, lang: Any
    ) -> Any:
        if not clicks:
            return dash.no_update
        rows = shown if shown is not None else every or []
        header, body = export_table(columns, rows, lang_of(lang))
        return {
            "content": base64.b64encode(csv_bytes(header, body)).decode(),
            "filename": f"orderwatch-{name}-{utcnow():%Y%m%d-%H%M}.csv",
            "base64": True,
        }
