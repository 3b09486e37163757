"""The rules editor (规则配置, ``/rules``): every rule kind with its version, author and reason; a
form per rule built from its model; a dry run of the change before it is saved; saving with a
reason as a new version; the history with a diff between any two versions and a restore.

Who may do what is checked on the server in every callback that reads or writes the rules:
supervisors and above see the rules and dry-run changes (``SEE_RULES``), admins save and
restore (``EDIT_RULES``); a forged save answers 403 and leaves an audit entry
(``dashboard.permissions.require_role``). The URL names the rule, so the flow health page links
straight to one, with a suggested whitelist entry to dry-run
(``/rules?kind=risk&name=bnpl-high-risk&suggest_channel=xhs-main``).
"""

from __future__ import annotations

from typing import Any

import dash
import dash_mantine_components as dmc
from dash import ALL, Input, Output, State, callback, ctx, dcc, html
from dash.exceptions import PreventUpdate
from starlette.concurrency import run_in_threadpool

from dashboard.auth import current_user
from dashboard.context import app_config, store_sessions
from dashboard.i18n import lang_of, t
from dashboard.permissions import EDIT_RULES, SEE_RULES, require_role
from dashboard.rules_editor import form, views, work
from dashboard.shell import LANG_STORE, TOASTS
from dashboard.theme import ACCENT
from dashboard.workbench.acting import toast
from rules.catalog import KINDS
from rules.dry_run_bounds import DryRunTooLarge
from rules.editing import ChangedMeanwhile, RuleRejected
from store.errors import DomainError

dash.register_page(__name__, path="/rules", title="orderwatch · rules")  # type: ignore[no-untyped-call]

TARGET = "rules-target"
OPENED = "rules-opened"
"""The rule as the editor opened it: kind, name and version (None: a new rule), the version a
save is checked against."""
CHANNELS = "rules-channels"
REFRESH = "rules-refresh"
AUTORUN = "rules-autorun"
PENDING = "rules-pending"
FIELDS = {"role": form.FIELD, "path": ALL}
SHORTER = {"role": "rules-dry-shorter", "days": ALL}


def layout(**query: Any) -> html.Section:
    target = work.Target.from_query(query)
    user = current_user()
    editing = user is not None and user.role in EDIT_RULES
    shown = {"display": "block" if editing else "none"}
    edit_panel = dmc.Stack(
        [
            html.Div(dmc.Skeleton(height=240), id="rules-form"),
            html.Div(id="rules-problems"),
            dmc.Divider(),
            dmc.Group(
                [
                    dmc.NumberInput(
                        id="rules-days", value=7, min=1, max=90, w=150, allowDecimal=False
                    ),
                    dmc.Button(id="rules-dry-run", n_clicks=0, variant="light"),
                    dmc.Button(id="rules-save", n_clicks=0, style=shown),
                    dmc.Text(
                        id="rules-view-only",
                        c="dimmed",
                        size="sm",
                        display="none" if editing else "block",
                    ),
                ],
                align="flex-end",
            ),
            html.Div(id="rules-dry-result"),
        ],
        gap="sm",
    )
    history_panel = dmc.Stack(
        [
            html.Div(id="rules-history-table"),
            dmc.Group(
                [
                    dmc.Select(id="rules-compare-from", data=[], w=120),
                    dmc.Select(id="rules-compare-to", data=[], w=120),
                ]
            ),
            html.Div(id="rules-diff-view"),
        ],
        gap="sm",
    )
    tabs = dmc.Tabs(
        [
            dmc.TabsList(
                [
                    dmc.TabsTab(id="rules-tab-edit", value="edit"),
                    dmc.TabsTab(id="rules-tab-history", value="history"),
                ]
            ),
            dmc.TabsPanel(edit_panel, value="edit", pt="sm"),
            dmc.TabsPanel(history_panel, value="history", pt="sm"),
        ],
        value="edit",
        id="rules-tabs",
    )
    editor = dmc.Card(
        [
            dmc.Stack(
                [
                    dmc.Title(id="rules-pick-title", order=4),
                    dmc.Text(id="rules-pick-body", c="dimmed"),
                ],
                id="rules-pick",
                display="none",
            ),
            dmc.Stack(
                [
                    html.Div(id="rules-head"),
                    html.Div(id="rules-notice"),
                    html.Div(id="rules-stale-box"),
                    tabs,
                ],
                id="rules-main",
                display="none",
                gap="sm",
            ),
            html.Div(id="rules-denied"),
        ]
    )
    return html.Section(
        [
            dcc.Store(id=TARGET, data=target.as_data()),
            dcc.Store(id=OPENED),
            dcc.Store(id=CHANNELS, data=[]),
            dcc.Store(id=REFRESH, data=0),
            dcc.Store(id=AUTORUN),
            dcc.Store(id=PENDING),
            dmc.Stack(
                [
                    dmc.Title(id="rules-title", order=2),
                    dmc.Text(id="rules-intro", c="dimmed", maw=860),
                    dmc.Grid(
                        [
                            dmc.GridCol(
                                dmc.Card(html.Div(dmc.Skeleton(height=320), id="rules-list")),
                                span={"base": 12, "md": 4},
                            ),
                            dmc.GridCol(editor, span={"base": 12, "md": 8}),
                        ]
                    ),
                ]
            ),
            _dialog(),
        ],
        id="rules-page",
    )


