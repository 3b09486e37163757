"""The admin page's console text, (zh, en) by key; ``dashboard.i18n`` takes them in."""

from __future__ import annotations

ADMIN_TEXTS: dict[str, tuple[str, str]] = {
    "nav.admin": ("用户与令牌", "Users & tokens"),
    "admin.title": ("用户与接口令牌", "Users and API tokens"),
    "admin.intro": (
        "谁能登录控制台、以什么角色；哪些手持终端和系统集成可以调用接口。每项修改都记入审计日志。",
        "Who may sign in to the console and in which role; which handhelds and integrations "
        "may call the API. Every change is audited.",
    ),
    "admin.denied.title": ("仅限管理员", "Admins only"),
    "admin.denied.body": (
        "只有管理员可以管理用户和接口令牌。如需账号或令牌，请联系管理员。",
        "Only admins manage users and API tokens. Ask an admin for an account or a token.",
    ),
    "admin.tab.users": ("用户", "Users"),
    "admin.tab.tokens": ("接口令牌", "API tokens"),
    # users
    "admin.users.intro": (
        "选中一行后可修改角色、停用或重置密码；这三项都会让该用户的已登录会话立即失效。",
        "Select a user to change their role, deactivate them or reset their password; each "
        "ends the sessions they have open.",
    ),
    "admin.users.none": ("还没有用户。", "No users yet."),
    "admin.col.username": ("用户名", "User name"),
    "admin.col.display_name": ("显示名", "Display name"),
    "admin.col.role": ("角色", "Role"),
    "admin.col.active": ("状态", "Status"),
    "admin.col.created": ("创建时间", "Created"),
    "admin.active": ("启用", "Active"),
    "admin.inactive": ("已停用", "Deactivated"),
    "admin.action.add": ("添加用户", "Add a user"),
    "admin.action.role": ("修改角色", "Change role"),
    "admin.action.deactivate": ("停用", "Deactivate"),
    "admin.action.reset": ("重置密码", "Reset password"),
    "admin.add.title": ("添加用户", "Add a user"),
    "admin.add.username": ("用户名（登录用，不含空格）", "User name (to sign in, no spaces)"),
    "admin.add.display_name": ("显示名", "Display name"),
    "admin.add.role": ("角色", "Role"),
    "admin.add.password": ("初始密码", "Initial password"),
    "admin.add.password_hint": ("至少 {n} 个字符", "At least {n} characters"),
    "admin.add.submit": ("添加", "Add"),
    "admin.add.done": ("已添加用户 {name}（{role}）。", "User {name} added ({role})."),
    "admin.role.title": ("修改角色", "Change role"),
    "admin.role.body": (
        "{name} 当前角色：{role}。修改后其会话立即失效，重新登录后按新角色使用。",
        "{name} is {role} now. Their sessions end at once; they sign in again with the new role.",
    ),
    "admin.role.submit": ("保存角色", "Save the role"),
    "admin.role.done": ("{name} 的角色已改为 {role}。", "{name} is {role} now."),
    "admin.role.same": ("{name} 已经是 {role}。", "{name} is {role} already."),
    "admin.ask.deactivate": (
        "停用 {name}？其会话立即失效，之后不能再登录；账号和审计记录会保留。",
        "Deactivate {name}? Their sessions end at once and they cannot sign in again; the "
        "account and its audit trail stay.",
    ),
    "admin.ask.deactivate_reason": ("停用原因（必填）", "Why (required)"),
    "admin.ask.revoke": (
        "吊销令牌 {name}？使用它的请求会立即被拒绝（401），无法恢复。",
        "Revoke the token {name}? Every request with it is refused from now on (401); this "
        "cannot be undone.",
    ),
    "admin.done.deactivate": (
        "已停用 {name}，其会话已结束。",
        "{name} is deactivated; their sessions have ended.",
    ),
    "admin.done.already_inactive": ("{name} 已经是停用状态。", "{name} was deactivated already."),
    "admin.done.revoke": ("已吊销令牌 {name}。", "The token {name} is revoked."),
    "admin.done.already_revoked": (
        "令牌 {name} 已经被吊销。",
        "The token {name} was revoked already.",
    ),
    "admin.reset.title": ("重置密码", "Reset the password"),
    "admin.reset.body": (
        "为 {name} 设置新密码；其已登录会话立即失效。留空则生成一个随机密码，只显示一次。",
        "A new password for {name}; the sessions they have open end at once. Leave it empty to "
        "generate a random one, shown once.",
    ),
    "admin.reset.password": ("新密码", "New password"),
    "admin.reset.submit": ("重置", "Reset"),
    "admin.reset.done": (
        "{name} 的密码已重置，其会话已结束。",
        "The password of {name} is reset; their sessions have ended.",
    ),
    "admin.reset.once_title": ("新密码（只显示一次）", "The new password (shown once)"),
    "admin.reset.once_body": (
        "请把这个密码告诉 {name}。关闭后不会再显示，系统只保存它的哈希值。",
        "Give this password to {name}. It is not shown again once closed: only its hash is kept.",
    ),
    # tokens
    "admin.tokens.intro": (
        "手持终端和系统集成用接口令牌调用 /api/v1（Authorization: Bearer …）。"
        "令牌只在创建时显示一次。",
        "Handhelds and integrations call /api/v1 with an API token (Authorization: Bearer …). "
        "A token is shown once, when it is created.",
    ),
    "admin.tokens.none": (
        "还没有接口令牌。为手持终端或系统集成创建一个。",
        "No API tokens yet. Create one for a handheld or an integration.",
    ),
    "admin.col.name": ("名称", "Name"),
    "admin.col.prefix": ("前缀", "Prefix"),
    "admin.col.scopes": ("权限范围", "Scopes"),
    "admin.col.created_by": ("创建人", "Created by"),
    "admin.col.last_used": ("最近使用", "Last used"),
    "admin.col.state": ("状态", "Status"),
    "admin.col.revoked": ("吊销时间", "Revoked"),
    "admin.never_used": ("从未使用", "Never"),
    "admin.token.live": ("有效", "Live"),
    "admin.token.revoked": ("已吊销", "Revoked"),
    "admin.action.create": ("创建令牌", "Create a token"),
    "admin.action.revoke": ("吊销", "Revoke"),
    "admin.token.title": ("创建接口令牌", "Create an API token"),
    "admin.token.name": ("名称（例如 pda-07）", "Name (such as pda-07)"),
    "admin.token.scopes": ("权限范围", "Scopes"),
    "admin.token.submit": ("创建", "Create"),
    "admin.token.once_title": ("新令牌（只显示一次）", "The new token (shown once)"),
    "admin.token.once_body": (
        "令牌 {name}（{scopes}）。请现在复制保存：关闭后不会再显示，系统只保存它的哈希值。",
        "Token {name} ({scopes}). Copy it now: it is not shown again once closed, only its "
        "hash is kept.",
    ),
    "admin.scope.scans": ("scans · 扫描上报", "scans · warehouse scans"),
    "admin.scope.orders:read": ("orders:read · 查询订单", "orders:read · read orders"),
    "admin.scope.orders:act": ("orders:act · 操作订单", "orders:act · act on orders"),
    "admin.scope.metrics:read": ("metrics:read · 读取指标", "metrics:read · read metrics"),
    "admin.scope.tickets": ("tickets · 售后工单", "tickets · after-sales tickets"),
    "admin.scope.channels:push": ("channels:push · 渠道推送", "channels:push · channel pushes"),
    "admin.scope.alerts:read": ("alerts:read · 查看告警", "alerts:read · read alerts"),
    "admin.scope.alerts:ack": ("alerts:ack · 确认告警", "alerts:ack · acknowledge alerts"),
    # what is shown once
    "admin.once.copy": ("复制", "Copy"),
    "admin.once.copied": ("已复制", "Copied"),
    "admin.once.close": ("我已保存，关闭", "I have kept it: close"),
    # refusals, each next to its field
    "admin.error.required": ("必填", "Required"),
    "admin.error.bad_user_name": (
        "用户名须为 1–64 个字符，不含空格和控制字符",
        "1–64 characters, no spaces or control characters",
    ),
    "admin.error.bad_display_name": (
        "显示名最多 128 个字符，不含控制字符",
        "At most 128 characters, no control characters",
    ),
    "admin.error.user_exists": ("用户 {name} 已存在", "The user {name} exists already"),
    "admin.error.unknown_role": ("请选择一个角色", "Choose a role"),
    "admin.error.weak_password": ("密码至少需要 {n} 个字符", "At least {n} characters"),
    "admin.error.own_account": (
        "不能停用自己或修改自己的角色：请另一位管理员操作",
        "You cannot deactivate yourself or change your own role: ask another admin",
    ),
    "admin.error.bad_token_name": (
        "名称须为 1–64 个字符，不含控制字符",
        "1–64 characters, no control characters",
    ),
    "admin.error.token_exists": (
        "已有名为 {name} 的令牌（包括已吊销的）",
        "A token named {name} exists already (revoked ones count)",
    ),
    "admin.error.no_scopes": ("至少选择一个权限范围", "Choose at least one scope"),
    "admin.error.unknown_scope": ("未知的权限范围", "Unknown scope"),
    "admin.error.reason_needed": ("请填写停用原因", "Give the reason"),
    # the audit log's words for what this page does
    "audit.user.role_changed": ("修改用户角色", "User role changed"),
    "audit.user.deactivated": ("停用用户", "User deactivated"),
    "audit.user.password_changed": ("修改用户密码", "User password changed"),
    "audit.token.revoked": ("吊销接口令牌", "API token revoked"),
}
