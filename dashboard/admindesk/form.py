"""The admin page's forms, each in its dialog: add a user, change a role, reset a password,
create a token; and the dialog that shows a new token's secret or a generated password once.

The rules are the store's (``store.people``: what a user name may be, the password's
strength, that names are unique, that a token has a scope); a refusal comes back with its
code, and ``problem`` puts it in words next to the field it is about. Secrets are
write-only: the password fields are cleared once sent, and what is shown once is cleared
from the page when its dialog closes.
"""

from __future__ import annotations

from typing import Any

import dash_mantine_components as dmc
from dash import Output, dcc

from dashboard.i18n import role_label, t
from store.errors import DomainError
from store.models import ROLES
from store.people import (
    MIN_PASSWORD_LENGTH,
    SCOPES,
    check_password,
    check_role,
    check_user_name,
)

PREFIX = "admin"
ADD_FIELDS = ("username", "display_name", "role", "password")
TOKEN_FIELDS = ("name", "scopes")
FIELD_OF = {
    "bad_user_name": "username",
    "bad_display_name": "display_name",
    "user_exists": "username",
    "unknown_role": "role",
    "weak_password": "password",
    "own_account": "role",
    "bad_token_name": "name",
    "token_exists": "name",
    "no_scopes": "scopes",
    "unknown_scope": "scopes",
}
"""The field a store refusal (by its code) is about; a form's first field otherwise."""


def fid(part: str) -> str:
    return f"{PREFIX}-{part}"


def _buttons(form: str) -> dmc.Group:
    return dmc.Group(
        [dmc.Button(id=fid(f"{form}-cancel"), variant="default"),
         dmc.Button(id=fid(f"{form}-submit"))],
        justify="flex-end",
    )  # fmt: skip


def _modal(form: str, children: list[Any]) -> dmc.Modal:
    return dmc.Modal(id=fid(f"{form}-modal"), opened=False, centered=True,
                     children=dmc.Stack([*children, _buttons(form)], gap="xs"))  # fmt: skip


def layouts() -> list[Any]:
    """Every form's dialog (closed), the stores naming whom a dialog is about, and the
    shown-once dialog."""
    return [
        dcc.Store(id=fid("role-user")),
        dcc.Store(id=fid("reset-user")),
        _modal("add", [
            dmc.TextInput(id=fid("add-username"), value="", required=True),
            dmc.TextInput(id=fid("add-display_name"), value=""),
            dmc.Select(id=fid("add-role"), data=[], value=None, required=True,
                       allowDeselect=False),
            dmc.PasswordInput(id=fid("add-password"), value="", required=True),
        ]),
        _modal("role", [
            dmc.Text(id=fid("role-text"), size="sm"),
            dmc.Select(id=fid("role-select"), data=[], value=None, allowDeselect=False),
        ]),
        _modal("reset", [
            dmc.Text(id=fid("reset-text"), size="sm"),
            dmc.PasswordInput(id=fid("reset-password"), value=""),
        ]),
        _modal("token", [
            dmc.TextInput(id=fid("token-name"), value="", required=True),
            dmc.CheckboxGroup(dmc.Stack([dmc.Checkbox(id=fid(f"scope-{n}"), value=scope)
                                         for n, scope in enumerate(SCOPES)], gap=6, mt=4),
                              id=fid("token-scopes"), value=[], withAsterisk=True),
        ]),
        once_layout(),
    ]  # fmt: skip


def once_layout() -> dmc.Modal:
    """Closed only by its button (not by Escape or a click beside it), which also clears
    the secret from the page."""
    return dmc.Modal(
        id=fid("once-modal"),
        opened=False,
        centered=True,
        size="lg",
        closeOnClickOutside=False,
        closeOnEscape=False,
        withCloseButton=False,
        children=dmc.Stack(
            [
                dmc.Text(id=fid("once-text"), size="sm"),
                dmc.Code(id=fid("once-secret"), block=True),
                dmc.Group(
                    [dmc.CopyButton(id=fid("once-copy"), value="", color="blue",
                                    copiedColor="teal", size="xs"),
                     dmc.Button(id=fid("once-close"), size="xs")],
                    justify="space-between",
                ),
            ],
            gap="sm",
        ),
    )  # fmt: skip