def _dialog() -> dmc.Modal:
    return dmc.Modal(
        dmc.Stack(
            [
                dmc.Text(id="rules-modal-text"),
                dmc.Textarea(id="rules-reason", value="", autosize=True, minRows=2),
                dmc.Text(id="rules-modal-error", c="red", size="sm"),
                dmc.Group(
                    [
                        dmc.Button(id="rules-modal-cancel", variant="default", n_clicks=0),
                        dmc.Button(id="rules-modal-confirm", n_clicks=0),
                    ],
                    justify="flex-end",
                ),
            ]
        ),
        id="rules-modal",
        opened=False,
        centered=True,
    )


@callback(
    Output("rules-title", "children"),
    Output("rules-intro", "children"),
    Output("rules-tab-edit", "children"),
    Output("rules-tab-history", "children"),
    Output("rules-days", "label"),
    Output("rules-dry-run", "children"),
    Output("rules-save", "children"),
    Output("rules-view-only", "children"),
    Output("rules-reason", "label"),
    Output("rules-modal-cancel", "children"),
    Output("rules-modal-confirm", "children"),
    Output("rules-compare-from", "label"),
    Output("rules-compare-to", "label"),
    Output("rules-pick-title", "children"),
    Output("rules-pick-body", "children"),
    Input(LANG_STORE, "data"),
)
def translate(lang: Any) -> tuple[str, ...]:
    keys = (
        "rules.title",
        "rules.intro",
        "rules.tab.edit",
        "rules.tab.history",
        "rules.dry.days",
        "rules.dry.run",
        "rules.save",
        "rules.view_only",
        "rules.reason",
        "rules.cancel",
        "rules.confirm",
        "rules.history.from",
        "rules.history.to",
        "rules.pick.title",
        "rules.pick.body",
    )
    return tuple(t(key, lang) for key in keys)


# ---- showing the rules and the one opened ------------------------------------------------


