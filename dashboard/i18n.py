"""Console translations: Chinese (the default) and English, one dictionary, no framework."""

from __future__ import annotations

from typing import Literal

from dashboard.admindesk.texts import ADMIN_TEXTS
from dashboard.alertdesk.texts import ALERTS_TEXTS
from dashboard.rules_editor.texts import RULES_TEXTS
from store.stages import STAGE_LABELS, Stage
from store.wording import say

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
    "login.throttled": (
        "登录失败次数过多，请在 {seconds} 秒后（{at}）重试",
        "Too many failed attempts: try again in {seconds} s (at {at})",
    ),
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
    # the channels pages (/channels, /channels/<name>)
    "nav.channels": ("渠道", "Channels"),
    "channels.page.title": ("销售渠道", "Sales channels"),
    "channels.page.intro": (
        "每个渠道的同步健康、漏单对账、暂停的商品链接和无法解析的隔离订单。点击渠道名查看详情并处理。",
        "Each channel's sync health, reconciliation, paused listings and the orders that could "
        "not be read. Open a channel to act on it.",
    ),
    "channels.page.empty_title": ("还没有渠道", "No channels yet"),
    "channels.page.empty": (
        "还没有接入销售渠道。请管理员在这里添加，或使用 orderwatch channels add。",
        "No sales channel is connected yet. An admin can add one here, or with orderwatch "
        "channels add.",
    ),
    "channels.page.empty_admin": (
        "还没有接入销售渠道。点击“添加渠道”，填写平台的应用凭证即可开始拉单。",
        "No sales channel is connected yet. Press “Add a channel” and enter the platform "
        "app's credentials to start pulling orders.",
    ),
    "channels.col.name": ("渠道", "Channel"),
    "channels.col.platform": ("平台", "Platform"),
    "channels.col.shop": ("店铺", "Shop"),
    "channels.col.state": ("状态", "State"),
    "channels.col.health": ("同步情况", "Sync health"),
    "channels.col.last_sync": ("上次成功同步", "Last good sync"),
    "channels.col.failures": ("连续失败", "Failures"),
    "channels.col.quarantined": ("隔离订单", "Quarantined"),
    "channel.state.paused": ("已暂停", "Paused"),
    "channel.state.failing": ("同步失败", "Failing"),
    "channel.words.synced": ("{ago}前同步成功", "Last good sync {ago} ago"),
    "channel.words.never": ("还没有成功同步过", "Never synced successfully"),
    "channel.words.just_now": ("刚刚同步成功", "Synced just now"),
    "channel.words.failures": (
        "之后连续失败 {n} 次",
        "{n:failed pull|failed pulls} in a row since",
    ),
    "channel.words.error": ("最后一次错误：{error}", "last error: {error}"),
    "channel.words.quarantined": (
        "{n} 个订单无法解析，等待处理",
        "{n:order|orders} could not be read and wait for a person",
    ),
    "channel.words.paused": ("已由 {who} 于 {when} 暂停拉单", "Pulls paused by {who} at {when}"),
    "channel.words.paused_why": (
        "已由 {who} 于 {when} 暂停拉单：{why}",
        "Pulls paused by {who} at {when}: {why}",
    ),
    "channel.unknown": ("没有渠道 {name}。", "There is no channel {name}."),
    "channel.health": ("同步健康", "Sync health"),
    "channel.interval": ("拉单间隔", "Pull interval"),
    "channel.default_url": ("平台默认地址", "the platform's default"),
    "channel.credentials": ("应用凭证", "App credentials"),
    "channel.cred.set": ("已设置", "set"),
    "channel.cred.unset": ("未设置", "not set"),
    "channel.cred.none": (
        "该平台没有开放接口凭证（历史导入）。",
        "This platform has no API credentials (history import).",
    ),
    "channel.missed": ("对账结果：每日漏单", "Reconciliation: missed orders per day"),
    "channel.missed.summary": (
        "近 {days} 天对账共找回 {n} 个增量同步漏掉的订单。",
        "Reconciliation found {n:order|orders} the incremental sync had missed in the last "
        "{days:day|days}.",
    ),
    "channel.listings": ("暂停中的商品链接", "Listings paused now"),
    "channel.listings.none": ("没有暂停的商品链接。", "No listing is paused."),
    "channel.col.sku": ("SKU", "SKU"),
    "channel.col.listing": ("平台商品 ID", "Listing"),
    "channel.col.why": ("原因", "Why"),
    "channel.col.since": ("暂停时间", "Paused since"),
    "channel.quarantine": ("隔离订单（无法解析）", "Quarantine (orders that could not be read)"),
    "channel.quarantine.none": (
        "没有隔离订单：平台发来的每个订单都已读取。",
        "Nothing in quarantine: every order the platform sent was read.",
    ),
    "channel.quarantine.intro": (
        "共 {n} 个。每次同步都会重新拉取；也可以立即重试，或确认无法处理后填写原因忽略。",
        "{n} in all. Every sync fetches them again; retry one now, or dismiss it with a reason "
        "when it will never be read.",
    ),
    "channel.quarantine.no_id": ("（读不到平台订单号）", "(no platform order id)"),
    "channel.quarantine.meta": (
        "首次 {first} · 最近尝试 {last} · 共 {n} 次",
        "first seen {first} · last tried {last} · {n:attempt|attempts}",
    ),
    "channel.quarantine.payload": (
        "平台原始数据（买家信息已脱敏）",
        "As the platform sent it (buyer data masked)",
    ),
    "channel.action.sync": ("立即同步", "Sync now"),
    "channel.action.pause": ("暂停拉单", "Pause pulls"),
    "channel.action.resume": ("恢复拉单", "Resume pulls"),
    "channel.action.retry": ("立即重试", "Retry now"),
    "channel.action.dismiss": ("忽略", "Dismiss"),
    "channel.ask.sync": (
        "立即从平台拉取渠道 {name} 的新订单和状态变化（不等待重试间隔）。",
        "Pull channel {name}'s new orders and changes from the platform now (past any backoff).",
    ),
    "channel.ask.pause": (
        "暂停渠道 {name} 的定时拉单和对账，直到恢复。恢复后从水位线继续，不会漏单。",
        "Stop channel {name}'s scheduled pulls and reconciliation until resumed. Resuming "
        "continues from its watermark: nothing is missed.",
    ),
    "channel.ask.resume": (
        "恢复渠道 {name} 的定时拉单。",
        "Pull channel {name} on its schedule again.",
    ),
    "channel.ask.retry": (
        "立即从平台重新拉取隔离订单 #{entry}，能解析就入库。",
        "Fetch quarantined order #{entry} from the platform again now, and store it if it reads.",
    ),
    "channel.ask.dismiss": (
        "确认隔离订单 #{entry} 永远不会被读取，不再重试。原因会记入审计。",
        "Decide quarantined order #{entry} will never be read and stop retrying it. The reason "
        "is audited.",
    ),
    "channel.note": ("备注（可选，记入审计）", "Note (optional, audited)"),
    "channel.dismiss.reason": ("忽略原因（必填，记入审计）", "Reason (required, audited)"),
    "channel.dismiss.reason_needed": (
        "请填写忽略原因",
        "a reason is needed to dismiss it",
    ),
    "channel.done.sync": (
        "{name} 同步完成：读取 {read} 单，新增 {new}，更新 {updated}，隔离 {quarantined}，"
        "找回 {recovered}",
        "{name} synced: {read} read, {new} new, {updated} updated, {quarantined} quarantined, "
        "{recovered} recovered",
    ),
    "channel.done.sync_failed": ("{name} 同步失败：{error}", "{name} did not sync: {error}"),
    "channel.done.sync_busy": (
        "{name} 正在由其他进程同步，稍后刷新查看结果。",
        "{name} is being synced elsewhere right now; look again in a moment.",
    ),
    "channel.done.pause": ("{name} 已暂停拉单", "{name}: pulls paused"),
    "channel.done.resume": ("{name} 已恢复拉单", "{name}: pulls resumed"),
    "channel.done.retry": (
        "隔离订单 #{entry} 已读取并入库",
        "Quarantined order #{entry} read and stored",
    ),
    "channel.done.retry_kept": (
        "隔离订单 #{entry} 仍无法读取：{reason}",
        "Quarantined order #{entry} still cannot be read: {reason}",
    ),
    "channel.done.retry_busy": (
        "该渠道正在同步，同步会重试隔离订单 #{entry}。",
        "The channel is syncing now, and the sync retries quarantined order #{entry}.",
    ),
    "channel.done.dismiss": ("隔离订单 #{entry} 已忽略", "Quarantined order #{entry} dismissed"),
    "channel.not_allowed": (
        "你的角色只能查看；同步、暂停和处理隔离订单需要主管及以上角色。",
        "Your role can view; syncing, pausing and the quarantine need a supervisor or above.",
    ),
    "channel.add.open": ("添加渠道", "Add a channel"),
    "channel.add.title": ("添加销售渠道", "Add a sales channel"),
    "channel.add.name": ("渠道名（字母、数字、- 或 _）", "Name (letters, digits, - or _)"),
    "channel.add.platform": ("平台", "Platform"),
    "channel.add.shop_id": ("店铺 ID", "Shop id"),
    "channel.add.base_url": ("接口地址", "API address"),
    "channel.add.base_url_hint": ("留空使用平台默认地址", "Empty: the platform's default"),
    "channel.add.default_warehouse": ("默认发货仓", "Default warehouse"),
    "channel.add.interval": ("拉单间隔（分钟）", "Pull every (minutes)"),
    "channel.add.credentials": ("平台应用凭证", "The platform app's credentials"),
    "channel.add.choose_platform": ("先选择平台", "Choose the platform first"),
    "channel.add.secret_note": (
        "密钥只写入、不再显示；需要更换时请重新填写。",
        "Secrets are write-only: they are never shown again.",
    ),
    "channel.add.submit": ("添加", "Add"),
    "channel.add.missing": ("请填写渠道名并选择平台。", "Enter a name and choose the platform."),
    "channel.add.missing_credentials": ("请填写：{fields}", "Enter: {fields}"),
    "channel.add.failed": ("渠道未添加：{reason}", "The channel was not added: {reason}"),
    "channel.add.done": (
        "渠道 {name} 已添加，worker 会按间隔开始拉单",
        "Channel {name} added; the worker starts pulling it on its schedule",
    ),
    "audit.channel.paused": ("暂停拉单", "Pulls paused"),
    "audit.channel.resumed": ("恢复拉单", "Pulls resumed"),
    "audit.channel.sync_requested": ("立即同步", "Sync now"),
    "audit.channel.changed": ("修改渠道", "Channel changed"),
    "audit.quarantine.retried": ("重试隔离订单", "Quarantined order retried"),
    "audit.listing.paused": ("暂停商品链接", "Listing paused"),
    "audit.listing.resumed": ("恢复商品链接", "Listing resumed"),
    # comparison and trends (/trends)
    "nav.trends": ("对比与趋势", "Compare & trends"),
    "trends.title": ("前后对比与趋势", "Before/after and trends"),
    "trends.intro": (
        "两个时期的关键指标对比（与 orderwatch metrics compare 相同），绿色表示改善、红色表示变差；"
        "下方是两个时期内每周的处理时效、人工干预占比、超时发货和出库量。",
        "Two periods' key figures side by side (the same as orderwatch metrics compare), green "
        "where they improved and red where they got worse; below, each week of both periods: "
        "processing time, manual intervention, late shipments and throughput.",
    ),
    "trends.before": ("之前", "Before"),
    "trends.after": ("之后", "After"),
    "trends.table": ("指标对比", "Before and after"),
    "trends.col.metric": ("指标", "Metric"),
    "trends.col.before": ("之前", "Before"),
    "trends.col.after": ("之后", "After"),
    "trends.col.change": ("变化", "Change"),
    "trends.col.improved": ("评价", "Verdict"),
    "trends.better": ("改善", "better"),
    "trends.worse": ("变差", "worse"),
    "trends.mean": ("平均", "Mean"),
    "trends.hours": ("小时", "hours"),
    "trends.late_count": ("超时发货单数", "Shipped late"),
    "trends.chart.processing": (
        "每周订单处理时效（支付 → 出库）",
        "Processing time per week (paid → shipped)",
    ),
    "trends.chart.manual": ("每周人工干预占比", "Manual intervention per week"),
    "trends.chart.late": ("每周超时发货", "Late shipments per week"),
    "trends.chart.throughput": ("每周出库量", "Shipped per week"),
    "trends.empty": (
        "这两个时期没有订单记录，请换一个时期或范围。",
        "Neither period holds any orders: choose other periods or another scope.",
    ),
    "trends.bad": ("无法对比：{reason}", "These periods cannot be compared: {reason}"),
    "trends.sheet.compare": ("指标对比", "Before and after"),
    "trends.sheet.weeks": ("每周趋势", "Weekly trends"),
    "trends.week.week": ("周（周一）", "Week (Monday)"),
    "trends.week.p50": ("处理时效 p50（小时）", "Processing p50 (h)"),
    "trends.week.mean": ("处理时效平均（小时）", "Processing mean (h)"),
    "trends.week.shipped": ("出库", "Shipped"),
    "trends.week.late": ("超时发货", "Shipped late"),
    "trends.week.late_share": ("超时发货率", "Late share"),
    "trends.week.manual": ("人工干预占比", "Manual intervention share"),
    # the audit log (/audit)
    "nav.audit": ("审计日志", "Audit log"),
    "audit.title": ("审计日志", "Audit log"),
    "audit.intro": (
        "谁在什么时候做了什么：每条记录都可以跳转到对应的订单、规则版本或渠道。点击一行查看变更明细。",
        "Who did what and when: each entry leads to its order, rule version or channel. Click "
        "an entry to see what it changed.",
    ),
    "audit.filter.actors": ("操作人", "Actor"),
    "audit.filter.actions": ("操作", "Action"),
    "audit.filter.entity_type": ("对象类型", "Entity"),
    "audit.filter.entity_id": ("对象编号", "Entity id"),
    "audit.filter.days": ("日期", "Dates"),
    "audit.col.at": ("时间", "When"),
    "audit.col.actor": ("操作人", "By"),
    "audit.col.action": ("操作", "Action"),
    "audit.col.entity": ("对象", "About"),
    "audit.col.changes": ("变更", "Changes"),
    "audit.count": ("共 {n} 条", "{n:entry|entries}"),
    "audit.pick": ("点击一条记录查看变更明细。", "Click an entry to see what it changed."),
    "audit.no_changes": ("这条记录没有字段变化。", "This entry changed no fields."),
    "audit.diff.field": ("字段", "Field"),
    "audit.diff.before": ("之前", "Before"),
    "audit.diff.after": ("之后", "After"),
    "audit.empty": ("还没有审计记录。", "Nothing has been audited yet."),
    "audit.empty.filtered": (
        "没有符合这些筛选条件的记录。试试“清除筛选”。",
        "No entry matches these filters. Try “Clear filters”.",
    ),
    "audit.bad_filter": ("筛选条件无法使用：{reason}", "These filters cannot be used: {reason}"),
    "audit.export.too_many": (
        "超过 {n} 条，请缩小筛选范围后再导出。",
        "More than {n:entry|entries} match: narrow the filters, then export.",
    ),
    "audit.entity.order": ("订单", "Order"),
    "audit.entity.rule": ("规则", "Rule"),
    "audit.entity.channel": ("渠道", "Channel"),
    "audit.entity.quarantined_order": ("隔离订单", "Quarantined order"),
    "audit.entity.channel_listing": ("商品链接", "Listing"),
    "audit.entity.user": ("用户", "User"),
    "audit.entity.api_token": ("接口令牌", "API token"),
    "audit.entity.console_action": ("控制台操作", "Console action"),
    "audit.entity.alert_group": ("告警", "Alert"),
    "audit.entity.alert_silence": ("告警静默", "Silence"),
    "audit.entity.alert_delivery": ("告警通知", "Notification"),
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
    "orders.count": ("共 {n} 单", "{n:order|orders}"),
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
        "More than {n:order|orders} match: narrow the filters, then export.",
    ),
    "orders.sheet": ("异常订单", "Stuck orders"),
    "orders.modal.body": (
        "将对 {n} 个订单执行「{action}」。已被他人处理的订单会被跳过并列出原因。",
        "{action} on {n:order|orders}. Orders someone else changed meanwhile are skipped, with "
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
    "order.buyer.encrypted": ("平台加密", "encrypted by the platform"),
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
    "order.writebacks": ("回传平台", "Sent back to the platform"),
    "order.col.call": ("回传内容", "Call"),
    "order.col.status": ("状态", "Status"),
    "order.col.carrier": ("快递公司（平台编码）", "Carrier (platform's code)"),
    "order.col.waybill": ("运单号", "Waybill"),
    "order.col.attempts": ("尝试次数", "Attempts"),
    "order.col.when": ("完成 / 下次尝试", "Done / next attempt"),
    "order.col.error": ("最后一次错误", "Last error"),
    "order.writeback.shipment": ("发货回传", "Shipment confirmation"),
    "order.writeback.pending": ("待回传", "Waiting to be sent"),
    "order.writeback.done": ("平台已确认", "Confirmed by the platform"),
    "order.writeback.failed": ("回传失败，需要处理", "Failed: needs a person"),
    "source.channel": ("平台同步", "Platform sync"),
    "source.handheld": ("手持终端", "Handheld"),
    "source.console": ("控制台", "Console"),
    "source.rule": ("规则", "Rule"),
    "source.api": ("接口", "API"),
    # Audit actions: "<entity>.<verb>" as store/ writes them; order.moved_to_<stage> is composed.
    "audit.order.held": ("拦截", "Held"),
    "audit.order.released": ("解除拦截", "Released"),
    "audit.order.cancelled": ("取消", "Cancelled"),
    "audit.order.review_passed": ("审核通过", "Passed review"),
    "audit.order.sent_to_review": ("转入审核", "Sent to review"),
    "audit.order.released_to_warehouse": ("下发仓库", "Released to the warehouse"),
    "audit.order.moved_to": ("进入「{stage}」", "Moved to {stage}"),
    "audit.order.assigned": ("分配拣货员", "Picker assigned"),
    "audit.order.reassigned": ("改派拣货员", "Picker changed"),
    "audit.order.noted": ("添加备注", "Note added"),
    "audit.order.buyer_revealed": ("查看买家信息", "Buyer details revealed"),
    "audit.console.refused": ("操作被拒绝（无权限）", "Action refused (no permission)"),
    "audit.rule.created": ("新建规则", "Rule created"),
    "audit.rule.changed": ("修改规则", "Rule changed"),
    "audit.rule.retired": ("停用规则", "Rule retired"),
    "audit.rule.restored": ("恢复规则版本", "Rule version restored"),
    "audit.channel.created": ("新增渠道", "Channel added"),
    "audit.quarantine.dismissed": ("忽略隔离订单", "Quarantined order dismissed"),
    "audit.token.created": ("创建接口令牌", "API token created"),
    "audit.user.created": ("新建用户", "User created"),
    "audit.alert_group.acknowledged": ("确认告警", "Alert acknowledged"),
    "audit.alert_delivery.resent": ("重发通知", "Notification re-sent"),
    "audit.alert_silence.created": ("静默告警", "Alerts silenced"),
    "audit.alert_silence.expired": ("结束静默", "Silence ended"),
    "audit.alert_receiver.created": ("新增接收人", "Receiver added"),
    "audit.alert_receiver.changed": ("修改接收人", "Receiver changed"),
    "audit.alert_route.changed": ("修改告警路由", "Alert route changed"),
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

TEXTS.update(RULES_TEXTS)
TEXTS.update(ALERTS_TEXTS)
TEXTS.update(ADMIN_TEXTS)


def lang_of(value: object) -> Lang:
    """The language ``value`` names, or the default for anything else (old or absent data)."""
    return "en" if value == "en" else DEFAULT_LANG


def t(key: str, lang: str, **facts: object) -> str:
    """The text for ``key`` in ``lang`` with ``facts`` in it (``store.wording``: a count says
    "1 order", "3 orders"); an unknown key shows as itself rather than failing."""
    pair = TEXTS.get(key)
    if pair is None:
        return key
    text = pair[1] if lang_of(lang) == "en" else pair[0]
    return say(text, facts) if facts else text


def both(key: str) -> str:
    """Chinese and English side by side, for pages drawn before a language is known."""
    return f"{t(key, 'zh')} · {t(key, 'en')}"


def role_label(role: str, lang: str) -> str:
    return t(f"role.{role}", lang) if f"role.{role}" in TEXTS else role


def source_label(source: str, lang: str) -> str:
    """Who or what made a change (``store.stages.Source``), in ``lang``."""
    return t(f"source.{source}", lang) if f"source.{source}" in TEXTS else source


def audit_action_label(action: str, lang: str) -> str:
    """An audit entry's action in words; a code without a label shows as itself."""
    moved = action.removeprefix("order.moved_to_")
    if moved != action:
        return t("audit.order.moved_to", lang, stage=stage_label(moved, lang))
    key = f"audit.{action}"
    return t(key, lang) if key in TEXTS else action


def stage_label(stage: str, lang: str) -> str:
    """The stage's name in ``lang``; an unknown code shows as itself."""
    try:
        zh, en = STAGE_LABELS[Stage(stage)]
    except ValueError:
        return stage
    return en if lang_of(lang) == "en" else zh
