"""What the rules editor draws from what ``rules.editing`` answers: the list of rules, a rule's
heading, the problems, the dry run's figures, the history and a readable diff."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import dash_mantine_components as dmc
from dash import html

from dashboard.formatting import moment, number
from dashboard.i18n import lang_of, t
from dashboard.rules_editor.form import choice_label
from dashboard.theme import ACCENT, BAD, GOOD, NEUTRAL
from rules.catalog import KINDS, SINGLE
from rules.diff import BodyChange
from rules.dry_run import DryRunReport
from rules.dry_run_bounds import DryRunTooLarge
from rules.editing import FieldProblem, RuleEntry

EXAMPLES = 4
"""Example orders linked per channel and direction."""


def table(head: list[str], rows: list[list[Any]], table_id: str, **props: Any) -> dmc.Table:
    """A table whose cells may hold components (links, buttons): ``dmc.Table``'s ``data``
    takes text only."""
    return dmc.Table(
        [
            dmc.TableThead(dmc.TableTr([dmc.TableTh(h) for h in head])),
            dmc.TableTbody([dmc.TableTr([dmc.TableTd(cell) for cell in row]) for row in rows]),
        ],
        id=table_id,
        fz="sm",
        **props,
    )


def rule_href(kind: str, name: str, **more: str) -> str:
    return "/rules?" + urlencode({"kind": kind, "name": name, **more})


def rule_title(kind: str, name: str, lang: str) -> str:
    shown = t("rules.single.default", lang) if name == SINGLE and not KINDS[kind][2] else name
    return f"{t(f'rules.kind.{kind}', lang)} · {shown}"


def meta_line(entry: RuleEntry, lang: str, zone: ZoneInfo) -> str:
    if entry.version == 0:
        return t("rules.builtin", lang)
    when = moment(entry.at, zone, lang)
    return t("rules.meta", lang, author=entry.author, at=when, reason=entry.reason or "—")


def rule_list(
    entries: list[RuleEntry],
    selected: tuple[str, str] | None,
    lang: str,
    zone: ZoneInfo,
    *,
    may_add: bool,
) -> dmc.Stack:
    """Every rule in force, kind by kind, each a link with its version, author and reason."""
    sections = []
    for kind, (_attribute, _model, many) in KINDS.items():
        mine = [e for e in entries if e.kind == kind]
        links = [
            dmc.NavLink(
                label=dmc.Group(
                    [
                        dmc.Text(e.name if many else t("rules.single.default", lang), size="sm"),
                        dmc.Badge(
                            t("rules.version", lang, version=e.version),
                            size="xs",
                            variant="light",
                            tt="none",
                            color=NEUTRAL if e.version == 0 else ACCENT,
                        ),
                    ],
                    gap=6,
                ),
                description=meta_line(e, lang, zone),
                href=rule_href(kind, e.name),
                active=selected == (kind, e.name),
                id={"role": "rules-link", "kind": kind, "name": e.name},
            )
            for e in mine
        ]
        if many and may_add:
            links.append(
                dmc.Anchor(
                    "+ " + t("rules.add", lang),
                    href=rule_href(kind, "", new="1"),
                    size="xs",
                    pl="sm",
                    id=f"rules-add-{kind}",
                )
            )
        if not mine and not links:
            links = [dmc.Text(t("rules.row.none", lang), c="dimmed", size="sm")]
        title = dmc.Text(t(f"rules.kind.{kind}", lang), fw=600, size="sm", mt="xs")
        sections.append(dmc.Stack([title, *links], gap=0, id=f"rules-kind-{kind}"))
    return dmc.Stack(sections, gap="xs")


def problem_text(problem: FieldProblem, lang: str) -> str:
    """A problem in ``lang``: the rules' own Chinese, else the translation of its error type
    with the values it names, else the English message as it is."""
    if lang_of(lang) == "en":
        return problem.message
    if problem.message_zh:
        return problem.message_zh
    key = f"rules.error.{problem.code}"
    template = t(key, lang)
    if template == key:
        return problem.message
    try:
        return template.format(**problem.values)
    except (KeyError, IndexError):
        return problem.message


def path_label(path: tuple[str | int, ...], lang: str) -> str:
    """Where a value is, in words: 此规则的白名单 · 第 1 条 · 金额低于（元）."""
    parts = [
        t("rules.row.title", lang, n=p + 1) if isinstance(p, int) else field_name(p, lang)
        for p in path
    ]
    return " · ".join(parts)


def field_name(name: str, lang: str) -> str:
    """A field's short name where its form label explains more than a path needs."""
    short = f"rules.short.{name}"
    text = t(short, lang)
    return t(f"rules.field.{name}", lang) if text == short else text


