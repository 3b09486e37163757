"""Console translations: Chinese (the default) and English, one dictionary, no framework."""

from __future__ import annotations

from typing import Literal

from store.stages import STAGE_LABELS, Stage

Lang = Literal["zh", "en"]
DEFAULT_LANG: Lang = "zh"
LANGUAGES: dict[Lang, str] = {"zh": "中文", "en": "English"}
"""Each language named in itself, as the language switch shows it."""

# key: (zh, en). Stage names are not here: they come from STAGE_LABELS, next to the stages.
TEXTS: dict[str, tuple[str, str]] = {
    "app.tagline": ("订单运营台", "Order operations console"),
    "shell.logout": ("退出登录", "Sign out"),
    "shell.language": ("语言", "Language"),
    "login.title": ("登录", "Sign in"),
    "login.username": ("用户名", "User name"),
    "login.password": ("密码", "Password"),
    "login.submit": ("登录", "Sign in"),
    "login.failed": ("用户名或密码错误", "Wrong user name or password"),
    "login.missing": ("请填写用户名和密码", "Enter a user name and a password"),
    "overview.title": ("各环节在制订单", "Work in progress by stage"),
    "overview.stage": ("环节", "Stage"),
    "overview.count": ("订单数", "Orders"),
    "overview.oldest": ("最久停留（小时）", "Oldest (hours)"),
    "overview.done": ("已完成：", "Done:"),
    "overview.updated": ("更新于", "Updated at"),
    "nav.overview": ("总览", "Overview"),
    "nav.health": ("流程健康", "Flow health"),
    "health.title": ("流程健康度审计", "Flow health audit"),
    "health.intro": (
        "定期检查自动化在哪里中断：环节积压异常、某条规则拦下某渠道或支付方式的大量订单、"
        "从未进入待拣货的渠道。",
        "Where automation is breaking: stages piling up, a rule holding an unusual share of one "
        "channel's or payment method's orders, a channel that never reaches awaiting pick.",
    ),
    "health.last_run": ("最近一次审计", "Last audit"),
    "health.run_now": ("立即审计", "Run the audit now"),
    "health.export": ("导出 CSV", "Export CSV"),
    "health.none.title": ("还没有审计记录", "No audit yet"),
    "health.none.body": (
        "worker 每 15 分钟审计一次；也可以点击“立即审计”。",
        "The worker audits every 15 minutes; or press “Run the audit now”.",
    ),
    "health.clean": ("本次审计没有发现问题。", "The last audit found nothing wrong."),
    "health.severity": ("级别", "Severity"),
    "health.finding": ("发现", "Finding"),
    "health.cause": ("可能原因", "Likely cause"),
    "health.rule": ("规则", "Rule"),
    "health.channel": ("渠道", "Channel"),
    "health.not_allowed": (
        "只有主管及以上角色可以运行审计。",
        "Only supervisors and above may run the audit.",
    ),
    "severity.critical": ("严重", "Critical"),
    "severity.warning": ("警告", "Warning"),
    "severity.info": ("提示", "Info"),
    "overview.empty.title": ("还没有订单", "No orders yet"),
    "overview.empty.body": (
        "接入一个销售渠道（或运行 orderwatch demo）后，这里会实时显示每个环节的订单数。",
        "Connect a sales channel (or run orderwatch demo) and the orders in every stage "
        "show up here live.",
    ),
    # the stuck-order workbench (/orders)
    "nav.orders": ("异常订单", "Stuck orders"),
    "orders.title": ("异常/超时订单", "Stuck and late orders"),
    "orders.intro": (
        "所有在途订单按紧急程度排列：先是已超时的，再是 30 分钟内到期的。勾选订单后可直接处理。",
        "Every open order, most urgent first: breached, then due within 30 minutes. Select "
        "orders to act on them here.",
    ),
    "orders.filter.stage": ("环节", "Stage"),
    "orders.filter.channel": ("渠道", "Channel"),
    "orders.filter.warehouse": ("仓库", "Warehouse"),
    "orders.filter.sla": ("SLA 状态", "SLA state"),
    "orders.filter.hold": ("拦截原因", "Hold category"),
    "orders.filter.picker": ("拣货员", "Picker"),
    "orders.filter.min_age": ("停留至少（小时）", "In stage at least (h)"),
    "orders.filter.max_age": ("停留至多（小时）", "In stage at most (h)"),
    "orders.filter.order_no": ("订单号", "Order number"),
    "orders.filter.any": ("全部", "Any"),
    "orders.filter.clear": ("清除筛选", "Clear filters"),
    "sla.breached": ("已超时", "Breached"),
    "sla.due_soon": ("30 分钟内到期", "Due within 30 min"),
    "sla.on_time": ("未超时", "On time"),
    "orders.col.order_no": ("订单号", "Order"),
    "orders.col.stage": ("环节", "Stage"),
    "orders.col.channel": ("渠道", "Channel"),
    "orders.col.warehouse": ("仓库", "Warehouse"),
    "orders.col.assignee": ("拣货员", "Picker"),
    "orders.col.age": ("停留时长", "In stage"),
    "orders.col.sla": ("SLA", "SLA"),
    "orders.col.deadline": ("最近时限", "Next deadline"),
    "orders.col.hold": ("拦截原因", "Hold"),
    "orders.col.amount": ("金额（元）", "Amount (CNY)"),
    "orders.col.summary": ("卡在哪里", "Why it is stuck"),
    "orders.count": ("共 {n} 单", "{n} orders"),
    "orders.selected": ("已选 {n} 单", "{n} selected"),
    "orders.action.assign": ("分配拣货员", "Assign picker"),
    "orders.action.release": ("解除拦截", "Release hold"),
    "orders.action.approve": ("审核通过", "Approve review"),
    "orders.action.reject": ("审核驳回", "Reject review"),
    "orders.action.hold": ("拦截", "Put on hold"),
    "orders.action.note": ("添加备注", "Add note"),
    "orders.export.csv": ("导出 CSV", "Export CSV"),
    "orders.export.xlsx": ("导出 Excel", "Export Excel"),
    "orders.export.too_many": (
        "筛选结果超过 {n} 单，请缩小筛选范围后再导出。",
        "More than {n} orders match: narrow the filters, then export.",
    ),
    "orders.sheet": ("异常订单", "Stuck orders"),
    "orders.modal.body": (
        "将对 {n} 个订单执行「{action}」。已被他人处理的订单会被跳过并列出原因。",
        "{action} on {n} orders. Orders someone else changed meanwhile are skipped, with "
        "the reason.",
    ),
    "orders.modal.confirm": ("确认执行", "Confirm"),
    "orders.modal.cancel": ("取消", "Cancel"),
    "orders.field.picker": ("拣货员（留空则退回待分配）", "Picker (empty: back to unassigned)"),
    "orders.field.category": ("拦截原因", "Hold category"),
    "orders.field.note": ("备注", "Note"),
    "orders.field.reason": ("驳回原因（必填，会记入审计）", "Reason (required, audited)"),
    "orders.toast.title": ("操作结果", "Result"),
    "orders.toast.head": (
        "{action}：成功 {applied} 单，拒绝 {refused} 单",
        "{action}: {applied} done, {refused} refused",
    ),
    "orders.toast.more": ("另有 {n} 单", "{n} more"),
    "orders.refused.stage_changed": (
        "{order} 已变为「{stage}」（已被处理）",
        "{order} is {stage} now (it changed meanwhile)",
    ),
    "orders.refused.reassigned": ("{order} 已改派给 {who}", "{order} was reassigned to {who}"),
    "orders.refused.not_found": ("{order} 不存在", "{order} does not exist"),
    "orders.failed": (
        "操作未执行：{reason}。请修改后重试。",
        "Nothing was changed: {reason}. Correct it and try again.",
    ),
    "orders.not_allowed": (
        "你的角色只能查看订单；处理订单需要主管及以上角色。",
        "Your role can view orders; acting on them needs a supervisor or above.",
    ),
    "orders.empty.title": ("没有卡住的订单", "Nothing stuck"),
    "orders.empty.body": (
        "所有在途订单都在时限内；新卡住的订单会出现在这里。",
        "Every open order is within its deadlines; newly stuck ones show up here.",
    ),
    "orders.empty.filtered": (
        "没有符合这些筛选条件的订单。试试“清除筛选”。",
        "No order matches these filters. Try “Clear filters”.",
    ),
    "orders.bad_filter": (
        "筛选条件无法使用：{reason}。请修改或清除筛选。",
        "These filters cannot be used: {reason}. Change or clear them.",
    ),
    "orders.load_failed": (
        "暂时读不到订单（{reason}）。请稍后刷新；若持续出现，请检查数据库连接。",
        "The orders cannot be read right now ({reason}). Refresh in a moment; if it "
        "persists, check the database connection.",
    ),
}


def lang_of(value: object) -> Lang:
    """The language ``value`` names, or the default for anything else (old or absent data)."""
    return "en" if value == "en" else DEFAULT_LANG


def t(key: str, lang: str) -> str:
    """The text for ``key`` in ``lang``; an unknown key shows as itself rather than failing."""
    pair = TEXTS.get(key)
    if pair is None:
        return key
    return pair[1] if lang_of(lang) == "en" else pair[0]


def both(key: str) -> str:
    """Chinese and English side by side, for pages drawn before a language is known."""
    return f"{t(key, 'zh')} · {t(key, 'en')}"


def stage_label(stage: str, lang: str) -> str:
    """The stage's name in ``lang``; an unknown code shows as itself."""
    try:
        zh, en = STAGE_LABELS[Stage(stage)]
    except ValueError:
        return stage
    return en if lang_of(lang) == "en" else zh