def label_outputs() -> list[Output]:
    return [
        Output(fid("add-modal"), "title"),
        *(Output(fid(f"add-{name}"), "label") for name in ADD_FIELDS),
        Output(fid("add-password"), "description"),
        Output(fid("add-role"), "data"),
        Output(fid("role-modal"), "title"),
        Output(fid("role-select"), "data"),
        Output(fid("reset-modal"), "title"),
        Output(fid("reset-password"), "label"),
        Output(fid("reset-password"), "description"),
        Output(fid("token-modal"), "title"),
        Output(fid("token-name"), "label"),
        Output(fid("token-scopes"), "label"),
        *(Output(fid(f"scope-{n}"), "label") for n in range(len(SCOPES))),
        *(Output(fid(f"{form}-cancel"), "children") for form in ("add", "role", "reset", "token")),
        *(Output(fid(f"{form}-submit"), "children") for form in ("add", "role", "reset", "token")),
        Output(fid("once-copy"), "children"),
        Output(fid("once-copy"), "copiedChildren"),
        Output(fid("once-close"), "children"),
    ]


def labels(lang: str) -> tuple[Any, ...]:
    hint = t("admin.add.password_hint", lang, n=MIN_PASSWORD_LENGTH)
    roles = role_options(lang)
    return (
        t("admin.add.title", lang),
        *(t(f"admin.add.{name}", lang) for name in ADD_FIELDS),
        hint,
        roles,
        t("admin.role.title", lang),
        roles,
        t("admin.reset.title", lang),
        t("admin.reset.password", lang),
        hint,
        t("admin.token.title", lang),
        t("admin.token.name", lang),
        t("admin.token.scopes", lang),
        *(t(f"admin.scope.{scope}", lang) for scope in SCOPES),
        *(t("orders.modal.cancel", lang),) * 4,
        *(t(f"admin.{form}.submit", lang) for form in ("add", "role", "reset", "token")),
        t("admin.once.copy", lang),
        t("admin.once.copied", lang),
        t("admin.once.close", lang),
    )


def role_options(lang: str) -> list[dict[str, str]]:
    return [{"value": role, "label": role_label(role, lang)} for role in ROLES]


def problem(exc: DomainError, fields: tuple[str, ...], lang: str, **names: str) -> dict[str, str]:
    """A store refusal as ``{field: words}``, on the field of ``fields`` it is about."""
    field = FIELD_OF.get(exc.code, fields[0])
    if field not in fields:
        field = fields[0]
    key = f"admin.error.{exc.code}"
    words = t(key, lang)
    if words == key:  # a refusal this page has no words for: the store's own
        return {field: exc.message}
    return {field: words.format(n=MIN_PASSWORD_LENGTH, **names)}


def errors(found: dict[str, str], fields: tuple[str, ...]) -> tuple[str | None, ...]:
    """Each field's error (``None``: none), in the order of ``fields``."""
    return tuple(found.get(field) for field in fields)


def missing(values: dict[str, Any], required: tuple[str, ...], lang: str) -> dict[str, str]:
    """``{field: "required"}`` for each required field left empty."""
    return {field: t("admin.error.required", lang) for field in required
            if not str(values.get(field) or "").strip()}  # fmt: skip


def new_user_problems(values: dict[str, Any], lang: str) -> dict[str, str]:
    """Every field of the add-user form the store would refuse, each with its words (the
    store checks again when it adds the user; a name taken meanwhile is refused there)."""
    found = missing(values, ("username", "role", "password"), lang)
    checks = (("username", check_user_name), ("role", check_role), ("password", check_password))
    for field, check in checks:
        if field in found:
            continue
        try:
            check(str(values[field]))
        except DomainError as exc:
            found |= problem(exc, ADD_FIELDS, lang)
    return found


def shown_once(title: str, body: str, secret: str) -> tuple[Any, ...]:
    """What ``once_outputs`` get to show ``secret`` once."""
    return True, title, body, secret, secret


def once_outputs() -> list[Output]:
    return [
        Output(fid("once-modal"), "opened", allow_duplicate=True),
        Output(fid("once-modal"), "title", allow_duplicate=True),
        Output(fid("once-text"), "children", allow_duplicate=True),
        Output(fid("once-secret"), "children", allow_duplicate=True),
        Output(fid("once-copy"), "value", allow_duplicate=True),
    ]