@callback(
    Output("rules-list", "children"),
    Output("rules-pick", "display"),
    Output("rules-main", "display"),
    Output("rules-denied", "children"),
    Output("rules-head", "children"),
    Output("rules-form", "children"),
    Output(OPENED, "data"),
    Output(CHANNELS, "data"),
    Output("rules-history-table", "children"),
    Output("rules-compare-from", "data"),
    Output("rules-compare-from", "value"),
    Output("rules-compare-to", "data"),
    Output("rules-compare-to", "value"),
    Output("rules-notice", "children"),
    Output("rules-dry-result", "children"),
    Output(AUTORUN, "data"),
    Input(LANG_STORE, "data"),
    Input(REFRESH, "data"),
    State(TARGET, "data"),
)
async def show(lang_data: Any, _refreshed: Any, target_data: work.TargetData) -> tuple[Any, ...]:
    lang = lang_of(lang_data)
    user = current_user()
    if user is None or user.role not in SEE_RULES:
        denied = dmc.Alert(t("rules.not_allowed", lang), color="gray", id="rules-not-allowed")
        return (None, "none", "none", denied, *(dash.no_update,) * 12)
    target = work.Target(**target_data)
    loaded = await run_in_threadpool(work.load, store_sessions(), target)
    zone = app_config().zone
    selected = (target.kind, target.name) if target.kind else None
    listing = views.rule_list(loaded.entries, selected, lang, zone, may_add=user.role in EDIT_RULES)
    if target.kind is None or loaded.missing:
        missing = (
            dmc.Alert(
                t("rules.unknown", lang, kind=target.kind, name=target.name),
                color="red",
                id="rules-unknown",
            )
            if loaded.missing
            else None
        )
        return (listing, "flex", "none", missing, *(dash.no_update,) * 12)
    kind = target.kind
    version = loaded.selected.version if loaded.selected else None
    opened = {"kind": kind, "name": target.name, "version": version}
    context = form.Context(
        lang, loaded.channels, frozenset() if target.new else frozenset({"name"})
    )
    fields = form.render(form.specs(KINDS[kind][1]), loaded.body, context)
    choices = [{"value": str(v.version), "label": f"v{v.version}"} for v in loaded.versions]
    older = choices[-2]["value"] if len(choices) > 1 else None
    newer = choices[-1]["value"] if choices else None
    may_restore = user.role in EDIT_RULES
    history = views.history_table(loaded.versions, lang, zone, may_restore=may_restore)
    hint = dmc.Text(t("rules.dry.empty", lang), c="dimmed", size="sm", id="rules-dry-hint")
    return (
        listing,
        "none",
        "flex",
        None,
        _head(loaded, target, lang, zone),
        dmc.Stack(fields, gap="sm"),
        opened,
        list(loaded.channels),
        history,
        choices,
        older,
        choices,
        newer,
        _suggestion(loaded, target, lang),
        hint,
        # Set only with a suggestion: any value set here starts the dry run callback.
        1 if loaded.suggested is not None else dash.no_update,
    )


def _head(loaded: work.Loaded, target: work.Target, lang: str, zone: Any) -> dmc.Stack:
    assert target.kind is not None
    if loaded.selected is None:
        title = f"{t(f'rules.kind.{target.kind}', lang)} · {t('rules.new', lang)}"
        return dmc.Stack([dmc.Title(title, order=3, id="rules-rule-title")], gap=0)
    entry = loaded.selected
    badge = dmc.Badge(
        f"v{entry.version} · {t('rules.in_force', lang)}",
        color=ACCENT,
        variant="light",
        tt="none",
        id="rules-rule-version",
    )
    return dmc.Stack(
        [
            dmc.Group(
                [
                    dmc.Title(
                        views.rule_title(entry.kind, entry.name, lang),
                        order=3,
                        id="rules-rule-title",
                    ),
                    badge,
                ],
                gap="sm",
            ),
            dmc.Text(
                views.meta_line(entry, lang, zone), c="dimmed", size="sm", id="rules-rule-meta"
            ),
        ],
        gap=2,
    )


def _suggestion(loaded: work.Loaded, target: work.Target, lang: str) -> Any:
    if not (target.suggest_channel or target.suggest_payment):
        return None
    entry = loaded.suggested
    if entry is None:
        return dmc.Alert(t("rules.no_suggestion", lang), color="gray", id="rules-suggested")
    text = t(
        "rules.suggested",
        lang,
        channel=entry.channel,
        method=entry.payment_method,
        below=entry.below,
    )
    return dmc.Alert(text, color="blue", id="rules-suggested")


