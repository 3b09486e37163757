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
