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
    "nav.board": ("看板", "Board"),
    "nav.orders": ("异常/超时订单", "Stuck orders"),
    "shell.to_dark": ("深色", "Dark"),
    "shell.to_light": ("浅色", "Light"),
    "role.viewer": ("查看者", "Viewer"),
    "role.supervisor": ("主管", "Supervisor"),
    "role.cs_lead": ("客服主管", "CS lead"),
    "role.ops_supervisor": ("运营主管", "Ops supervisor"),
    "role.admin": ("管理员", "Admin"),
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
    "board.title": ("实时看板", "Live board"),
    "board.subtitle": (
        "每个数字都回答：订单为什么发晚了？",
        "Every figure answers: why are my orders shipping late?",
    ),
    "board.channels": ("渠道", "Channels"),
    "board.warehouses": ("仓库", "Warehouses"),
    "board.all": ("全部", "All"),
    "board.range": ("时间范围", "Time range"),
    "board.dates": ("日期", "Dates"),
    "range.today": ("今天", "Today"),
    "range.yesterday": ("昨天", "Yesterday"),
    "range.7d": ("近 7 天", "Last 7 days"),
    "range.custom": ("自定义", "Custom"),
    "board.updated": ("更新于", "Updated"),
    "board.stale": (
        "与服务器的连接中断，数据可能已过期",
        "Lost contact with the server: the figures may be out of date",
    ),
    "board.filters_invalid": ("筛选条件无法使用", "These filters cannot be used"),
    "board.filters_reset": ("清除筛选", "Clear the filters"),
    "board.vs_last_week": ("较上周同期", "vs same time last week"),
    "board.no_previous": ("上周同期无数据", "no data a week earlier"),
    "board.now": ("当前", "now"),
    "kpi.paid": ("已支付订单", "Orders paid"),
    "kpi.shipped": ("已出库", "Shipped"),
    "kpi.processing_p50": ("处理时效 p50", "Processing time p50"),
    "kpi.processing_p90": ("处理时效 p90", "Processing time p90"),
    "kpi.late_share": ("超时发货占比", "Late shipments"),
    "kpi.sla_breaches": ("SLA 超时", "SLA breaches"),
    "kpi.holds": ("异常拦截", "Orders held"),
    "kpi.missed_orders": ("漏单", "Missed orders"),
    "kpi.inventory_accuracy": ("库存准确率", "Inventory accuracy"),
    "kpi.manual_share": ("人工干预占比", "Manual intervention"),
    "chart.wip": ("各环节在制订单（按停留时长）", "Work in progress by time in stage"),
    "chart.wip.hint": ("点击环节，查看其中的订单", "Click a stage to open its orders"),
    "chart.throughput": ("每小时吞吐：支付与出库", "Throughput per hour: paid and shipped"),
    "chart.nodes": ("仓库节点时效（小时）", "Warehouse nodes (hours)"),
    "chart.intake": ("下单高峰（近 4 周）", "Order intake (last 4 weeks)"),
    "chart.delay": (
        "瓶颈时段：{stage} 平均停留（小时，近 4 周）",
        "Bottleneck hours: mean hours in {stage} (last 4 weeks)",
    ),
    "chart.delay.none": ("瓶颈时段（近 4 周）", "Bottleneck hours (last 4 weeks)"),
    "chart.busiest": ("最忙", "Busiest"),
    "chart.worst": ("最慢", "Slowest"),
    "chart.exceptions": ("异常拦截原因", "Holds by cause"),
    "chart.refused": ("被拒绝的扫描", "Refused scans"),
    "chart.nothing": ("这段时间没有记录", "Nothing recorded in this range"),
    "series.paid": ("支付", "Paid"),
    "series.shipped": ("出库", "Shipped"),
    "series.paid_last_week": ("上周同日支付", "Paid, a week earlier"),
    "series.shipped_last_week": ("上周同日出库", "Shipped, a week earlier"),
    "series.p50": ("中位数 p50", "Median p50"),
    "series.p90": ("p90", "p90"),
    "age.under_1h": ("< 1 小时", "< 1 h"),
    "age.1h_2h": ("1–2 小时", "1–2 h"),
    "age.2h_4h": ("2–4 小时", "2–4 h"),
    "age.4h_8h": ("4–8 小时", "4–8 h"),
    "age.8h_24h": ("8–24 小时", "8–24 h"),
    "age.1d_3d": ("1–3 天", "1–3 days"),
    "age.over_3d": ("> 3 天", "> 3 days"),
    "node.to_first_pick": ("待拣货 → 首件拣货", "Awaiting pick → first pick"),
    "node.first_pick_to_packed": ("首件拣货 → 打包完成", "First pick → packed"),
    "node.packed_to_pickup": ("打包 → 揽收", "Packed → carrier pickup"),
    "node.awaiting_pick_to_pickup": ("待拣货 → 揽收（全程）", "Awaiting pick → pickup (whole)"),
    "channels.title": ("渠道健康", "Channel health"),
    "channels.last_sync": ("上次成功同步", "Last good sync"),
    "channels.never": ("从未成功同步", "Never synced"),
    "channels.lag": ("延迟", "Lag"),
    "channels.failures": ("连续失败", "Failures in a row"),
    "channels.quarantined": ("隔离订单", "Quarantined"),
    "channels.stale": ("同步中断", "Stale"),
    "channels.ok": ("正常", "Healthy"),
    "channels.none": (
        "还没有渠道。用 orderwatch channels add 接入一个销售渠道。",
        "No channels yet. Connect a sales channel with orderwatch channels add.",
    ),
    "board.empty.title": ("还没有订单", "No orders yet"),
    "board.empty.body": (
        "接入一个销售渠道（orderwatch channels add …），或运行 orderwatch demo 看演示数据；"
        "订单一到，这里就实时显示吞吐、瓶颈和超时。",
        "Connect a sales channel (orderwatch channels add …) or run orderwatch demo to see "
        "sample data; throughput, bottlenecks and SLA breaches show up here live.",
    ),
    # the stuck-order workbench (/orders)
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
    "orders.refused.unknown_order": ("{order} 不存在", "{order} does not exist"),
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
    # one order (/orders/<order_no>)
    "order.unknown": ("没有订单 {order}。", "There is no order {order}."),
    "order.back": ("返回异常订单", "Back to stuck orders"),
    "order.why": ("为什么卡在这里", "Why it is here"),
    "order.rule": ("规则", "Rule"),
    "order.over": ("已超出 {span}", "{span} over"),
    "order.left": ("还剩 {span}", "{span} left"),
    "order.unblock": ("可处理的角色", "Roles that can unblock it"),
    "order.amount": ("金额 · 支付方式", "Amount · payment"),
    "order.ship_by": ("承诺发货时间", "Ship-by promise"),
    "order.buyer": ("买家（已脱敏）", "Buyer (masked)"),
    "order.floor.awaiting_pick": ("进入待拣货", "Entered awaiting pick"),
    "order.floor.first_picked": ("首件拣货", "First pick scan"),
    "order.floor.packed": ("打包完成", "Packed"),
    "order.floor.shipped": ("快递揽收", "Carrier pickup"),
    "order.lines": ("商品明细", "Lines"),
    "order.timeline": ("时间线", "Timeline"),
    "order.audit": ("审计记录", "Audit trail"),
    "order.col.sku": ("SKU", "SKU"),
    "order.col.name": ("品名", "Name"),
    "order.col.qty": ("数量", "Quantity"),
    "order.col.picked": ("已拣", "Picked"),
    "order.col.price": ("单价（元）", "Unit price (CNY)"),
    "order.col.at": ("时间", "When"),
    "order.col.move": ("环节变化", "Move"),
    "order.col.source": ("来源", "Source"),
    "order.col.actor": ("操作人", "By"),
    "order.col.note": ("备注", "Note"),
    "order.col.action": ("操作", "Action"),
    "order.modal.body": (
        "将对订单 {order} 执行「{action}」。若订单已被他人处理，则不会执行，并说明原因。",
        "{action} on order {order}. If someone else changed it meanwhile, nothing is done and "
        "you are told why.",
    ),
    "order.toast.done": ("{action}：订单 {order} 已完成", "{action}: done for order {order}"),
    "order.toast.refused": (
        "{action}未执行：{reason}。页面已显示订单的最新状态。",
        "{action} was not applied: {reason}. The page now shows the order as it is.",
    ),
    "order.change.picker": ("拣货员：{before} → {after}", "Picker: {before} → {after}"),
    "order.change.nobody": ("待分配", "unassigned"),
    "order.change.note": ("备注", "Note"),
    "order.reveal": ("查看买家信息", "Reveal buyer"),
    "order.buyer.revealed": (
        "买家（明文，本次查看已记入审计）",
        "Buyer (unmasked; this reveal is in the audit trail)",
    ),
    "order.reveal_failed": (
        "无法显示买家信息：{reason}。请刷新页面后重试。",
        "The buyer cannot be shown: {reason}. Reload the page and try again.",
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


def role_label(role: str, lang: str) -> str:
    return t(f"role.{role}", lang) if f"role.{role}" in TEXTS else role


def stage_label(stage: str, lang: str) -> str:
    """The stage's name in ``lang``; an unknown code shows as itself."""
    try:
        zh, en = STAGE_LABELS[Stage(stage)]
    except ValueError:
        return stage
    return en if lang_of(lang) == "en" else zh
