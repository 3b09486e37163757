"""The stuck-order worklist: open orders only, every filter, sort, paging, precise refusals,
and the one-line summary of each row (SQLite and PostgreSQL)."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session, sessionmaker

from dashboard.formatting import duration
from rules.stuck import summarize
from store.errors import InvalidInput
from store.worklist import SlaState, SortKey, WorkFilter, WorkPage, worklist
from tests.worklist_floor import NOW, build_floor


@pytest.fixture
def floor(sessions: sessionmaker[Session]) -> dict[str, str]:
    return build_floor(sessions)


def page(sessions: sessionmaker[Session], filters: WorkFilter, **kwargs: object) -> WorkPage:
    with sessions() as session:
        return worklist(session, filters, now=NOW, **kwargs)  # type: ignore[arg-type]


def letters(result: WorkPage, floor: dict[str, str]) -> str:
    by_number = {number: letter for letter, number in floor.items()}
    return "".join(by_number[row.order_no] for row in result.rows)


def test_open_orders_most_urgent_first(
    sessions: sessionmaker[Session], floor: dict[str, str]
) -> None:
    result = page(sessions, WorkFilter())
    assert letters(result, floor) == "ADBC"
    assert result.total == 4
    a = result.rows[0]
    assert (a.channel, a.stage, a.assignee, a.warehouse) == (
        "tmall-main",
        "awaiting_pick",
        "张三",
        "SH-01",
    )
    assert [row.sla_state(NOW) for row in result.rows] == [
        SlaState.BREACHED,
        SlaState.DUE_SOON,
        SlaState.ON_TIME,
        SlaState.ON_TIME,
    ]


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        (WorkFilter(stages=("awaiting_pick",)), "AB"),
        (WorkFilter(stages=("on_hold", "pending_review")), "DC"),
        (WorkFilter(sla=("breached",)), "A"),
        (WorkFilter(sla=("due_soon",)), "D"),
        (WorkFilter(sla=("on_time",)), "BC"),
        (WorkFilter(sla=("breached", "due_soon")), "AD"),
        (WorkFilter(channels=("jd-main",)), "C"),
        (WorkFilter(warehouses=("GZ-03",)), "C"),
        (WorkFilter(hold_categories=("out_of_stock",)), "C"),
        (WorkFilter(pickers=("张三",)), "A"),
        (WorkFilter(min_age_h=3), "AD"),
        (WorkFilter(max_age_h=1), "B"),
        (WorkFilter(min_age_h=1, max_age_h=3.6), "DC"),
        (WorkFilter(stages=("awaiting_pick",), sla=("on_time",)), "B"),
        (WorkFilter(channels=("tmall-main",), stages=("on_hold",)), ""),
    ],
)
def test_filters(
    sessions: sessionmaker[Session], floor: dict[str, str], filters: WorkFilter, expected: str
) -> None:
    result = page(sessions, filters)
    assert letters(result, floor) == expected
    assert result.total == len(expected)


def test_order_number_prefix(sessions: sessionmaker[Session], floor: dict[str, str]) -> None:
    assert letters(page(sessions, WorkFilter(order_no=floor["B"])), floor) == "B"
    assert letters(page(sessions, WorkFilter(order_no=floor["B"].lower())), floor) == "B"
    assert page(sessions, WorkFilter(order_no="OW")).total == 4
    assert page(sessions, WorkFilter(order_no="XX")).total == 0


def test_sort_and_pages(sessions: sessionmaker[Session], floor: dict[str, str]) -> None:
    newest = [SortKey("stage_entered_at", descending=True)]
    assert letters(page(sessions, WorkFilter(), sort=newest), floor) == "BCDA"
    first = page(sessions, WorkFilter(), sort=newest, offset=0, limit=3)
    rest = page(sessions, WorkFilter(), sort=newest, offset=3, limit=3)
    assert (letters(first, floor), letters(rest, floor)) == ("BCD", "A")
    assert first.total == rest.total == 4
    by_picker = [SortKey("assignee", descending=True), SortKey("order_no")]
    assert letters(page(sessions, WorkFilter(), sort=by_picker), floor)[0] == "A"


@pytest.mark.parametrize(
    ("filters", "message"),
    [
        (WorkFilter(channels=("nope",)), "unknown channel 'nope'"),
        (WorkFilter(stages=("shipped",)), "stage 'shipped' is not an open stage"),
        (WorkFilter(sla=("late",)), "unknown SLA state"),
        (WorkFilter(hold_categories=("lost",)), "unknown hold category 'lost'"),
        (WorkFilter(min_age_h=5, max_age_h=2), "minimum age 5 h is above the maximum age 2 h"),
        (WorkFilter(min_age_h=-1), "age -1 h must be between 0 and one year"),
    ],
)
def test_impossible_filters_are_refused(
    sessions: sessionmaker[Session], floor: dict[str, str], filters: WorkFilter, message: str
) -> None:
    with pytest.raises(InvalidInput, match=message):
        page(sessions, filters)


def test_unknown_sort_column_and_bad_page_are_refused(
    sessions: sessionmaker[Session], floor: dict[str, str]
) -> None:
    with pytest.raises(InvalidInput, match="cannot sort on 'buyer_phone'"):
        page(sessions, WorkFilter(), sort=[SortKey("buyer_phone")])
    with pytest.raises(InvalidInput, match="page must"):
        page(sessions, WorkFilter(), limit=0)


def test_each_row_says_why_it_is_stuck(
    sessions: sessionmaker[Session], floor: dict[str, str]
) -> None:
    rows = {row.order_no: row for row in page(sessions, WorkFilter()).rows}
    said = {
        letter: (
            summarize(rows[floor[letter]], NOW).text("zh", duration),
            summarize(rows[floor[letter]], NOW).text("en", duration),
        )
        for letter in "ABCD"
    }
    assert said["A"] == (
        "待拣货 3 小时 45 分，超出 SLA 1 小时 45 分；等待拣货员 张三",
        "Awaiting pick 3 h 45 min, 1 h 45 min over SLA; waiting for picker 张三",
    )
    assert said["B"] == (
        "待拣货 45 分；等待分配拣货员",
        "Awaiting pick 45 min; waiting for a picker to be assigned",
    )
    assert said["C"] == (
        "异常拦截 2 小时 45 分；等待到货补库存",
        "On hold 2 h 45 min; waiting for stock to arrive",
    )
    assert said["D"] == (
        "待审核 3 小时 35 分，距 SLA 还剩 25 分；等待审核人员处理",
        "Pending review 3 h 35 min, 25 min left to SLA; waiting for a risk reviewer",
    )
