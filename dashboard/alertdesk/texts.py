"""The alerts page's console text, (zh, en) by key; ``dashboard.i18n`` takes them in.

Kept beside the page rather than in the shared table: its tables' columns, the alert kinds,
events, providers, the silence form and the routing editor are a long list only it reads."""

from __future__ import annotations

ALERTS_TEXTS: dict[str, tuple[str, str]] = {
    "nav.alerts": ("告警", "Alerts"),
    "alerts.title": ("告警", "Alerts"),
    "alerts.intro": (
        "告警引擎通知了谁、正在压下什么：未处理的告警组在前，确认后升级和提醒停止；"
        "静默、投递记录（含死信）和路由都在这里。",
        "What the alerts engine has told people and what it holds back: open groups first; "
        "acknowledging stops escalation and reminders. Silences, the delivery log (dead "
        "letters included) and routing are here too.",
    ),
    "alerts.tab.groups": ("告警组", "Alert groups"),
    "alerts.tab.silences": ("静默", "Silences"),
    "alerts.tab.deliveries": ("投递记录", "Deliveries"),
    "alerts.tab.routing": ("路由与接收方", "Routing and receivers"),
    "alerts.stat.firing": ("未确认", "Unacknowledged"),
    "alerts.stat.acknowledged": ("处理中（已确认）", "Acknowledged"),
    "alerts.stat.unrouted": ("无人接收", "Routed to nobody"),
    "alerts.stat.silences": ("生效的静默", "Active silences"),
    "alerts.stat.outbox": ("待投递", "Waiting to send"),
    "alerts.stat.dead": ("死信", "Dead letters"),
    "alerts.state.firing": ("未确认", "Triggered"),
    "alerts.state.acknowledged": ("已确认", "Acknowledged"),
    "alerts.state.resolved": ("已恢复", "Resolved"),
    "alerts.alert_status.firing": ("告警中", "Firing"),
    "alerts.alert_status.acknowledged": ("已确认", "Acknowledged"),
    "alerts.alert_status.resolved": ("已恢复", "Resolved"),
    "alerts.kind.sla_breach": ("SLA 超时", "SLA breach"),
    "alerts.kind.stock_low": ("库存不足", "Stock low"),
    "alerts.kind.channel_stale": ("渠道同步中断", "Channel stale"),
    "alerts.kind.channel_failing": ("渠道同步失败", "Channel failing"),
    "alerts.kind.orders_quarantined": ("订单隔离", "Orders quarantined"),
    "alerts.kind.flow_health": ("流程健康", "Flow health"),
    "alerts.kind.backlog_growth": ("积压异常", "Backlog growth"),
    "alerts.kind.after_sales_sla": ("售后超时", "After-sales SLA"),
    "alerts.kind.test": ("测试", "Test"),
    "alerts.label.kind": ("类型", "Kind"),
    "alerts.label.severity": ("级别", "Severity"),
    "alerts.label.channel": ("渠道", "Channel"),
    "alerts.label.warehouse": ("仓库", "Warehouse"),
    "alerts.label.stage": ("环节", "Stage"),
    "alerts.label.sku": ("SKU", "SKU"),
    "alerts.label.order_no": ("订单号", "Order"),
    "alerts.label.deadline": ("时限", "Deadline"),
    "alerts.filter.state": ("状态", "State"),
    "alerts.filter.kind": ("类型", "Kind"),
    "alerts.filter.severity": ("级别", "Severity"),
    "alerts.filter.channel": ("渠道", "Channel"),
    "alerts.filter.warehouse": ("仓库", "Warehouse"),
    "alerts.filter.clear": ("清除筛选", "Clear filters"),
    "alerts.col.id": ("编号", "#"),
    "alerts.col.severity": ("级别", "Severity"),
    "alerts.col.state": ("状态", "State"),
    "alerts.col.summary": ("内容", "What"),
    "alerts.col.kind": ("类型", "Kind"),
    "alerts.col.scope": ("范围", "Scope"),
    "alerts.col.open": ("未恢复", "Open"),
    "alerts.col.since": ("开始于", "Since"),
    "alerts.col.lasted": ("持续", "Lasted"),
    "alerts.col.level": ("升级级别", "Escalation"),
    "alerts.col.escalates": ("下次升级", "Escalates at"),
    "alerts.col.notified": ("最近通知", "Last told"),
    "alerts.col.ack": ("确认人", "Acknowledged by"),
    "alerts.col.route": ("路由", "Route"),
    "alerts.col.subject": ("对象", "Subject"),
    "alerts.col.status": ("状态", "Status"),
    "alerts.col.warehouse": ("仓库", "Warehouse"),
    "alerts.col.channel": ("渠道", "Channel"),
    "alerts.col.muted": ("未通知原因", "Held back by"),
    "alerts.col.rule": ("规则", "Rule"),
    "alerts.col.created": ("写入时间", "Queued"),
    "alerts.col.group": ("告警组", "Group"),
    "alerts.col.event": ("事件", "Event"),
    "alerts.col.receiver": ("接收方", "Receiver"),
    "alerts.col.provider": ("通道", "Provider"),
    "alerts.col.attempts": ("尝试次数", "Attempts"),
    "alerts.col.next": ("下次尝试", "Next attempt"),
    "alerts.col.sent": ("送达时间", "Delivered"),
    "alerts.col.answer": ("服务商回复", "Provider's answer"),
    "alerts.col.title": ("消息标题", "Message title"),
    "alerts.col.matchers": ("匹配条件", "Matchers"),
    "alerts.col.starts": ("开始", "Starts"),
    "alerts.col.ends": ("结束", "Ends"),
    "alerts.col.left": ("剩余", "Left"),
    "alerts.col.muting": ("正在静默", "Muting now"),
    "alerts.col.author": ("设置人", "By"),
    "alerts.col.reason": ("原因", "Reason"),
    "alerts.col.name": ("名称", "Name"),
    "alerts.col.lang": ("语言", "Language"),
    "alerts.col.enabled": ("启用", "Enabled"),
    "alerts.col.rate": ("限速", "Rate limit"),
    "alerts.col.settings": ("配置（密钥不显示）", "Settings (secrets hidden)"),
    "alerts.col.last": ("最近投递", "Last delivery"),
    "alerts.col.last_answer": ("最近回复", "Last answer"),
    "alerts.col.position": ("顺序", "Order"),
    "alerts.col.match": ("匹配", "Matches"),
    "alerts.col.group_by": ("分组依据", "Grouped by"),
    "alerts.col.timing": ("节奏", "Timing"),
    "alerts.col.levels": ("各级接收方", "Levels"),
    "alerts.col.escalate": ("未确认升级", "Escalate after"),
    "alerts.col.on_call": ("非工作时间值班", "On call"),
    "alerts.col.hours": ("工作时间", "Business hours"),
    "alerts.col.resolved": ("发送恢复通知", "Resolved notice"),
    "alerts.level.of": ("第 {n} 级 / 共 {of} 级", "level {n} of {of}"),
    "alerts.level.one": ("第 {n} 级", "level {n}"),
    "alerts.not_notified": ("尚未通知", "not yet told"),
    "alerts.event.firing": ("首次通知", "Firing"),
    "alerts.event.update": ("变化", "Update"),
    "alerts.event.repeat": ("提醒", "Reminder"),
    "alerts.event.escalation": ("升级", "Escalation"),
    "alerts.event.resolved": ("恢复", "Resolved"),
    "alerts.event.test": ("测试", "Test"),
    "alerts.delivery.pending": ("待投递", "Pending"),
    "alerts.delivery.sent": ("已送达", "Sent"),
    "alerts.delivery.dead": ("死信", "Dead"),
    "alerts.provider.webhook": ("Webhook（签名）", "Signed webhook"),
    "alerts.provider.dingtalk": ("钉钉机器人", "DingTalk robot"),
    "alerts.provider.wecom": ("企业微信机器人", "WeCom robot"),
    "alerts.provider.feishu": ("飞书机器人", "Feishu bot"),
    "alerts.provider.aliyun_sms": ("阿里云短信", "Aliyun SMS"),
    "alerts.provider.tencent_sms": ("腾讯云短信", "Tencent Cloud SMS"),
    "alerts.provider.twilio_sms": ("Twilio 短信", "Twilio SMS"),
    "alerts.item.sla": ("在「{stage}」超时 {over}", "{over} over its {stage} limit"),
    "alerts.item.ship_by": ("超过承诺发货时间 {over}", "{over} past its ship-by promise"),
    "alerts.item.stock": (
        "可用 {available}，安全库存 {threshold}",
        "Available {available}, safety stock {threshold}",
    ),
    "alerts.item.quarantine": (
        "{count} 单被隔离：{reason}",
        "{count:order|orders} quarantined: {reason}",
    ),
    "alerts.muted.silence": ("静默 #{id}", "silence #{id}"),
    "alerts.muted.inhibited": ("被告警 #{id} 抑制", "inhibited by alert #{id}"),
    "alerts.empty.quiet.title": ("没有未处理的告警", "No open alerts"),
    "alerts.empty.quiet.body": (
        "所有告警组都已恢复或确认；新的告警会在这里出现，并按路由通知接收方。",
        "Nothing is waiting for anyone; new alerts show up here and go to their receivers.",
    ),
    "alerts.empty.no_routes.title": ("还没有告警路由", "No alert routes yet"),
    "alerts.empty.no_routes.body": (
        "告警会被记录，但不会通知任何人。在「路由与接收方」配置接收方和路由，"
        "或用 orderwatch apply 应用 [alerts] 配置段。",
        "Alerts are recorded but nobody is told. Set up receivers and routes under "
        "“Routing and receivers”, or apply an [alerts] section with orderwatch apply.",
    ),
    "alerts.empty.filtered": (
        "没有符合这些筛选条件的告警组。试试“清除筛选”，或在状态中加上“已恢复”。",
        "No alert group matches these filters. Try “Clear filters”, or add “Resolved” to the "
        "state.",
    ),
    "alerts.unrouted.title": ("{n} 条告警没有路由接收", "{n:alert|alerts} no route takes"),
    "alerts.unrouted.body": (
        "没有任何路由匹配这些告警，因此没有人收到通知。请在「路由与接收方」加一条匹配它们的路由"
        "（或一条不设匹配条件的兜底路由）。",
        "No route matches these alerts, so nobody is told about them. Add a route that "
        "matches them (or a catch-all route without matchers) under “Routing and receivers”.",
    ),
    "alerts.unrouted.more": ("另有 {n} 条", "{n} more"),
    "alerts.detail.hint": (
        "点击一个告警组，查看其中的告警、升级情况和投递记录。",
        "Click a group to see its alerts, its escalation and its delivery log.",
    ),
    "alerts.detail.items": ("组内告警", "Alerts in the group"),
    "alerts.detail.log": ("投递记录", "Delivery log"),
    "alerts.detail.no_log": (
        "还没有发出通知（分组等待中，或全部被静默/抑制）。",
        "Nothing sent yet (the group is waiting, or everything in it is silenced or inhibited).",
    ),
    "alerts.detail.missing": ("没有告警组 #{id}。", "There is no alert group #{id}."),
    "alerts.detail.nobody": ("尚无人确认", "nobody yet"),
    "alerts.viewer": (
        "你的角色只能查看告警；确认、静默和重新投递需要主管及以上角色。",
        "Your role can view alerts; acknowledging, silencing and re-sending need a "
        "supervisor or above.",
    ),
    "alerts.action.ack": ("确认（我来处理）", "Acknowledge"),
    "alerts.action.silence": ("静默…", "Silence…"),
    "alerts.action.new_silence": ("新建静默", "New silence"),
    "alerts.action.expire": ("结束所选静默", "End the selected silence"),
    "alerts.action.resend": ("重新投递所选死信", "Re-send the selected dead letters"),
    "alerts.action.resend_group": ("重新投递所选死信", "Re-send the selected dead letters"),
    "alerts.action.test": ("向所选接收方发送测试", "Send the selected receiver a test"),
    "alerts.action.edit": ("编辑路由配置", "Edit the routing"),
    "alerts.field.ack_note": ("备注（可选，记入审计）", "Note (optional, audited)"),
    "alerts.ask.ack": (
        "确认告警组 #{id}：升级和提醒会停止；组内变化和恢复通知照常发送。确认人记为你。",
        "Acknowledge alert group #{id}: escalation and reminders stop; changes and the "
        "resolved notice still go out. You are recorded as the one on it.",
    ),
    "alerts.ask.expire": (
        "现在结束静默 #{id}（{matchers}）？它压下的告警会在下一次决策时通知。",
        "End silence #{id} ({matchers}) now? What it held back is notified at the next decision.",
    ),
    "alerts.ask.resend": (
        "重新投递 {n} 条死信：每条以新的重试次数排队，由 worker 发送，幂等键不变。",
        "Re-send {n} dead letters: each is queued with a fresh retry budget and sent by the "
        "worker, with the same idempotency key.",
    ),
    "alerts.ask.test": (
        "现在经由真实投递通道向 {receiver} 发送一条测试消息？接收方会真的收到它。",
        "Send {receiver} a test message now, through the real delivery path? It really arrives.",
    ),
    "alerts.toast.acknowledged": (
        "告警组 #{id} 已确认（{by}）：升级和提醒已停止",
        "Alert group #{id} acknowledged by {by}: escalation and reminders stopped",
    ),
    "alerts.toast.already_acknowledged": (
        "告警组 #{id} 已由 {by} 确认过，无需再次确认",
        "Alert group #{id} was acknowledged by {by} already",
    ),
    "alerts.toast.expired": ("静默 #{id} 已结束", "Silence #{id} ended"),
    "alerts.toast.resent": (
        "重新投递：{done} 条已排队，{refused} 条被拒绝",
        "Re-send: {done} queued, {refused} refused",
    ),
    "alerts.toast.silenced": (
        "已静默（#{id}）：{matchers}，至 {until}",
        "Silenced (#{id}): {matchers}, until {until}",
    ),
    "alerts.toast.test_sent": ("测试消息已送达 {receiver}", "Test message delivered to {receiver}"),
    "alerts.toast.test_pending": (
        "测试消息未送达 {receiver}，将自动重试",
        "Test message not delivered to {receiver}; it will be retried",
    ),
    "alerts.toast.test_dead": (
        "{receiver} 拒绝了测试消息，详见服务商回复",
        "{receiver} refused the test message: see the provider's answer",
    ),
    "alerts.toast.test_held": (
        "{receiver} 已达限速，测试消息将在一分钟内发出",
        "{receiver} is at its rate limit; the test goes out within a minute",
    ),
    "alerts.test.sent": ("已送达", "delivered"),
    "alerts.test.pending": ("未送达，稍后重试", "not delivered, will retry"),
    "alerts.test.dead": ("被拒绝", "refused"),
    "alerts.test.held": (
        "{receiver}：已达限速，测试消息排队中，worker 会在一分钟内发送。",
        "{receiver}: at its rate limit; the test is queued and the worker sends it within a "
        "minute.",
    ),
    "alerts.test.answer": (
        "HTTP {status} · 代码 {code} · 服务商回复：",
        "HTTP {status} · code {code} · the provider answered:",
    ),
    "alerts.silences.intro": (
        "静默期间，匹配的告警不会通知任何人（仍在这里显示）。结束后，被压下的告警会补发通知。",
        "While a silence lasts, the alerts it matches notify nobody (they still show here). "
        "When it ends, what it held back is notified.",
    ),
    "alerts.silences.ended": ("显示已结束的", "Show ended ones"),
    "alerts.silences.none": ("没有生效中的静默。", "No silence in force."),
    "alerts.silence_state.active": ("生效中", "Active"),
    "alerts.silence_state.pending": ("未开始", "Not started"),
    "alerts.silence_state.ended": ("已结束", "Ended"),
    "alerts.silence.title": ("静默告警", "Silence alerts"),
    "alerts.silence.help": (
        "匹配条件全部相同的告警会被静默（留空的条件不参与匹配）。静默有结束时间、设置人和原因，记入审计。",
        "Alerts whose labels equal every filled-in matcher are silenced (empty ones match "
        "anything). A silence has an end, an author and a reason, and is audited.",
    ),
    "alerts.silence.span.30m": ("30 分钟", "30 min"),
    "alerts.silence.span.1h": ("1 小时", "1 h"),
    "alerts.silence.span.2h": ("2 小时", "2 h"),
    "alerts.silence.span.4h": ("4 小时", "4 h"),
    "alerts.silence.span.8h": ("8 小时", "8 h"),
    "alerts.silence.span.1d": ("1 天", "1 day"),
    "alerts.silence.span.until": ("直到…", "Until…"),
    "alerts.silence.for": ("持续", "For"),
    "alerts.silence.until": ("结束时间（{zone}）", "Ends at ({zone})"),
    "alerts.silence.reason": ("原因（必填）", "Reason (required)"),
    "alerts.silence.reason_hint": (
        "例如：杭州仓盘点，拣货暂停到 16:00",
        "e.g. stocktake at the Hangzhou warehouse, picking paused until 16:00",
    ),
    "alerts.silence.submit": ("静默", "Silence"),
    "alerts.silence.preview.none": (
        "填写至少一个匹配条件后，这里会显示将被静默的告警。",
        "Fill in at least one matcher to see which alerts it would silence.",
    ),
    "alerts.silence.preview.nothing": (
        "目前没有未恢复的告警符合这些条件；之后出现的会被静默。",
        "No open alert matches these now; matching alerts raised later are silenced.",
    ),
    "alerts.silence.preview.some": (
        "将静默 {n} 条未恢复的告警：{items}",
        "Silences {n} open alerts: {items}",
    ),
    "alerts.silence.error.no_matchers": (
        "请至少填写一个匹配条件：不带条件的静默会让所有告警都没人收到。",
        "Fill in at least one matcher: a silence without any would mute every alert.",
    ),
    "alerts.silence.error.no_reason": (
        "请填写原因：它和静默一起保存，让其他人知道为什么没有收到告警。",
        "Give a reason: it is kept with the silence so others know why they are not told.",
    ),
    "alerts.silence.error.long_reason": (
        "原因最多 {n} 个字符。",
        "A reason is at most {n} characters.",
    ),
    "alerts.silence.error.no_end": ("请选择结束时间。", "Choose when it ends."),
    "alerts.silence.error.bad_end": ("无法识别结束时间“{value}”。", "“{value}” is not a time."),
    "alerts.silence.error.past": (
        "结束时间 {when} 已经过去，请选择一个将来的时间。",
        "The end {when} has passed already: choose a time in the future.",
    ),
    "alerts.silence.error.too_long": (
        "静默最长 {days} 天；更久的请改路由。",
        "A silence lasts at most {days:day|days}; change the routing for longer.",
    ),
    "alerts.deliveries.intro": (
        "每条通知对每个接收方一行：待投递的会重试（退避加抖动），达到重试上限或被服务商明确拒绝的成为死信，"
        "保留服务商的回复，可重新投递。",
        "One row per notification and receiver: pending ones are retried (backoff with "
        "jitter); after the retry budget, or a refusal for good, they are dead letters, kept "
        "with the provider's answer and re-sendable.",
    ),
    "alerts.deliveries.all": ("全部", "All"),
    "alerts.deliveries.dead": ("死信", "Dead letters"),
    "alerts.deliveries.pending": ("待投递", "Pending"),
    "alerts.deliveries.sent": ("已送达", "Sent"),
    "alerts.deliveries.none": ("还没有投递记录。", "Nothing delivered yet."),
    "alerts.deliveries.no_dead": (
        "没有死信：每条通知都已送达或仍在重试。",
        "No dead letters: every notification was delivered or is still being retried.",
    ),
    "alerts.routing.receivers": ("接收方", "Receivers"),
    "alerts.routing.routes": (
        "路由（按顺序匹配，第一条匹配的生效）",
        "Routes (in order; the first that matches takes the alert)",
    ),
    "alerts.routing.no_receivers": ("还没有接收方。", "No receivers yet."),
    "alerts.routing.no_routes": (
        "还没有路由：告警不会通知任何人。",
        "No routes yet: alerts notify nobody.",
    ),
    "alerts.routing.readonly": (
        "这里只读。运营主管和管理员可以在这里编辑；"
        "也可以用 orderwatch apply 应用配置文件中的 [alerts] 段"
        "（orderwatch export-config 导出当前配置）。",
        "Read-only here. Ops supervisors and admins can edit it on this page; or apply the "
        "[alerts] section of a configuration file with orderwatch apply (orderwatch "
        "export-config writes the current one).",
    ),
    "alerts.routing.editable": (
        "编辑的是 orderwatch apply 读取的同一段 [alerts] 配置：先检查，再应用；"
        "密钥显示为 **********，保持不变。",
        "You edit the same [alerts] section orderwatch apply reads: check it, then apply; "
        "secrets show as ********** and are kept as they are.",
    ),
    "alerts.editor.title": ("编辑路由配置 [alerts]", "Edit the routing [alerts]"),
    "alerts.editor.help": (
        "receivers 和 routes 各自是完整的集合：删掉的会被移除。密钥写成 ********** 表示保持原值；"
        "要更换密钥就写入新值。检查不会保存任何东西；应用在一个事务里完成并记入审计。",
        "receivers and routes are each the complete set: what you remove is removed. A secret "
        "written as ********** keeps its value; write a new value to change it. Checking saves "
        "nothing; applying is one audited transaction.",
    ),
    "alerts.editor.close": ("关闭", "Close"),
    "alerts.editor.check": ("检查（不保存）", "Check (saves nothing)"),
    "alerts.editor.apply": ("应用", "Apply"),
    "alerts.editor.applied": ("路由配置已应用：{n} 处变化", "Routing applied: {n:change|changes}"),
    "alerts.editor.unchanged": ("没有需要修改的内容。", "Nothing to change."),
    "alerts.editor.would": ("应用后会有 {n} 处变化：", "Applying it makes {n:change|changes}:"),
    "alerts.editor.problems": (
        "{n} 个问题，未做任何修改：",
        "{n:problem|problems}, nothing was changed:",
    ),
    "alerts.secret_set": ("（已设置，不显示）", "(set, not shown)"),
    "alerts.yes": ("是", "yes"),
    "alerts.no": ("否", "no"),
    "alerts.per_minute": ("{n} 条/分钟", "{n}/min"),
    "alerts.never_sent": ("尚未投递", "never sent to"),
    "alerts.everything": ("全部告警", "every alert"),
    "alerts.always": ("全天", "always"),
    "alerts.timing": (
        "等待 {wait} · 间隔 {interval} · 重复 {repeat}",
        "wait {wait} · interval {interval} · repeat {repeat}",
    ),
}
