"""Explain (为什么卡单): why an order is where it is and why it is late.

The answer names the rule version that held or released it with the conditions that matched,
the SLA deadlines that apply and how far past them the order is, what it is waiting for and
which roles can unblock it. It carries no buyer personal data, so every role may see it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from pydantic import Field, computed_field
from sqlalchemy import select
from sqlalchemy.orm import Session

from rules.catalog import load_rules
from rules.facts import gather_facts
from rules.risk import RiskEvaluator, RiskVerdict
from rules.sla import Deadline, OrderClock, deadlines
from store.documents import Document, IsoTime
from store.models import Order, RiskDecision, utcnow
from store.orders import TimelineEntry, get_channel_name, get_order, timeline
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
NOTHING = Waiting("nothing", "无需处理", "nothing to do: the order has left the warehouse", ())


class Named(Document):
    """A stable code with its labels in both languages."""

    code: str
    zh: str
    en: str


class Bilingual(Document):
    zh: str
    en: str


class RuleVerdict(Document):
    """The risk rule version that held or released the order, with the conditions that
    matched; or, while it still waits for review or release, what the rules in force say."""

    source: Literal["decision", "rules_in_force"]
    """``decision``: the recorded decision; ``rules_in_force``: the rules as they are now."""
    action: str
    """``hold`` or ``pass``."""
    rule_kind: str | None
    """``risk`` or ``risk_whitelist``; null when no rule matched."""
    rule: str | None
    """The rule's name."""
    version: int | None
    matched: list[str]
    """The rule's conditions that the order met."""
    at: IsoTime | None
    """When the decision was taken; null for the rules in force."""


class DeadlineState(Document):
    """One deadline that applies to the order, the rule version that sets it, and how far past
    it the order is."""

    kind: str
    """``sla`` (time in the current stage) or ``ship_by`` (the promise to the buyer)."""
    name: str
    """The SLA policy or ship-by promise."""
    version: int
    stage: str | None
    """The stage an SLA policy watches; null for a ship-by promise."""
    due_at: IsoTime
    overrun_s: int
    """Seconds past the deadline; negative: time left."""
    overdue: bool


class TimelineStep(Document):
    """The order's arrival or one stage move."""

    from_: str | None = Field(alias="from")
    """The stage left; null for the arrival."""
    to: str
    at: IsoTime
    source: str
    """``channel``, ``handheld``, ``console``, ``rule`` or ``api``."""
    actor: str | None
    hold_category: str | None
    note: str | None


class Explanation(Document):
    """Why an order is where it is and why it is late (为什么卡单); no buyer personal data."""

    order_no: str
    channel: str
    stage: Named
    in_stage_since: IsoTime
    in_stage_s: int
    """Seconds in the current stage."""
    late: bool
    """Past at least one deadline."""
    risk: RuleVerdict | None
    """Null once past review and release with no risk decision on record."""
    deadlines: list[DeadlineState]
    waiting_for: Named
    """What the order waits for."""
    can_unblock: list[str]
    """The roles that can move it on; empty when nothing is needed."""
    timeline: list[TimelineStep]

    @computed_field  # type: ignore[prop-decorator]
    @property
    def summary(self) -> Bilingual:
        """All of the above in one sentence."""
        return Bilingual(zh=self._sentence(zh=True), en=self._sentence(zh=False))

    def _sentence(self, *, zh: bool) -> str:
        stay = _duration(timedelta(seconds=self.in_stage_s), zh)
        parts = [
            f"{self.order_no} 在「{self.stage.zh}」已停留 {stay}"
            if zh
            else f"{self.order_no} has been {self.stage.en.lower()} for {stay}"
        ]
        if self.risk is not None:
            parts.append(_risk_line(self.risk, zh))
        overdue = [d for d in self.deadlines if d.overdue]
        if overdue:
            worst = max(overdue, key=lambda d: d.overrun_s)
            over = _duration(timedelta(seconds=worst.overrun_s), zh)
            rule = f"{worst.name} v{worst.version}"
            parts.append(
                f"已超出时限 {rule} {over}" if zh else f"over its deadline {rule} by {over}"
            )
        parts.append(self._waiting_line(zh))
        return ("；" if zh else "; ").join(parts)

    def _waiting_line(self, zh: bool) -> str:
        roles = ", ".join(self.can_unblock)
        if zh:
            return self.waiting_for.zh + (f"（可处理：{roles}）" if roles else "")
        if self.waiting_for.code == NOTHING.code:  # not "waiting for nothing"
            return self.waiting_for.en
        return f"waiting for {self.waiting_for.en}" + (f" (can unblock: {roles})" if roles else "")


