"""``import-csv`` on files that cannot be read to the end (issue 14, findings 5 and 12): one
line, exit 1, a summary of what landed and where it stopped, and a re-run that changes
nothing."""

from __future__ import annotations

import csv
import gzip
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from store.models import Order
from tests.conftest import Run
from tests.ingest.test_history_import import HEADER, write_export, write_mapping


def _url(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def _row(n: int, paid: str = "2025-03-05 14:10") -> list[str]:
    return [f"R{n}", "已发货", "10", "", paid, "", "", "", "", paid, "", "SH-01"]


def _count(sessions: sessionmaker[Session]) -> int:
    with sessions() as session:
        return int(session.scalar(select(func.count(Order.id))) or 0)


def _one_line_error(code: int, out: str, err: str) -> str:
    assert code == 1, (out, err)
    assert err.count("\n") == 1 and err.startswith("error: "), err
    return err


def _import(
    run: Run, engine: Engine, export: Path, mapping: Path, *extra: str
) -> tuple[int, str, str]:
    return run("import-csv", str(export), "--mapping", str(mapping), "--batch", "50", *extra,
               database=_url(engine))  # fmt: skip


def test_a_row_dated_year_one_goes_to_the_error_report(
    run: Run, engine: Engine, sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    rows = [_row(1), _row(2, paid="0001-01-01 00:00"), _row(3, paid="9999-12-31 23:59"), _row(4)]
    export = write_export(tmp_path / "orders.csv", rows)

    code, out, _err = _import(run, engine, export, write_mapping(tmp_path / "m.toml"))
    with (tmp_path / "orders.csv.errors.csv").open(encoding="utf-8") as report:
        problems = {r["channel_order_id"]: r["problem"] for r in csv.DictReader(report)}

    assert code == 1
    assert out.splitlines()[0] == "4 rows: 2 new, 0 updated, 0 unchanged, 2 failed, 0 flagged"
    assert set(problems) == {"R2", "R3"}
    assert "0001-01-01T00:00:00 is not between 2000-01-01 and 2100-01-01" in problems["R2"]
    assert _count(sessions) == 2


def _stops_midway(run: Run, engine: Engine, export: Path, mapping: Path) -> str:
    err = _one_line_error(*_import(run, engine, export, mapping))
    assert "stopped at line" in err
    assert "fix the file and import it again" in err
    return err


def test_a_decoding_error_after_200_rows_says_what_landed(
    run: Run, engine: Engine, sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    export = write_export(tmp_path / "orders.csv", [_row(n) for n in range(306)])
    lines = export.read_bytes().split(b"\n")
    lines[201] = lines[201].replace(b"SH-01", b"SH-\xff\xfe")  # line 202: the 201st row
    export.write_bytes(b"\n".join(lines))
    mapping = write_mapping(tmp_path / "m.toml")

    err = _stops_midway(run, engine, export, mapping)
    landed = _count(sessions)
    again = _stops_midway(run, engine, export, mapping)

    assert "is not utf-8 text" in err
    assert 0 < landed <= 200
    assert f"the {landed} row(s) before it were imported ({landed} new" in err
    assert _count(sessions) == landed  # the re-run changed nothing
    assert f"0 new, 0 updated, {landed} unchanged" in again


def test_a_field_over_the_csv_limit_stops_with_a_summary(
    run: Run, engine: Engine, sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    rows = [_row(n) for n in range(10)]
    rows[5][3] = "x" * (csv.field_size_limit() + 1)
    export = write_export(tmp_path / "orders.csv", rows)

    err = _stops_midway(run, engine, export, write_mapping(tmp_path / "m.toml"))

    assert "stopped at line 7" in err and "field larger than field limit" in err
    assert _count(sessions) == 5


def test_a_truncated_gzip_stops_with_a_summary(
    run: Run, engine: Engine, sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    export = write_export(tmp_path / "orders.csv.gz", [_row(n) for n in range(3000)])
    export.write_bytes(export.read_bytes()[: export.stat().st_size // 2])

    err = _stops_midway(run, engine, export, write_mapping(tmp_path / "m.toml"))

    assert "the gzip file is truncated or damaged" in err
    assert "aborted" not in err
    assert _count(sessions) > 0


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        ("fake-gzip", "starts like a gzip file but is not one"),
        ("folder", "is a folder, not a CSV file"),
        ("missing", "does not exist"),
        ("report-folder-missing", "the error report's folder"),
        ("report-is-folder", "is a folder; name a file in it"),
        ("mapping-is-folder", "cannot be read"),
    ],
)
def test_files_that_cannot_be_used_are_one_line_before_anything_is_imported(
    run: Run, sqlite_engine: Engine, tmp_path: Path, setup: str, message: str
) -> None:
    export = write_export(tmp_path / "orders.csv", [_row(1)])
    mapping = write_mapping(tmp_path / "m.toml")
    extra: list[str] = []
    if setup == "fake-gzip":
        export.write_bytes(b"\x1f\x8b" + b"not gzip at all" * 10)
    elif setup == "folder":
        export = tmp_path
    elif setup == "missing":
        export = tmp_path / "nope.csv"
    elif setup == "report-folder-missing":
        extra = ["--errors", str(tmp_path / "no" / "such" / "errors.csv")]
    elif setup == "report-is-folder":
        extra = ["--errors", str(tmp_path)]
    else:
        mapping = tmp_path

    err = _one_line_error(*_import(run, sqlite_engine, export, mapping, *extra))

    assert message in err


def test_gzip_that_ends_cleanly_still_imports(
    run: Run, engine: Engine, sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    export = tmp_path / "orders.csv.gz"
    text = ",".join(HEADER) + "\n" + "\n".join(",".join(_row(n)) for n in range(3)) + "\n"
    export.write_bytes(gzip.compress(text.encode()))

    code, out, _err = _import(run, engine, export, write_mapping(tmp_path / "m.toml"))

    assert (code, out.splitlines()[0]) == (
        0,
        "3 rows: 3 new, 0 updated, 0 unchanged, 0 failed, 0 flagged",
    )