@callback(
    Output("rules-form", "children", allow_duplicate=True),
    Input({"role": form.ROW_ADD, "path": ALL}, "n_clicks"),
    Input({"role": form.ROW_REMOVE, "path": ALL}, "n_clicks"),
    State(FIELDS, "value"),
    State(FIELDS, "id"),
    State(OPENED, "data"),
    State(CHANNELS, "data"),
    State(LANG_STORE, "data"),
    prevent_initial_call=True,
)
def change_rows(
    added: list[int | None],
    removed: list[int | None],
    values: list[Any],
    ids: list[dict[str, str]],
    opened: dict[str, Any] | None,
    channels: list[str],
    lang: Any,
) -> Any:
    trigger = ctx.triggered_id
    if not isinstance(trigger, dict) or not opened or not ctx.triggered[0]["value"]:
        raise PreventUpdate  # the buttons drawn, not clicked
    fields = form.specs(KINDS[opened["kind"]][1])
    body = form.collect(fields, _values(ids, values))
    path = str(trigger["path"])
    if trigger["role"] == form.ROW_ADD:
        body = form.with_row(fields, body, path)
    else:
        rows, _, index = path.rpartition(".")
        body = form.with_row(fields, body, rows, remove=int(index))
    locked = frozenset({"name"}) if opened.get("version") is not None else frozenset()
    context = form.Context(lang_of(lang), tuple(channels), locked)
    return dmc.Stack(form.render(fields, body, context), gap="sm")


def _values(ids: list[dict[str, str]], values: list[Any]) -> dict[str, Any]:
    return {str(i["path"]): v for i, v in zip(ids, values, strict=True)}


def _body(opened: dict[str, Any], ids: list[dict[str, str]], values: list[Any]) -> dict[str, Any]:
    return form.collect(form.specs(KINDS[opened["kind"]][1]), _values(ids, values))


def _marked(
    ids: list[dict[str, str]], exc: RuleRejected | None, lang: str
) -> tuple[list[str | None], Any]:
    """Each input's error and the alert for the rest (nothing to mark: all cleared)."""
    paths = [str(i["path"]) for i in ids]
    if exc is None:
        return [None] * len(paths), None
    problems = [(p.path, views.problem_text(p, lang)) for p in exc.problems]
    errors, rest = form.field_errors(paths, problems)
    return errors, views.problems_alert(rest, lang)


# ---- the dry run ---------------------------------------------------------------------------


@callback(
    Output(FIELDS, "error"),
    Output("rules-problems", "children"),
    Output("rules-dry-result", "children", allow_duplicate=True),
    Output("rules-days", "value"),
    Input("rules-dry-run", "n_clicks"),
    Input(AUTORUN, "data"),
    Input(SHORTER, "n_clicks"),
    State(FIELDS, "value"),
    State(FIELDS, "id"),
    State(OPENED, "data"),
    State("rules-days", "value"),
    State(LANG_STORE, "data"),
    prevent_initial_call=True,
    running=[(Output("rules-dry-run", "loading"), True, False)],
)
async def run_dry_run(
    clicks: int | None,
    autorun: Any,
    _shorter: list[int | None],
    values: list[Any],
    ids: list[dict[str, str]],
    opened: dict[str, Any] | None,
    days_value: Any,
    lang_data: Any,
) -> tuple[Any, ...]:
    trigger = ctx.triggered_id
    if not opened or not ctx.triggered[0]["value"]:
        raise PreventUpdate  # drawn, not asked for
    await require_role(SEE_RULES, action="rules.dry_run")
    lang = lang_of(lang_data)
    days = _days(days_value)
    if isinstance(trigger, dict) and trigger.get("role") == SHORTER["role"]:
        days = int(trigger["days"])
    body = _body(opened, ids, values)
    limits = app_config().dry_run_limits
    try:
        report = await run_in_threadpool(work.dry_run, store_sessions(), opened, body, days, limits)
    except RuleRejected as exc:
        errors, rest = _marked(ids, exc, lang)
        return errors, rest, None, days
    except DryRunTooLarge as exc:
        errors, rest = _marked(ids, None, lang)
        return errors, rest, views.too_large_view(exc, lang), days
    errors, rest = _marked(ids, None, lang)
    return errors, rest, views.dry_run_view(report, days, lang), days


