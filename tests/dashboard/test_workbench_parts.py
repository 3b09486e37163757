"""The workbench's parts without a browser: filters to and from the URL, the toast's words,
the CSV export."""

from __future__ import annotations

import csv
import io

import pytest

from dashboard.i18n import audit_action_label, source_label
from dashboard.workbench import query
from dashboard.workbench.export import to_csv
from dashboard.workbench.outcome import summary
from rules.order_actions import BatchResult, Outcome
from store.stages import Source
from store.worklist import SortKey, WorkFilter


def test_filters_round_trip_through_the_url() -> None:
    filters = query.from_query(
        {"stage": "awaiting_pick,on_hold", "sla": "breached", "min_age": "2", "order_no": "OW00"}
    )
    assert query.to_query(filters) == (
        "?stage=awaiting_pick%2Con_hold&sla=breached&min_age=2&order_no=OW00"
    )
    assert query.to_work_filter(filters) == WorkFilter(
        stages=("awaiting_pick", "on_hold"), sla=("breached",), min_age_h=2.0, order_no="OW00"
    )
    assert query.is_filtered(filters)
    assert not query.is_filtered(query.from_query({}))
    assert query.to_query(query.from_query({})) == ""


def test_an_age_that_is_not_a_number_is_refused_with_its_value() -> None:
    with pytest.raises(query.BadFilter, match="min_age 'soon' is not a number of hours"):
        query.to_work_filter(query.from_query({"min_age": "soon"}))


def test_sort_model_keeps_sortable_columns_only() -> None:
    model = [{"colId": "stage_entered_at", "sort": "desc"}, {"colId": "summary", "sort": "asc"}]
    assert query.sort_keys(model) == [SortKey("stage_entered_at", descending=True)]


def test_toast_names_each_refused_order_in_the_language() -> None:
    result = BatchResult(
        [
            Outcome("OW1", True, "applied", "", "paid", None),
            Outcome("OW2", False, "stage_changed", "…", "shipped", None),
            Outcome("OW3", False, "reassigned", "…", "awaiting_pick", "李四"),
            Outcome("OW4", False, "not_assignable", "order OW4 is paid; only …", "paid", None),
        ]
    )
    assert summary("release", result, "zh") == (
        "解除拦截：成功 1 单，拒绝 3 单：OW2 已变为「已出库」（已被处理）；OW3 已改派给 李四；"
        "OW4 order OW4 is paid; only …"
    )
    assert summary("release", result, "en").startswith(
        "Release hold: 1 done, 3 refused: OW2 is Shipped now (it changed meanwhile); "
        "OW3 was reassigned to 李四"
    )


def test_csv_export_opens_in_excel_with_chinese_headers() -> None:
    content = to_csv([{"order_no": "OW1", "stage": "待拣货", "summary": "待拣货 3 小时"}], "zh")
    assert content.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    assert rows[0][:2] == ["订单号", "环节"]
    assert rows[1][0] == "OW1" and rows[1][-1] == "待拣货 3 小时"


@pytest.mark.parametrize(
    ("code", "zh", "en"),
    [
        ("order.released", "解除拦截", "Released"),
        ("order.moved_to_packed", "进入「已打包」", "Moved to Packed"),
        ("console.refused", "操作被拒绝（无权限）", "Action refused (no permission)"),
        ("order.something_new", "order.something_new", "order.something_new"),
    ],
)
def test_audit_actions_read_as_words_in_both_languages(code: str, zh: str, en: str) -> None:
    assert (audit_action_label(code, "zh"), audit_action_label(code, "en")) == (zh, en)


def test_every_source_of_a_move_has_a_name_in_both_languages() -> None:
    for source in Source:
        assert source.value not in {source_label(source.value, lang) for lang in ("zh", "en")}
