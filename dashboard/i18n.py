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