def _days(value: Any) -> int:
    try:
        return min(90, max(1, int(value)))
    except (TypeError, ValueError):
        return 7


# ---- saving and restoring ------------------------------------------------------------------


@callback(
    Output(FIELDS, "error", allow_duplicate=True),
    Output("rules-problems", "children", allow_duplicate=True),
    Output("rules-modal", "opened"),
    Output("rules-modal", "title"),
    Output("rules-modal-text", "children"),
    Output(PENDING, "data"),
    Output("rules-reason", "value"),
    Output("rules-modal-error", "children"),
    Input("rules-save", "n_clicks"),
    Input({"role": "rules-restore", "version": ALL}, "n_clicks"),
    Input("rules-modal-cancel", "n_clicks"),
    State(FIELDS, "value"),
    State(FIELDS, "id"),
    State(OPENED, "data"),
    State(LANG_STORE, "data"),
    prevent_initial_call=True,
)
async def ask(
    _save: int | None,
    _restore: list[int | None],
    _cancel: int | None,
    values: list[Any],
    ids: list[dict[str, str]],
    opened: dict[str, Any] | None,
    lang_data: Any,
) -> tuple[Any, ...]:
    trigger = ctx.triggered_id
    keep = dash.no_update
    as_they_are = [keep] * len(ids)  # a wildcard output takes one value per input
    if not opened or not ctx.triggered[0]["value"] or trigger == "rules-modal-cancel":
        return as_they_are, keep, False, keep, keep, None, keep, keep
    lang = lang_of(lang_data)
    rule = views.rule_title(opened["kind"], opened["name"], lang)
    version = opened.get("version")
    if isinstance(trigger, dict):  # a restore button of the history
        old = int(trigger["version"])
        text = t("rules.restore.body", lang, rule=rule, old=old, new=(version or 0) + 1)
        pending = {"action": "restore", "version": old}
        return as_they_are, keep, True, t("rules.restore.title", lang), text, pending, "", ""
    await require_role(SEE_RULES, action="rules.check")  # reads the rules in force
    body = _body(opened, ids, values)
    try:  # checked before asking for a reason: the problems are marked, no dialog opens
        await run_in_threadpool(work.check, store_sessions(), opened, body)
    except RuleRejected as exc:
        errors, rest = _marked(ids, exc, lang)
        return errors, rest, False, keep, keep, None, keep, keep
    if version is None:
        rule = views.rule_title(opened["kind"], str(body.get("name") or ""), lang)
        text = t("rules.save.body_new", lang, rule=rule)
    else:
        text = t("rules.save.body", lang, rule=rule, old=version, new=version + 1)
    errors, rest = _marked(ids, None, lang)
    pending = {"action": "save"}
    return errors, rest, True, t("rules.save.title", lang), text, pending, "", ""


