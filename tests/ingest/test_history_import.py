"""``orderwatch import-csv``: CSV history with its stage times, UTF-8 or GBK, gzip, bad rows
reported by line, flagged backwards times, and a second import that changes nothing."""

from __future__ import annotations

import csv
import gzip
import io
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from ingest.history_import import import_history, load_mapping
from store.errors import InvalidInput
from store.models import MetricHourly, Order
from tests.conftest import Run

HEADER = ["订单号", "状态", "实付金额", "支付方式", "付款时间", "审核时间", "拣货开始", "拣货完成",
          "打包时间", "发货时间", "最晚发货时间", "仓库"]  # fmt: skip
MAPPING = """
[source]
channel = "legacy-erp"
timezone = "Asia/Shanghai"
encoding = "{encoding}"
[columns]
channel_order_id = "订单号"
status = "状态"
amount = "实付金额"
payment_method = "支付方式"
paid_at = "付款时间"
awaiting_pick_at = "审核时间"
first_picked_at = "拣货开始"
picked_at = "拣货完成"
packed_at = "打包时间"
shipped_at = "发货时间"
ship_by = "最晚发货时间"
warehouse = "仓库"
[status_map]
"已发货" = "shipped"
"待拣货" = "awaiting_pick"
"已取消" = "cancelled"
"""
ROWS = [
    ["L1", "已发货", "￥1,288.00", "支付宝", "2025-03-05 14:10:00", "2025-03-05 14:12",
     "2025/03/05 15:00", "2025-03-05 15:20", "2025-03-05 16:00", "2025-03-05 18:00",
     "2025-03-06 14:10", "SH-01"],
    ["L2", "待拣货", "59.9", "微信", "2025-03-05 09:00", "2025-03-05 09:05", "", "", "", "",
     "", "SH-01"],
    ["L3", "已发货", "10", "", "2025-03-04 10:00", "2025-03-04 10:00", "", "2025-03-04 12:00",
     "2025-03-04 11:00", "2025-03-04 13:00", "", "HZ-02"],  # packed before picked: flagged
    ["L4", "已发货", "10", "", "2025-02-30 10:00", "", "", "", "", "", "", ""],  # bad date
    ["L5", "退款中", "10", "", "2025-03-04 10:00", "", "", "", "", "", "", ""],  # unknown
    ["L1", "已发货", "1288", "", "2025-03-05 14:10", "", "", "", "", "", "", ""],  # dup
    ["L6", "已取消", "abc", "", "2025-03-04 10:00", "", "", "", "", "", "", ""],  # amount
]  # fmt: skip


def write_export(path: Path, rows: list[list[str]], encoding: str = "utf-8") -> Path:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(HEADER)
    writer.writerows(rows)
    data = buffer.getvalue().encode(encoding)
    if path.suffix == ".gz":
        data = gzip.compress(data)
    path.write_bytes(data)
    return path


def write_mapping(path: Path, encoding: str = "utf-8") -> Path:
    path.write_text(MAPPING.format(encoding=encoding), encoding="utf-8")
    return path


