"""The filtered worklist as a file: CSV (UTF-8 with a byte-order mark, so Excel reads the
Chinese) or an Excel workbook written on the server (AG Grid's community edition has no Excel
export). ``csv_bytes`` writes any page's table the same way."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font

from dashboard.i18n import t
from dashboard.workbench.rows import EXPORTED

MAX_EXPORT = 50_000
"""Rows one export holds; a larger worklist needs narrower filters."""


def headers(lang: str) -> list[str]:
    return [t(f"orders.col.{field}", lang) for field in EXPORTED]


def csv_bytes(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    """A table as CSV in UTF-8 with a byte-order mark (without it Excel reads GBK)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def to_csv(rows: Sequence[dict[str, Any]], lang: str) -> bytes:
    return csv_bytes(headers(lang), ([row.get(field, "") for field in EXPORTED] for row in rows))


def to_xlsx(rows: Sequence[dict[str, Any]], lang: str) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None  # a new workbook always has its first sheet
    sheet.title = t("orders.sheet", lang)
    sheet.append(headers(lang))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append([row.get(field, "") for field in EXPORTED])
    sheet.freeze_panes = "A2"
    for letter, width in zip(
        "ABCDEFGHIJK", (16, 10, 14, 10, 12, 14, 16, 16, 12, 12, 60), strict=True
    ):
        sheet.column_dimensions[letter].width = width
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


Sheet = tuple[str, Sequence[str], Iterable[Sequence[Any]]]
"""(title, header, rows) of one worksheet."""


def xlsx_bytes(sheets: Sequence[Sheet]) -> bytes:
    """A workbook of any page's tables, a sheet each, their headers bold and frozen."""
    book = Workbook()
    first = book.active
    assert first is not None  # a new workbook always has its first sheet
    for n, (title, header, rows) in enumerate(sheets):
        sheet = first if n == 0 else book.create_sheet()
        sheet.title = title[:31]  # Excel's limit
        sheet.append(list(header))
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in rows:
            sheet.append(list(row))
        sheet.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