@callback(
    Output(TOASTS, "sendNotifications", allow_duplicate=True),
    Output("rules-modal", "opened", allow_duplicate=True),
    Output("rules-modal-error", "children", allow_duplicate=True),
    Output(FIELDS, "error", allow_duplicate=True),
    Output("rules-problems", "children", allow_duplicate=True),
    Output("rules-stale-box", "children"),
    Output(REFRESH, "data"),
    Output(TARGET, "data"),
    Input("rules-modal-confirm", "n_clicks"),
    State(PENDING, "data"),
    State(FIELDS, "value"),
    State(FIELDS, "id"),
    State(OPENED, "data"),
    State("rules-reason", "value"),
    State(REFRESH, "data"),
    State(TARGET, "data"),
    State(LANG_STORE, "data"),
    prevent_initial_call=True,
)
async def confirm(
    clicks: int | None,
    pending: dict[str, Any] | None,
    values: list[Any],
    ids: list[dict[str, str]],
    opened: dict[str, Any] | None,
    reason: str | None,
    refreshed: int | None,
    target: dict[str, Any],
    lang_data: Any,
) -> tuple[Any, ...]:
    if not clicks or not pending or not opened:
        raise PreventUpdate  # the dialog drawn or closed, not confirmed
    action = "rules.restore" if pending.get("action") == "restore" else "rules.save"
    user = await require_role(EDIT_RULES, action=action)
    lang = lang_of(lang_data)
    zone = app_config().zone
    keep = dash.no_update
    as_they_are = [keep] * len(ids)  # a wildcard output takes one value per input
    body = _body(opened, ids, values)
    sessions = store_sessions()
    try:
        if pending.get("action") == "restore":
            saved = await run_in_threadpool(
                lambda: work.restore(
                    sessions,
                    opened,
                    int(pending["version"]),
                    author=user.username,
                    reason=reason or "",
                    zone=zone,
                )
            )
        else:
            saved = await run_in_threadpool(
                lambda: work.save(
                    sessions, opened, body, author=user.username, reason=reason or "", zone=zone
                )
            )
    except ChangedMeanwhile as exc:
        notice = await _stale_notice(exc, opened, lang)
        message = t("rules.failed", lang, reason=str(exc))
        return (
            toast("rules-result", message, lang, refused=True),
            False,
            "",
            as_they_are,
            None,
            notice,
            (refreshed or 0) + 1,
            keep,
        )
    except RuleRejected as exc:
        errors, rest = _marked(ids, exc, lang)
        failed = t("rules.failed", lang, reason=views.problem_text(exc.problems[0], lang))
        return keep, True, failed, errors, rest, keep, keep, keep
    except DomainError as exc:
        known = {"reason_required": "rules.reason_required", "unchanged": "rules.unchanged"}
        text = t(known[exc.code], lang) if exc.code in known else exc.message
        failed = t("rules.failed", lang, reason=text)
        return keep, True, failed, as_they_are, keep, keep, keep, keep
    rule = views.rule_title(saved.kind, saved.name, lang)
    if pending.get("action") == "restore":
        message = t(
            "rules.restored", lang, rule=rule, old=pending["version"], version=saved.version
        )
    else:
        message = t("rules.saved", lang, rule=rule, version=saved.version)
    if saved.review is not None:
        message += " " + t(
            "rules.review_result",
            lang,
            released=len(saved.review.released),
            held=len(saved.review.held),
        )
    # A new rule is now a saved one: the page goes on as that rule's editor.
    now = {
        **target,
        "name": saved.name,
        "new": False,
        "suggest_channel": None,
        "suggest_payment": None,
    }
    return (
        toast("rules-result", message, lang, refused=False),
        False,
        "",
        as_they_are,
        None,
        None,
        (refreshed or 0) + 1,
        now,
    )


async def _stale_notice(exc: ChangedMeanwhile, opened: dict[str, Any], lang: str) -> dmc.Alert:
    latest = exc.latest
    zone = app_config().zone
    text = t(
        "rules.stale",
        lang,
        author=latest.author,
        at=views.when_text(latest.at, zone),
        opened=exc.opened,
        version=latest.version,
    )
    parts: list[Any] = [dmc.Text(text, id="rules-stale-text")]
    if exc.opened >= 1:
        changes = await run_in_threadpool(
            work.compare, store_sessions(), opened, exc.opened, latest.version
        )
        parts += [
            dmc.Text(t("rules.stale.diff", lang), size="sm", fw=600),
            views.diff_table(changes, exc.opened, latest.version, lang),
        ]
    return dmc.Alert(dmc.Stack(parts, gap="xs"), color="orange", id="rules-stale")


# ---- the history's diff --------------------------------------------------------------------


@callback(
    Output("rules-diff-view", "children"),
    Input("rules-compare-from", "value"),
    Input("rules-compare-to", "value"),
    State(OPENED, "data"),
    State(LANG_STORE, "data"),
)
async def show_diff(
    older: str | None, newer: str | None, opened: dict[str, Any] | None, lang: Any
) -> Any:
    if not opened or not older or not newer:
        return None
    await require_role(SEE_RULES, action="rules.history")
    changes = await run_in_threadpool(
        work.compare, store_sessions(), opened, int(older), int(newer)
    )
    return views.diff_table(changes, int(older), int(newer), lang_of(lang))
