"""The rules editor's forms, built from the rule models: every kind drawn and read back gives the
same rule; rows added and removed; problems placed on the input they are about; problems and
diffs in words in both languages."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, time
from decimal import Decimal
from typing import Any

import pytest
from pydantic import BaseModel

from dashboard.rules_editor import form, views
from dashboard.rules_editor.work import blank
from rules.catalog import KINDS
from rules.defaults import DEFAULT_RULES
from rules.definitions import (
    BusinessCalendar,
    RefundPolicy,
    RefundRoute,
    RefundTier,
    RiskConditions,
    RiskRule,
    SafetyStockRule,
    ShipByPromise,
    WhitelistEntry,
)
from rules.diff import BodyChange
from rules.editing import FieldProblem

CHANNELS = ("tmall-main", "xhs-main")
SAMPLES: list[BaseModel] = [
    RiskRule(
        name="big-new-buyers",
        priority=5,
        action="hold",
        when=RiskConditions(
            channels=("xhs-main",),
            payment_methods=("先用后付",),
            amount_at_least=Decimal("500"),
            first_order=False,
            address_missing_district=True,
            sku_categories=("gadget",),
        ),
        whitelist=(
            WhitelistEntry(channel="xhs-main", payment_method="先用后付", below=Decimal(800)),
        ),
    ),
    *DEFAULT_RULES.risk_rules,
    *DEFAULT_RULES.sla,
    ShipByPromise(
        name="same",
        channel="tmall-main",
        promise_type="same_day",
        cutoff=time(16, 0),
        business_hours=True,
    ),
    BusinessCalendar(workdays=(1, 2, 3, 4, 5), holidays=(date(2026, 10, 1), date(2026, 10, 2))),
    SafetyStockRule(name="hot", sku="SKU-1", threshold=3, keep_channel="tmall-main", alert=False),
    RefundPolicy(
        tiers=(RefundTier(up_to=Decimal(50), role="cs_lead"), RefundTier(role="ops_supervisor")),
        routes=(RefundRoute(ticket_kind="return", queue="returns", role="cs_lead"),),
    ),
]


def inputs(component: Any) -> Iterator[Any]:
    """Every input of the form's tree (components with a field id)."""
    component_id = getattr(component, "id", None)
    if isinstance(component_id, dict) and component_id.get("role") == form.FIELD:
        yield component
    children = getattr(component, "children", None)
    for child in children if isinstance(children, list) else [children]:
        if child is not None and not isinstance(child, str):
            yield from inputs(child)


def drawn(model: type[BaseModel], body: dict[str, Any]) -> dict[str, Any]:
    """What the browser would send back for the form drawn for ``body``: each input's value
    by its path."""
    tree = form.render(form.specs(model), body, form.Context("zh", CHANNELS))
    return {c.id["path"]: c.value for part in tree for c in inputs(part)}


@pytest.mark.parametrize("item", SAMPLES, ids=lambda item: type(item).__name__)
def test_every_kind_drawn_and_read_back_is_the_same_rule(item: BaseModel) -> None:
    model = type(item)
    assert model in {m for _a, m, _many in KINDS.values()}
    body = item.model_dump(mode="json")
    read = form.collect(form.specs(model), drawn(model, body))
    assert model.model_validate(read) == item


def test_a_new_rules_blank_form_names_what_is_missing() -> None:
    body = blank(ShipByPromise)
    read = form.collect(form.specs(ShipByPromise), drawn(ShipByPromise, body))
    assert read["business_hours"] is False and read["name"] == ""


def test_rows_are_added_and_removed_where_the_path_says() -> None:
    fields = form.specs(RiskRule)
    body = RiskRule(name="r", priority=1, action="hold").model_dump(mode="json")
    added = form.with_row(fields, body, "whitelist")
    assert added["whitelist"] == [{}]
    two = form.with_row(
        fields, added | {"whitelist": [{"channel": "a"}, {"channel": "b"}]}, "whitelist", remove=0
    )
    assert two["whitelist"] == [{"channel": "b"}]
    paths = drawn(RiskRule, added)
    assert {"whitelist.0.channel", "whitelist.0.payment_method", "whitelist.0.below"} <= set(paths)


def test_problems_go_to_the_input_they_are_about() -> None:
    paths = ["priority", "holidays", "whitelist.0.below"]
    problems: list[tuple[tuple[str | int, ...], str]] = [
        (("priority",), "clash"),
        (("holidays", 2), "a Sunday"),
        (("whitelist", 0), "twice"),
        ((), "whole rule"),
    ]
    errors, rest = form.field_errors(paths, problems)
    assert errors == ["clash", "a Sunday", None]
    assert rest == [(("whitelist", 0), "twice"), ((), "whole rule")]


def test_problems_read_in_each_language() -> None:
    own = FieldProblem(
        ("priority",),
        "Input should be greater than or equal to 0",
        None,
        "greater_than_equal",
        {"ge": "0"},
    )
    rules = FieldProblem(("max_hours",), "longer than the promise", "比发货承诺还长")
    unknown = FieldProblem(("x",), "something new", None, "no_such_code")
    assert [views.problem_text(p, "zh") for p in (own, rules, unknown)] == [
        "不能小于 0",
        "比发货承诺还长",
        "something new",
    ]
    assert views.problem_text(own, "en") == own.message


def test_a_diff_reads_as_fields_and_values() -> None:
    entry = {"channel": "xhs-main", "payment_method": "先用后付", "below": "300.00"}
    change = BodyChange(("whitelist", 0), None, entry)
    table = views.diff_table([change], 1, 2, "zh")
    text = str(table)
    assert "白名单 · 第 1 条" in text
    assert "渠道 xhs-main · 支付方式 先用后付 · 金额低于（元） 300.00" in text
    stage = views.diff_table([BodyChange(("stage",), "paid", "packed")], 1, 2, "en")
    assert "Paid" in str(stage) and "Packed" in str(stage)
