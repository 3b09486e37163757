"""The toast after an action: how many orders it changed and why each refused one was left
("40 released, 2 refused: OW… already shipped")."""

from __future__ import annotations

from dashboard.i18n import stage_label, t
from rules.order_actions import BatchResult, Outcome

SHOWN_REFUSALS = 5
"""Refused orders named in the toast; the rest are counted."""


def summary(action: str, result: BatchResult, lang: str) -> str:
    head = t(
        "orders.toast.head",
        lang,
        action=t(f"orders.action.{action}", lang),
        applied=len(result.applied),
        refused=len(result.refused),
    )
    refused = result.refused
    if not refused:
        return head
    shown = [reason(outcome, lang) for outcome in refused[:SHOWN_REFUSALS]]
    more = len(refused) - len(shown)
    if more:
        shown.append(t("orders.toast.more", lang, n=more))
    return head + ("：" if lang != "en" else ": ") + ("；" if lang != "en" else "; ").join(shown)


def reason(outcome: Outcome, lang: str) -> str:
    """Why one order was refused, translated where the code is known."""
    stage = stage_label(outcome.stage, lang) if outcome.stage else ""
    key = f"orders.refused.{outcome.code}"
    text = t(key, lang)
    if text == key:  # a store refusal without its own translation: its message says why
        return f"{outcome.order_no} {outcome.message}"
    return text.format(order=outcome.order_no, stage=stage, who=outcome.assignee or "—")


def one_order(action: str, outcome: Outcome, lang: str) -> str:
    """The toast after acting on one order: done, or why it was not."""
    name = t(f"orders.action.{action}", lang)
    if outcome.applied:
        return t("order.toast.done", lang, action=name, order=outcome.order_no)
    return t("order.toast.refused", lang, action=name, reason=reason(outcome, lang))