def problems_alert(rest: list[tuple[tuple[str | int, ...], str]], lang: str) -> Any:
    """The problems no single input is for (the rule as a whole, a whitelist entry)."""
    if not rest:
        return None
    items = [
        html.Li(f"{path_label(where, lang)}：{message}" if where else message)
        for where, message in rest
    ]
    return dmc.Alert(
        html.Ul(items, style={"margin": 0, "paddingLeft": "1.2em"}),
        title=t("rules.problems", lang),
        color=BAD,
        id="rules-problems-list",
    )


def dry_run_view(report: DryRunReport, days: int, lang: str) -> dmc.Stack:
    released = report.total("released")
    kept = report.total("held_now") - released
    figures = [
        ("released", released, GOOD if released else NEUTRAL),
        ("kept", kept, NEUTRAL),
        ("newly_held", report.total("newly_held"), BAD if report.total("newly_held") else NEUTRAL),
    ]
    cards = [
        dmc.Paper(
            [
                dmc.Text(t(f"rules.dry.{name}", lang), size="xs", c="dimmed"),
                dmc.Text(
                    number(value, lang),
                    fw=700,
                    size="xl",
                    c=colour,
                    id=f"rules-dry-{name.replace('_', '-')}",
                ),
            ],
            p="sm",
            miw=120,
        )
        for name, value, colour in figures
    ]
    breaches = t(
        "rules.dry.breaches_value",
        lang,
        now=number(report.total("breaches_now"), lang),
        proposed=number(report.total("breaches_proposed"), lang),
    )
    cards.append(
        dmc.Paper(
            [
                dmc.Text(t("rules.dry.breaches", lang), size="xs", c="dimmed"),
                dmc.Text(breaches, fw=700, size="xl", id="rules-dry-breaches"),
            ],
            p="sm",
            miw=120,
        )
    )
    title = t("rules.dry.title", lang, days=days, orders=number(report.total("orders"), lang))
    changed = any(
        c.released or c.newly_held or c.breaches_now != c.breaches_proposed for c in report.channels
    )
    body: list[Any] = [
        dmc.Text(title, fw=600),
        dmc.Group(cards, gap="sm"),
        _channel_table(report, lang)
        if changed
        else dmc.Text(t("rules.dry.no_change", lang), c="dimmed", size="sm"),
    ]
    return dmc.Stack(body, gap="sm", id="rules-dry-report")


def _channel_table(report: DryRunReport, lang: str) -> dmc.Table:
    columns = (
        "channel",
        "orders",
        "held_now",
        "held_proposed",
        "released",
        "newly_held",
        "breaches",
        "examples",
    )
    head = [t(f"rules.dry.col.{c}", lang) for c in columns]
    body = []
    # The channels the change touches first: on a store of many channels they are the news.
    ordered = sorted(report.channels, key=lambda c: (not (c.released or c.newly_held), c.channel))
    for c in ordered:
        examples = [
            *(_order_link(n, GOOD) for n in c.examples_released[:EXAMPLES]),
            *(_order_link(n, BAD) for n in c.examples_newly_held[:EXAMPLES]),
        ]
        body.append(
            [
                c.channel,
                number(c.orders, lang),
                number(c.held_now, lang),
                number(c.held_proposed, lang),
                number(c.released, lang),
                number(c.newly_held, lang),
                f"{c.breaches_now} → {c.breaches_proposed}",
                dmc.Group(examples, gap=6) if examples else "—",
            ]
        )
    return table(head, body, "rules-dry-channels", striped=True)