def explain_order(
    session: Session, order_no: str, *, now: datetime | None = None, zone: ZoneInfo
) -> Explanation:
    """Why ``order_no`` is where it is; raises ``NotFound`` for an unknown order."""
    order = get_order(session, order_no)
    when = now or utcnow()
    channel = get_channel_name(session, order.channel_id)
    clock = OrderClock(
        order.stage, order.stage_entered_at, channel, order.warehouse, order.paid_at, order.ship_by
    )
    zh, en = STAGE_LABELS[Stage(order.stage)]
    waiting = _waiting(order)
    due = [_deadline(d, when, zone) for d in deadlines(clock, load_rules(session), zone)]
    return Explanation(
        order_no=order.order_no,
        channel=channel,
        stage=Named(code=order.stage, zh=zh, en=en),
        in_stage_since=order.stage_entered_at,
        in_stage_s=int((when - order.stage_entered_at).total_seconds()),
        late=any(d.overdue for d in due),
        risk=_risk(session, order),
        deadlines=due,
        waiting_for=Named(code=waiting.code, zh=waiting.zh, en=waiting.en),
        can_unblock=list(waiting.roles),
        timeline=[_step(entry, zone) for entry in timeline(session, order)],
    )


def _deadline(deadline: Deadline, now: datetime, zone: ZoneInfo) -> DeadlineState:
    overrun = deadline.overrun(now)
    return DeadlineState(
        kind=deadline.kind,
        name=deadline.name,
        version=deadline.version,
        stage=deadline.stage,
        due_at=deadline.due_at.astimezone(zone),
        overrun_s=int(overrun.total_seconds()),
        overdue=overrun > timedelta(0),
    )


def _step(entry: TimelineEntry, zone: ZoneInfo) -> TimelineStep:
    return TimelineStep(
        from_=entry.from_stage,
        to=entry.to_stage,
        at=entry.at.astimezone(zone),
        source=entry.source,
        actor=entry.actor,
        hold_category=entry.hold_category,
        note=entry.note,
    )


def _risk(session: Session, order: Order) -> RuleVerdict | None:
    """The rule version that last held or released the order, else what the rules in force
    say about it while it still waits for review or release."""
    decision = session.scalar(
        select(RiskDecision)
        .where(RiskDecision.order_id == order.id)
        .order_by(RiskDecision.at.desc(), RiskDecision.id.desc())
        .limit(1)
    )
    if decision is not None:
        recorded = RiskVerdict(
            decision.action,
            decision.rule_kind,
            decision.rule_name,
            decision.rule_version,
            tuple(decision.matched),
        )
        return _verdict("decision", recorded, decision.at)
    if order.stage not in (Stage.PAID.value, Stage.PENDING_REVIEW.value):
        return None
    verdict = RiskEvaluator(load_rules(session))(gather_facts(session, [order.id])[order.id])
    return _verdict("rules_in_force", verdict, None)


def _verdict(
    source: Literal["decision", "rules_in_force"], verdict: RiskVerdict, at: datetime | None
) -> RuleVerdict:
    return RuleVerdict(
        source=source,
        action=verdict.action,
        rule_kind=verdict.kind,
        rule=verdict.name,
        version=verdict.version,
        matched=list(verdict.matched),
        at=at,
    )


def _waiting(order: Order) -> Waiting:
    if order.stage == Stage.ON_HOLD.value:
        return HOLD_WAITING.get(order.hold_category or "", OTHER_HOLD)
    if order.stage == Stage.PAID.value and order.warehouse is None:
        return Waiting(
            "warehouse", "等待分配仓库", "a warehouse to be assigned", ("supervisor", "admin")
        )
    return WAITING.get(order.stage, NOTHING)


def _risk_line(risk: RuleVerdict, zh: bool) -> str:
    if risk.rule is None:
        return "未命中风控规则" if zh else "no risk rule matched"
    kind = "白名单" if risk.rule_kind == "risk_whitelist" else "风控规则"
    kind_en = "whitelist" if risk.rule_kind == "risk_whitelist" else "risk rule"
    verb = {"hold": ("拦截", "held it"), "pass": ("放行", "passed it")}[risk.action]
    conditions = "; ".join(risk.matched)
    if zh:
        return f"{kind} {risk.rule} v{risk.version} {verb[0]}（{conditions}）"
    return f"{kind_en} {risk.rule} v{risk.version} {verb[1]} ({conditions})"


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
