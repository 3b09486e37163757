"""Flow health audit (流程健康度审计): find where automation is breaking, and why.

Three checks, each naming the likely cause and the rule or channel responsible:

- a stage whose count or oldest order is abnormal against the audit's own recent runs;
- a risk rule that holds an unusually large share of one channel's or payment method's orders
  (the article's 先用后付 case);
- a channel or payment method whose paid orders never reach awaiting pick.

``run_flow_health_audit`` stores one run with its findings and raises (or refreshes) a
``flow_health`` alert per warning, deduplicated by the finding's key. Schedule it in the worker.
"""

from __future__ import annotations

import statistics
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from pydantic import ConfigDict, Field
from sqlalchemy import Select, case, func, select
from sqlalchemy.orm import Session

from store.alerts import raise_alert
from store.documents import Document, IsoTime
from store.floor import hold_category_labels
from store.models import (
    Channel,
    FlowHealthFinding,
    FlowHealthRun,
    Order,
    RiskDecision,
    utcnow,
)
from store.stages import OPEN_STAGES, STAGE_LABELS, Stage


@dataclass(frozen=True)
class AuditSettings:
    window: timedelta = timedelta(days=7)
    """Orders paid in this window are looked at."""
    min_orders: int = 5
    """Fewer orders than this in a group say nothing."""
    hold_share: float = 0.5
    """A rule holding at least this share of a group's orders is a finding."""
    grace: timedelta = timedelta(hours=4)
    """A paid order younger than this may not have reached awaiting pick yet."""
    history_runs: int = 20
    spike: float = 3.0
    """A stage count or age this many times its recent median is abnormal."""


class Finding(Document):
    """A place where automation is breaking, with its likely cause and who is responsible."""

    model_config = ConfigDict(from_attributes=True)

    check: Literal["stage_count", "stage_age", "rule_hold_share", "never_reaches_pick"]
    key: str
    """Stable identity of the finding across runs (its alert's dedupe key)."""
    severity: Literal["info", "warning", "critical"]
    message_zh: str
    message_en: str
    cause_zh: str | None = None
    """The likely cause, in words (简体中文)."""
    cause_en: str | None = None
    """The likely cause, in words (English)."""
    rule_name: str | None = None
    """The risk rule responsible, if one is."""
    rule_version: int | None = None
    channel: str | None = None
    """The channel concerned, if the finding is about one."""
    details: dict[str, Any] = Field(default_factory=dict)
    """The figures behind the finding (stage, counts, dimension and value)."""


class AuditResult(Document):
    """One audit run and its findings."""

    run_id: int
    at: IsoTime
    findings: list[Finding]


def run_flow_health_audit(
    session: Session, *, now: datetime | None = None, settings: AuditSettings | None = None
) -> AuditResult:
    """Run every check once, store the run and its findings, raise alerts; returns them."""
    when = now or utcnow()
    config = settings or AuditSettings()
    snapshot = stage_snapshot(session, when)
    findings = [
        *_stage_findings(session, snapshot, config),
        *_hold_share_findings(session, when, config),
        *_never_picked_findings(session, when, config),
    ]
    run = FlowHealthRun(at=when, stages=snapshot)
    session.add(run)
    session.flush()
    for finding in findings:
        session.add(FlowHealthFinding(run_id=run.id, **finding.model_dump()))
        if finding.severity != "info":
            _raise_alert(session, finding, when)
    session.flush()
    return AuditResult(run_id=run.id, at=when, findings=findings)


def stage_snapshot(session: Session, now: datetime) -> dict[str, Any]:
    query = (
        select(Order.stage, func.count(), func.min(Order.stage_entered_at))
        .where(Order.stage.in_([stage.value for stage in OPEN_STAGES]))
        .group_by(Order.stage)
    )
    return {
        stage: {"count": int(count), "oldest_age_s": int((now - oldest).total_seconds())}
        for stage, count, oldest in session.execute(query)
    }


def _stage_findings(
    session: Session, snapshot: dict[str, Any], config: AuditSettings
) -> list[Finding]:
    runs = list(
        session.scalars(
            select(FlowHealthRun.stages)
            .order_by(FlowHealthRun.at.desc())
            .limit(config.history_runs)
        )
    )
    if len(runs) < 3:  # too little history to call anything abnormal
        return []
    findings = []
    for stage, now in snapshot.items():
        for measure, unit in (("count", "orders"), ("oldest_age_s", "seconds")):
            past = [r.get(stage, {}).get(measure, 0) for r in runs]
            usual = statistics.median(past)
            if now[measure] >= max(
                usual * config.spike, usual + (10 if unit == "orders" else 3600)
            ):
                findings.append(_stage_finding(stage, measure, now[measure], usual))
    return findings


