"""Explain (为什么卡单): why an order is where it is and why it is late.

The answer names the rule version that held or released it with the conditions that matched,
the SLA deadlines that apply and how far past them the order is, what it is waiting for and
which roles can unblock it. It carries no buyer personal data, so every role may see it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from rules.catalog import load_rules
from rules.facts import gather_facts
from rules.risk import RiskEvaluator
from rules.sla import OrderClock, deadlines
from store.models import Order, RiskDecision, utcnow
from store.orders import get_channel_name, get_order, timeline
from store.stages import STAGE_LABELS, Stage

REVIEWERS = ("supervisor", "ops_supervisor", "admin")


@dataclass(frozen=True, slots=True)
class Waiting:
    code: str
    zh: str
    en: str
    roles: tuple[str, ...]


# What an order in each stage waits for, and who can move it on (README: roles).
WAITING: dict[str, Waiting] = {
    "pending_review": Waiting("reviewer", "等待审核人员处理", "a risk reviewer", REVIEWERS),
    "paid": Waiting(
        "release",
        "等待库存预留并下发仓库",
        "stock to be reserved and the order released",
        ("supervisor", "admin"),
    ),
    "awaiting_pick": Waiting("picker", "等待拣货员拣货", "a picker", ("supervisor", "admin")),
    "picked": Waiting("packer", "等待打包", "packing", ("supervisor", "admin")),
    "packed": Waiting(
        "carrier", "等待快递揽收", "the carrier's pickup", ("ops_supervisor", "admin")
    ),
}
HOLD_WAITING: dict[str, Waiting] = {
    "out_of_stock": Waiting("stock", "等待到货补库存", "stock to arrive", ("supervisor", "admin")),
    "unclear_address": Waiting(
        "address", "等待与买家确认地址", "the buyer's address to be confirmed", ("cs_lead", "admin")
    ),
    "customer_refused": Waiting(
        "customer",
        "等待客服与买家沟通",
        "customer service to settle the refusal",
        ("cs_lead", "admin"),
    ),
    "risk_review": Waiting("reviewer", "等待风控审核", "a risk reviewer", REVIEWERS),
    "payment_issue": Waiting(
        "payment", "等待支付问题处理", "the payment issue to be resolved", ("cs_lead", "admin")
    ),
    "carrier_missed_pickup": Waiting(
        "carrier", "等待快递重新揽收", "the carrier to pick up again", ("ops_supervisor", "admin")
    ),
}
OTHER_HOLD = Waiting("supervisor", "等待主管处理异常", "a supervisor to clear the hold", REVIEWERS)
NOTHING = Waiting("nothing", "无需处理", "nothing: the order has left the warehouse", ())


@dataclass
class Explanation:
    """A structured answer; ``as_dict`` is what the API returns and the console shows."""

    order_no: str
    channel: str
    stage: str
    since: datetime
    now: datetime
    risk: dict[str, Any] | None
    deadlines: list[dict[str, Any]]
    waiting: Waiting
    timeline: list[dict[str, Any]] = field(default_factory=list)

    @property
    def late(self) -> bool:
        return any(d["overdue"] for d in self.deadlines)

    def as_dict(self) -> dict[str, Any]:
        zh, en = STAGE_LABELS[Stage(self.stage)]
        return {
            "order_no": self.order_no,
            "channel": self.channel,
            "stage": {"code": self.stage, "zh": zh, "en": en},
            "in_stage_since": self.since.isoformat(),
            "in_stage_s": int((self.now - self.since).total_seconds()),
            "late": self.late,
            "risk": self.risk,
            "deadlines": self.deadlines,
            "waiting_for": {
                "code": self.waiting.code,
                "zh": self.waiting.zh,
                "en": self.waiting.en,
            },
            "can_unblock": list(self.waiting.roles),
            "summary": {"zh": self.summary("zh"), "en": self.summary("en")},
            "timeline": self.timeline,
        }

    def summary(self, language: str) -> str:
        zh = language == "zh"
        label = STAGE_LABELS[Stage(self.stage)][0 if zh else 1]
        stay = _duration(self.now - self.since, zh)
        parts = [
            f"{self.order_no} 在「{label}」已停留 {stay}"
            if zh
            else f"{self.order_no} has been {label.lower()} for {stay}"
        ]
        if self.risk is not None:
            parts.append(_risk_line(self.risk, zh))
        overdue = [d for d in self.deadlines if d["overdue"]]
        if overdue:
            worst = max(overdue, key=lambda d: d["overrun_s"])
            over = _duration(timedelta(seconds=worst["overrun_s"]), zh)
            rule = f"{worst['name']} v{worst['version']}"
            parts.append(
                f"已超出时限 {rule} {over}" if zh else f"over its deadline {rule} by {over}"
            )
        roles = ", ".join(self.waiting.roles)
        if zh:
            parts.append(f"{self.waiting.zh}" + (f"（可处理：{roles}）" if roles else ""))
        else:
            parts.append(
                f"waiting for {self.waiting.en}" + (f" (can unblock: {roles})" if roles else "")
            )
        return ("；" if zh else "; ").join(parts)


def explain_order(
    session: Session, order_no: str, *, now: datetime | None = None, zone: ZoneInfo
) -> Explanation:
    """Why ``order_no`` is where it is; raises ``NotFound`` for an unknown order."""
    order = get_order(session, order_no)
    when = now or utcnow()
    loaded = load_rules(session)
    channel = get_channel_name(session, order.channel_id)
    clock = OrderClock(
        order.stage, order.stage_entered_at, channel, order.warehouse, order.paid_at, order.ship_by
    )
    return Explanation(
        order_no=order.order_no,
        channel=channel,
        stage=order.stage,
        since=order.stage_entered_at,
        now=when,
        risk=_risk(session, order),
        deadlines=[
            {
                "kind": d.kind,
                "name": d.name,
                "version": d.version,
                "stage": d.stage,
                "due_at": d.due_at.astimezone(zone).isoformat(),
                "overrun_s": int(d.overrun(when).total_seconds()),
                "overdue": d.overrun(when) > timedelta(0),
            }
            for d in deadlines(clock, loaded, zone)
        ],
        waiting=_waiting(order),
        timeline=[
            {
                "from": e.from_stage,
                "to": e.to_stage,
                "at": e.at.astimezone(zone).isoformat(),
                "source": e.source,
                "actor": e.actor,
                "hold_category": e.hold_category,
                "note": e.note,
            }
            for e in timeline(session, order)
        ],
    )


def _risk(session: Session, order: Order) -> dict[str, Any] | None:
    """The rule version that last held or released the order, else what the rules in force
    say about it while it still waits for review or release."""
    decision = session.scalar(
        select(RiskDecision)
        .where(RiskDecision.order_id == order.id)
        .order_by(RiskDecision.at.desc(), RiskDecision.id.desc())
        .limit(1)
    )
    if decision is not None:
        return {
            "source": "decision",
            "action": decision.action,
            "rule_kind": decision.rule_kind,
            "rule": decision.rule_name,
            "version": decision.rule_version,
            "matched": list(decision.matched),
            "at": decision.at.isoformat(),
        }
    if order.stage not in (Stage.PAID.value, Stage.PENDING_REVIEW.value):
        return None
    verdict = RiskEvaluator(load_rules(session))(gather_facts(session, [order.id])[order.id])
    return {
        "source": "rules_in_force",
        "action": verdict.action,
        "rule_kind": verdict.kind,
        "rule": verdict.name,
        "version": verdict.version,
        "matched": list(verdict.matched),
        "at": None,
    }


def _waiting(order: Order) -> Waiting:
    if order.stage == Stage.ON_HOLD.value:
        return HOLD_WAITING.get(order.hold_category or "", OTHER_HOLD)
    if order.stage == Stage.PAID.value and order.warehouse is None:
        return Waiting(
            "warehouse", "等待分配仓库", "a warehouse to be assigned", ("supervisor", "admin")
        )
    return WAITING.get(order.stage, NOTHING)


def _risk_line(risk: dict[str, Any], zh: bool) -> str:
    if risk["rule"] is None:
        return "未命中风控规则" if zh else "no risk rule matched"
    kind = "白名单" if risk["rule_kind"] == "risk_whitelist" else "风控规则"
    kind_en = "whitelist" if risk["rule_kind"] == "risk_whitelist" else "risk rule"
    verb = {"hold": ("拦截", "held it"), "pass": ("放行", "passed it")}[risk["action"]]
    conditions = "; ".join(risk["matched"])
    if zh:
        return f"{kind} {risk['rule']} v{risk['version']} {verb[0]}（{conditions}）"
    return f"{kind_en} {risk['rule']} v{risk['version']} {verb[1]} ({conditions})"


def _duration(span: timedelta, zh: bool) -> str:
    minutes = max(int(span.total_seconds() // 60), 0)
    hours, minutes = divmod(minutes, 60)
    days, hours = divmod(hours, 24)
    units = (("天", "d"), ("小时", "h"), ("分", "min"))
    parts = [
        f"{value}{unit[0] if zh else ' ' + unit[1]}"
        for value, unit in zip((days, hours, minutes), units, strict=True)
        if value
    ]
    return (" " if not zh else "").join(parts) or ("不到 1 分" if zh else "under a minute")