def _url(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def _orders(sessions: sessionmaker[Session]) -> dict[str, Order]:
    with sessions() as session:
        return {o.channel_order_id: o for o in session.scalars(select(Order))}


def _local(text: str) -> datetime:
    return datetime.fromisoformat(text + "+08:00").astimezone(UTC)


def test_import_reports_bad_rows_by_line_and_imports_the_rest(
    run: Run, engine: Engine, sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    export = write_export(tmp_path / "orders.csv", ROWS)
    mapping = write_mapping(tmp_path / "mapping.toml")

    code, out, _err = run("import-csv", str(export), "--mapping", str(mapping),
                          database=_url(engine))  # fmt: skip
    orders = _orders(sessions)
    with (tmp_path / "orders.csv.errors.csv").open(encoding="utf-8") as report:
        problems = sorted((int(r["line"]), r["kind"], r["problem"]) for r in csv.DictReader(report))

    assert code == 1  # some rows failed
    assert out.splitlines()[0] == "7 rows: 3 new, 0 updated, 0 unchanged, 4 failed, 1 flagged"
    assert sorted(orders) == ["L1", "L2", "L3"]
    first = orders["L1"]
    assert (first.stage, str(first.amount), first.warehouse) == ("shipped", "1288.00", "SH-01")
    assert first.first_picked_at == _local("2025-03-05 15:00")
    assert first.packed_at == _local("2025-03-05 16:00")
    assert first.stage_entered_at == first.shipped_at == _local("2025-03-05 18:00")
    assert first.ship_by == _local("2025-03-06 14:10")
    assert (orders["L2"].stage, orders["L2"].awaiting_pick_at) == (
        "awaiting_pick", _local("2025-03-05 09:05"))  # fmt: skip
    assert orders["L3"].packed_at == _local("2025-03-04 11:00")  # as given
    assert problems == [
        (4, "warning", "stage times go backwards: packed_at 2025-03-04T11:00:00+08:00 is "
                         "before picked_at 2025-03-04T12:00:00+08:00 (imported as given)"),
        (5, "error", "付款时间 (paid_at): cannot read '2025-02-30 10:00' as a date"),
        (6, "error", "unknown status value '退款中' (status_map has: 已发货, 待拣货, 已取消)"),
        (7, "error", "duplicate of line 2"),
        (8, "error", "amount: cannot read 'abc' as a number"),
    ]  # fmt: skip
    with sessions() as session:  # the imported hours are in the rollups
        rolled = session.scalar(
            select(func.sum(MetricHourly.entered)).where(MetricHourly.stage == "shipped")
        )
    assert rolled == 2


def test_second_import_changes_nothing(
    engine: Engine, sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    export = write_export(tmp_path / "orders.csv.gz", ROWS[:3])
    mapping = load_mapping(write_mapping(tmp_path / "mapping.toml"))
    first = import_history(engine, export, mapping, errors_path=tmp_path / "e1.csv", batch_size=2)
    before = {k: (o.version, o.packed_at) for k, o in _orders(sessions).items()}
    second = import_history(engine, export, mapping, errors_path=tmp_path / "e2.csv")
    after = {k: (o.version, o.packed_at) for k, o in _orders(sessions).items()}

    assert (first.inserted, first.failed, first.flagged) == (3, 0, 1)
    assert (second.inserted, second.updated, second.unchanged) == (0, 0, 3)
    assert before == after


def test_gbk_export(engine: Engine, sessions: sessionmaker[Session], tmp_path: Path) -> None:
    export = write_export(tmp_path / "gbk.csv", ROWS[:2], encoding="gbk")
    mapping = load_mapping(write_mapping(tmp_path / "mapping.toml", encoding="gbk"))
    summary = import_history(engine, export, mapping, errors_path=tmp_path / "e.csv")
    assert (summary.inserted, summary.failed, summary.errors_path) == (2, 0, None)
    assert _orders(sessions)["L1"].payment_method == "支付宝"


def test_wrong_encoding_is_one_clear_error(engine: Engine, tmp_path: Path) -> None:
    export = write_export(tmp_path / "gbk.csv", ROWS[:2], encoding="gbk")
    mapping = load_mapping(write_mapping(tmp_path / "mapping.toml"))
    with pytest.raises(InvalidInput, match="is not utf-8 text"):
        import_history(engine, export, mapping, errors_path=tmp_path / "e.csv")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[source\nchannel=1", "is not valid TOML"),
        ('[source]\nchannel = "x"\n[columns]\nstatus = "s"', "channel_order_id is required"),
        ('[source]\nchannel = "x"\n[columns]\nchannel_order_id = "a"\nprice = "b"',
         "unknown field(s) price"),
        ('[source]\nchannel = "x"\ntimezone = "Mars/Olympus"\n[columns]\nchannel_order_id = "a"',
         "unknown time zone 'Mars/Olympus'"),
        ('[source]\nchannel = "x"\n[columns]\nchannel_order_id = "a"\n[status_map]\n"x" = "gone"',
         "unknown stage 'gone'"),
    ],
)  # fmt: skip
def test_malformed_mapping_is_refused(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InvalidInput) as refused:
        load_mapping(path)
    assert message in refused.value.message


def test_mapping_naming_a_missing_column_imports_nothing(
    run: Run, engine: Engine, sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    export = tmp_path / "orders.csv"
    export.write_text("订单号,付款时间\nL1,2025-03-05 10:00\n", encoding="utf-8")
    mapping = write_mapping(tmp_path / "mapping.toml")

    code, out, err = run("import-csv", str(export), "--mapping", str(mapping),
                         database=_url(engine))  # fmt: skip

    assert (code, out) == (1, "")
    assert err.startswith(
        "error: column(s) named in the mapping are not in the file's header: 状态"
    )
    assert _orders(sessions) == {}


def test_clean_file_has_no_error_report(run: Run, engine: Engine, tmp_path: Path) -> None:
    export = write_export(tmp_path / "orders.csv", ROWS[:2])
    mapping = write_mapping(tmp_path / "mapping.toml")
    code, out, _err = run("import-csv", str(export), "--mapping", str(mapping),
                          database=_url(engine))  # fmt: skip
    assert (code, out) == (0, "2 rows: 2 new, 0 updated, 0 unchanged, 0 failed, 0 flagged\n")
    assert not (tmp_path / "orders.csv.errors.csv").exists()