def _stage_names(stage: str) -> tuple[str, str]:
    """The stage as a Chinese label and as an English phrase ("awaiting pick")."""
    zh, en = STAGE_LABELS[Stage(stage)]
    return zh, en.lower()


def _stage_finding(stage: str, measure: str, value: float, usual: float) -> Finding:
    stage_zh, stage_en = _stage_names(stage)
    if measure == "count":
        zh = f"「{stage_zh}」积压 {value:.0f} 单，近期通常为 {usual:.0f} 单"
        en = f"{value:.0f} orders in {stage_en}, usually {usual:.0f}"
    else:
        hours, usual_h = value / 3600, usual / 3600
        zh = f"「{stage_zh}」最久订单已停留 {hours:.1f} 小时，近期通常 {usual_h:.1f} 小时"
        en = f"the oldest order in {stage_en} waited {hours:.1f} h, usually {usual_h:.1f} h"
    return Finding(
        check="stage_count" if measure == "count" else "stage_age",
        key=f"flow_health:{measure}:{stage}",
        severity="warning",
        message_zh=zh,
        message_en=en,
        cause_zh=f"「{stage_zh}」之后的环节处理不过来或已停止",
        cause_en=f"the step after {stage_en} is not keeping up or has stopped",
        details={"stage": stage, measure: value, "usual": usual},
    )


def _paid_in_window(now: datetime, config: AuditSettings) -> Select[Any]:
    return select(Order.id).where(Order.paid_at >= now - config.window, Order.paid_at <= now)


def _hold_share_findings(session: Session, now: datetime, config: AuditSettings) -> list[Finding]:
    paid = _paid_in_window(now, config).subquery()
    findings = []
    for dimension, column in (("channel", Channel.name), ("payment_method", Order.payment_method)):
        totals = dict(
            session.execute(
                select(column, func.count())
                .select_from(Order)
                .join(Channel, Channel.id == Order.channel_id)
                .where(Order.id.in_(select(paid.c.id)))
                .group_by(column)
            ).all()
        )
        held = session.execute(
            select(column, RiskDecision.rule_name, RiskDecision.rule_version, func.count())
            .select_from(RiskDecision)
            .join(Order, Order.id == RiskDecision.order_id)
            .join(Channel, Channel.id == Order.channel_id)
            .where(
                RiskDecision.action == "hold",
                RiskDecision.moved,
                Order.id.in_(select(paid.c.id)),
            )
            .group_by(column, RiskDecision.rule_name, RiskDecision.rule_version)
        ).all()
        for value, rule, version, count in held:
            total = int(totals.get(value, 0))
            if value is None or count < config.min_orders or count < config.hold_share * total:
                continue
            findings.append(_hold_finding(dimension, str(value), str(rule), version, count, total))
    return findings


def _hold_finding(
    dimension: str, value: str, rule: str, version: int | None, held: int, total: int
) -> Finding:
    share = held / total
    what_zh = "渠道" if dimension == "channel" else "支付方式"
    return Finding(
        check="rule_hold_share",
        key=f"flow_health:hold_share:{rule}:{dimension}:{value}",
        severity="critical" if share >= 0.9 else "warning",
        message_zh=(
            f"风控规则 {rule} v{version} 拦截了{what_zh} {value} 的 {share:.0%} 订单"
            f"（{held}/{total}），可能规则过宽，建议为其设置白名单"
        ),
        message_en=(
            f"risk rule {rule} v{version} holds {share:.0%} of {dimension} {value}'s orders "
            f"({held} of {total}); the rule is likely too broad for it — consider a whitelist"
        ),
        cause_zh=f"风控规则 {rule} v{version}",
        cause_en=f"risk rule {rule} v{version}",
        rule_name=rule,
        rule_version=version,
        channel=value if dimension == "channel" else None,
        details={"dimension": dimension, "value": value, "held": held, "total": total},
    )