def _order_link(order_no: str, colour: str) -> dmc.Anchor:
    return dmc.Anchor(order_no, href=f"/orders/{order_no}", size="sm", c=colour, ff="monospace")


def too_large_view(exc: DryRunTooLarge, lang: str) -> dmc.Alert:
    if exc.orders is not None:
        key = "rules.dry.too_large_more" if exc.more else "rules.dry.too_large"
        head = t(key, lang, days=exc.days, orders=number(exc.orders, lang))
    else:
        head = t("rules.dry.too_large_unknown", lang, days=exc.days)
    offer: Any
    if exc.suggested_days:
        offer = dmc.Button(
            t("rules.dry.shorter", lang, days=exc.suggested_days),
            id={"role": "rules-dry-shorter", "days": exc.suggested_days},
            variant="light",
            size="xs",
            n_clicks=0,
        )
    else:
        offer = dmc.Text(t("rules.dry.no_shorter", lang), size="sm")
    return dmc.Alert(
        [dmc.Text(head), html.Div(offer, style={"marginTop": 8})],
        color="orange",
        id="rules-dry-too-large",
    )


def history_table(
    versions: list[RuleEntry], lang: str, zone: ZoneInfo, *, may_restore: bool
) -> Any:
    if not versions:
        return dmc.Text(t("rules.history.none", lang), c="dimmed", id="rules-history-none")
    newest = versions[-1].version
    columns = ("version", "at", "author", "reason", "state")
    head = [t(f"rules.history.col.{c}", lang) for c in columns] + ([""] if may_restore else [])
    body = []
    for e in reversed(versions):
        state = (
            t("rules.in_force" if e.active else "rules.retired", lang)
            if e.version == newest
            else ""
        )
        row: list[Any] = [
            f"v{e.version}",
            moment(e.at, zone, lang),
            e.author,
            e.reason or "—",
            state,
        ]
        if may_restore:
            row.append(
                dmc.Button(
                    t("rules.history.restore", lang),
                    id={"role": "rules-restore", "version": e.version},
                    variant="subtle",
                    size="xs",
                    n_clicks=0,
                )
                if e.version != newest
                else ""
            )
        body.append(row)
    return table(head, body, "rules-history", striped=True)


def diff_table(changes: list[BodyChange], older: int, newer: int, lang: str) -> Any:
    if not changes:
        return dmc.Text(t("rules.history.same", lang), c="dimmed", id="rules-diff")
    head = [t("rules.diff.col.field", lang), f"v{older}", f"v{newer}"]
    body = [
        [path_label(c.path, lang), _shown(c.path, c.before, lang), _shown(c.path, c.after, lang)]
        for c in changes
    ]
    return table(head, body, "rules-diff", withTableBorder=True)


def _shown(path: tuple[str | int, ...], value: Any, lang: str) -> str:
    """A body value as people read it."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return t(f"rules.choice.{'true' if value else 'false'}", lang)
    if isinstance(value, dict):
        return " · ".join(
            f"{t(f'rules.field.{k}', lang)} {_shown((*path, k), v, lang)}"
            for k, v in value.items()
            if v not in (None, [], {})
        )
    if isinstance(value, list):
        return ", ".join(_shown(path, v, lang) for v in value) or "—"
    name = next((p for p in reversed(path) if isinstance(p, str)), "")
    return choice_label(name, str(value), lang)


def when_text(at: datetime | None, zone: ZoneInfo) -> str:
    return f"{at.astimezone(zone):%H:%M}" if at else "?"