def _never_picked_findings(session: Session, now: datetime, config: AuditSettings) -> list[Finding]:
    settled = _paid_in_window(now, config).where(Order.paid_at <= now - config.grace).subquery()
    reached = func.count(Order.awaiting_pick_at) + func.count(Order.shipped_at)
    findings = []
    for dimension, column in (("channel", Channel.name), ("payment_method", Order.payment_method)):
        rows = session.execute(
            select(column, func.count(), reached)
            .select_from(Order)
            .join(Channel, Channel.id == Order.channel_id)
            .where(Order.id.in_(select(settled.c.id)), Order.cancelled_at.is_(None))
            .group_by(column)
        ).all()
        if not any(int(r[2]) > 0 for r in rows):
            continue  # nothing reaches the warehouse at all: not one channel's problem
        for value, count, got_there in rows:
            if value is not None and count >= config.min_orders and int(got_there) == 0:
                cause = _likely_cause(session, dimension, str(value), settled)
                why = _never_cause(cause, hold_category_labels(session))
                findings.append(_never_finding(dimension, str(value), int(count), cause, why))
    return findings


def _likely_cause(session: Session, dimension: str, value: str, settled: Any) -> dict[str, Any]:
    column = Channel.name if dimension == "channel" else Order.payment_method
    rows = session.execute(
        select(Order.stage, Order.hold_category, RiskDecision.rule_name, RiskDecision.rule_version)
        .join(Channel, Channel.id == Order.channel_id)
        .outerjoin(
            RiskDecision,
            (RiskDecision.order_id == Order.id) & (RiskDecision.action == "hold"),
        )
        .where(Order.id.in_(select(settled.c.id)), column == value)
    ).all()
    stage, category, rule, version = Counter(rows).most_common(1)[0][0]
    return {"stage": stage, "hold_category": category, "rule": rule, "version": version}


def _never_cause(cause: dict[str, Any], holds: dict[str, tuple[str, str]]) -> tuple[str, str]:
    """Why a channel's orders never reach the warehouse, in Chinese and in English."""
    stage_zh, stage_en = _stage_names(cause["stage"])
    if cause["rule"] is not None:
        rule = f"{cause['rule']} v{cause['version']}"
        return (
            f"风控规则 {rule} 将其留在「{stage_zh}」",
            f"risk rule {rule} holds them in {stage_en}",
        )
    if cause["stage"] == "on_hold":
        code = cause["hold_category"]
        zh, en = holds.get(code, (code, code))
        return f"订单被拦截（{zh}）", f"they are on hold ({en.lower()})"
    return (
        f"订单停留在「{stage_zh}」，自动释放不处理它们",
        f"they stay in {stage_en}: automatic release does not take them",
    )


def _never_finding(
    dimension: str, value: str, count: int, cause: dict[str, Any], why: tuple[str, str]
) -> Finding:
    why_zh, why_en = why
    what_zh = "渠道" if dimension == "channel" else "支付方式"
    return Finding(
        check="never_reaches_pick",
        key=f"flow_health:never_picked:{dimension}:{value}",
        severity="critical",
        message_zh=f"{what_zh} {value} 的 {count} 笔已支付订单无一进入待拣货；原因：{why_zh}",
        message_en=(
            f"none of {dimension} {value}'s {count} paid orders reached awaiting pick; {why_en}"
        ),
        cause_zh=why_zh,
        cause_en=why_en,
        rule_name=cause["rule"],
        rule_version=cause["version"],
        channel=value if dimension == "channel" else None,
        details={"dimension": dimension, "value": value, "orders": count, **cause},
    )


def _raise_alert(session: Session, finding: Finding, now: datetime) -> None:
    details = {"zh": finding.message_zh, "en": finding.message_en, **finding.details}
    raise_alert(
        session,
        kind="flow_health",
        key=finding.key,
        severity=finding.severity,
        title=finding.message_en,
        details=details,
        now=now,
    )


def latest_findings(session: Session) -> AuditResult | None:
    """The most recent audit run and its findings, most severe first (for the console)."""
    run = session.scalar(select(FlowHealthRun).order_by(FlowHealthRun.at.desc()).limit(1))
    if run is None:
        return None
    severity = case({"critical": 0, "warning": 1}, value=FlowHealthFinding.severity, else_=2)
    findings = session.scalars(
        select(FlowHealthFinding)
        .where(FlowHealthFinding.run_id == run.id)
        .order_by(severity, FlowHealthFinding.id)
    )
    return AuditResult(
        run_id=run.id, at=run.at, findings=[Finding.model_validate(row) for row in findings]
    )
