"""The admin page's callbacks over HTTP: only admins are drawn the page and its link; an admin
adds a user (bad input refused beside its field, nothing written), changes a role, resets a
password and deactivates a user (each ending that user's sessions at once), and cannot do
either to themselves; creates a token whose secret is shown once and revokes it; every
callback forged by another role answers 403 and leaves a ``console.refused`` entry."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from store.db import session_factory
from store.models import AuditEntry, User
from store.people import authenticate, create_token, create_user, list_tokens, verify_token
from tests.dashboard.console_client import (
    SAME_SITE,
    callback_request,
    callback_spec,
    callback_spec_by_input,
    client_for,
    component_ids,
    id_text,
    prop_id,
    sign_in,
)

PICKER_PASSWORD = "picker-pass-9"


@pytest.fixture
def admin(sqlite_engine: Engine) -> Iterator[TestClient]:
    """A client signed in as ``lead``, an admin, and a user ``picker`` beside them."""
    with client_for(sqlite_engine, role="admin") as client:
        with session_factory(sqlite_engine).begin() as session:
            create_user(session, username="picker", role="supervisor", password=PICKER_PASSWORD)
        sign_in(client)
        yield client


def post(client: TestClient, spec: dict[str, Any], values: dict[str, Any]) -> Any:
    """The callback's outputs by id; a refusal as it came."""
    sent = client.post("/_dash-update-component", json=callback_request(spec, values))
    if sent.status_code != 200:
        return sent
    return sent.json()["response"]


def by_input(client: TestClient, input_id: str, values: dict[str, Any]) -> Any:
    return post(client, callback_spec_by_input(client, input_id), values)


def add_user(client: TestClient, **fields: Any) -> Any:
    values = {
        "admin-add-submit.n_clicks": 1,
        "admin-add-username.value": "packer",
        "admin-add-display_name.value": "赵六",
        "admin-add-role.value": "viewer",
        "admin-add-password.value": "packer-pass-9",
        "admin-refresh.data": 0,
        "shell-lang.data": "en",
    }
    values.update({f"admin-add-{k}.value": v for k, v in fields.items()})
    return by_input(client, "admin-add-submit", values)


def change_role(client: TestClient, username: str, role: str) -> Any:
    values = {
        "admin-role-submit.n_clicks": 1,
        "admin-role-user.data": username,
        "admin-role-select.value": role,
        "admin-refresh.data": 0,
        "shell-lang.data": "en",
    }
    return by_input(client, "admin-role-submit", values)


def reset_password(client: TestClient, username: str, typed: str = "") -> Any:
    values = {
        "admin-reset-submit.n_clicks": 1,
        "admin-reset-user.data": username,
        "admin-reset-password.value": typed,
        "shell-lang.data": "en",
    }
    return by_input(client, "admin-reset-submit", values)


def confirm(client: TestClient, action: str, name: str, note: str = "") -> Any:
    values = {
        "admin-dialog-confirm.n_clicks": 1,
        "admin-pending.data": {"action": action, "name": name},
        "admin-dialog-note.value": note,
        "admin-refresh.data": 0,
        "shell-lang.data": "en",
    }
    return by_input(client, "admin-dialog-confirm", values)


def create(client: TestClient, name: str, scopes: list[str], lang: str = "en") -> Any:
    values = {
        "admin-token-submit.n_clicks": 1,
        "admin-token-name.value": name,
        "admin-token-scopes.value": scopes,
        "admin-refresh.data": 0,
        "shell-lang.data": lang,
    }
    return by_input(client, "admin-token-submit", values)


def grid_rows(client: TestClient, grid: str) -> list[dict[str, Any]]:
    """The rows ``grid`` (``users``, ``tokens``) is given, by the callback that also draws
    its empty state."""
    spec = callback_spec(client, f"admin-{grid}-empty")
    values = {"shell-lang.data": "en", "admin-refresh.data": 1}
    rows: list[dict[str, Any]] = post(client, spec, values)[f"admin-{grid}-grid"]["rowData"]
    return rows


def audit(engine: Engine) -> list[tuple[str, str, str]]:
    """The audit log after the fixture's users were made."""
    with session_factory(engine)() as session:
        entries = session.scalars(
            select(AuditEntry).where(AuditEntry.action != "user.created").order_by(AuditEntry.id)
        )
        return [(e.actor, e.action, e.entity_id) for e in entries]


def users_made(engine: Engine) -> list[str]:
    with session_factory(engine)() as session:
        return list(session.scalars(select(User.username).order_by(User.username)))


def second_browser(client: TestClient) -> TestClient:
    """Another browser on the same console (the same process and its session cache)."""
    return TestClient(client.app, headers=SAME_SITE)


def page_ids(client: TestClient) -> list[Any]:
    spec = callback_spec(client, "_pages_content")
    values = {"_pages_location.pathname": "/admin", "_pages_location.search": ""}
    sent = client.post(
        "/_dash-update-component",
        json=callback_request(spec, values, changed="_pages_location.pathname"),
    )
    return component_ids(sent.json()["response"]["_pages_content"]["children"])


@pytest.mark.parametrize("role", ["viewer", "supervisor", "ops_supervisor", "admin"])
def test_only_an_admin_is_drawn_the_page_and_its_link(sqlite_engine: Engine, role: str) -> None:
    with client_for(sqlite_engine, role=role) as client:
        sign_in(client)
        shell = client.get("/_dash-layout").text
        ids = page_ids(client)
    admin = role == "admin"
    assert ("shell-nav-admin" in shell) is admin
    assert ("admin-users-grid" in ids, "admin-tokens-grid" in ids) == (admin, admin)
    assert ("admin-denied" in ids) is not admin


def test_bad_input_is_refused_beside_its_field_and_nothing_is_written(
    sqlite_engine: Engine, admin: TestClient
) -> None:
    taken = add_user(admin, username="picker")
    weak = add_user(admin, password="short")
    empty = add_user(admin, username=" ", role=None, password="")
    spaced = add_user(admin, username="two words")

    assert taken["admin-add-username"]["error"] == "The user picker exists already"
    assert weak["admin-add-password"]["error"] == "At least 8 characters"
    assert weak["admin-add-username"]["error"] is None
    assert [empty[f"admin-add-{f}"]["error"] for f in ("username", "role", "password")] == [
        "Required"
    ] * 3
    assert "no spaces" in spaced["admin-add-username"]["error"]
    assert "shell-toasts" not in taken  # the dialog stays open with the problems
    assert users_made(sqlite_engine) == ["lead", "picker"]
    assert audit(sqlite_engine) == []


def test_an_admin_adds_a_user_who_can_sign_in(sqlite_engine: Engine, admin: TestClient) -> None:
    added = add_user(admin)

    assert added["admin-add-modal"]["opened"] is False
    assert added["admin-add-password"]["value"] == ""
    assert "User packer added (Viewer)" in str(added["shell-toasts"])
    rows = {row["username"]: row for row in grid_rows(admin, "users")}
    assert (rows["packer"]["display_name"], rows["packer"]["role"]) == ("赵六", "Viewer")
    with session_factory(sqlite_engine)() as session:
        assert authenticate(session, "packer", "packer-pass-9") is not None
        (entry,) = session.scalars(select(AuditEntry).where(AuditEntry.entity_id == "packer"))
        assert (entry.actor, entry.action, entry.after) == (
            "lead",
            "user.created",
            {"role": "viewer"},
        )


def test_a_role_change_a_reset_and_a_deactivation_each_end_the_users_sessions(
    sqlite_engine: Engine, admin: TestClient
) -> None:
    picker = second_browser(admin)

    def signed_in_again() -> None:
        form = {"username": "picker", "password": PICKER_PASSWORD, "next": "/"}
        assert picker.post("/login", data=form, follow_redirects=False).status_code == 303
        assert picker.get("/_dash-layout").status_code == 200

    signed_in_again()
    changed = change_role(admin, "picker", "ops_supervisor")
    assert picker.get("/_dash-layout").status_code == 401
    assert "picker is Ops supervisor now" in str(changed["shell-toasts"])

    signed_in_again()
    typed = reset_password(admin, "picker", PICKER_PASSWORD + "x")
    assert picker.get("/_dash-layout").status_code == 401
    assert "admin-once-modal" not in typed  # a typed password is not shown back
    form = {"username": "picker", "password": PICKER_PASSWORD + "x", "next": "/"}
    assert picker.post("/login", data=form, follow_redirects=False).status_code == 303

    refused = confirm(admin, "deactivate", "picker", note="  ")
    assert refused["admin-dialog-error"]["children"] == "Give the reason"
    done = confirm(admin, "deactivate", "picker", note="left the company")
    assert "picker is deactivated" in str(done["shell-toasts"])
    assert picker.get("/_dash-layout").status_code == 401
    assert audit(sqlite_engine) == [
        ("lead", "user.role_changed", "picker"),
        ("lead", "user.password_changed", "picker"),
        ("lead", "user.deactivated", "picker"),
    ]
    with session_factory(sqlite_engine)() as session:
        (entry,) = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "user.deactivated")
        )
        assert entry.after == {"active": False, "reason": "left the company"}


def test_a_generated_password_is_shown_once_and_works(
    sqlite_engine: Engine, admin: TestClient
) -> None:
    reset = reset_password(admin, "picker")

    secret = reset["admin-once-secret"]["children"]
    assert reset["admin-once-modal"]["opened"] is True
    assert reset["admin-once-copy"]["value"] == secret and len(secret) >= 8
    with session_factory(sqlite_engine)() as session:
        assert authenticate(session, "picker", secret) is not None
    closed = by_input(admin, "admin-once-close", {"admin-once-close.n_clicks": 1})
    assert closed["admin-once-secret"]["children"] == ""
    assert closed["admin-once-copy"]["value"] == ""


def test_an_admin_cannot_deactivate_or_demote_themselves(
    sqlite_engine: Engine, admin: TestClient
) -> None:
    demoted = change_role(admin, "lead", "viewer")
    deactivated = confirm(admin, "deactivate", "lead", note="testing")

    words = "You cannot deactivate yourself or change your own role: ask another admin"
    assert demoted["admin-role-select"]["error"] == words
    assert deactivated["admin-dialog-error"]["children"] == words
    assert deactivated["admin-modal"]["opened"] is True
    assert audit(sqlite_engine) == []
    with session_factory(sqlite_engine)() as session:
        lead = session.scalars(select(User).where(User.username == "lead")).one()
        assert (lead.role, lead.is_active) == ("admin", True)


def test_a_token_is_shown_once_listed_by_its_prefix_and_revoked(
    sqlite_engine: Engine, admin: TestClient
) -> None:
    with session_factory(sqlite_engine).begin() as session:
        create_token(session, name="pda-01", scopes=["scans"])
    empty = create(admin, " ", [])
    taken = create(admin, "pda-01", ["scans"], lang="zh")
    assert empty["admin-token-name"]["error"] == "Required"
    assert empty["admin-token-scopes"]["error"] == "Choose at least one scope"
    assert taken["admin-token-name"]["error"] == "已有名为 pda-01 的令牌（包括已吊销的）"
    assert audit(sqlite_engine) == [("cli", "token.created", "pda-01")]

    made = create(admin, "pda-07", ["orders:read", "scans"])
    secret = made["admin-once-secret"]["children"]
    assert secret.startswith("owt_") and made["admin-once-modal"]["opened"] is True
    assert "Token pda-07 (orders:read, scans)" in made["admin-once-text"]["children"]
    listing = admin.post(
        "/_dash-update-component",
        json=callback_request(
            callback_spec(admin, "admin-tokens-empty"), {"shell-lang.data": "en"}
        ),
    )
    assert secret not in listing.text
    (row,) = [r for r in grid_rows(admin, "tokens") if r["name"] == "pda-07"]
    assert (row["prefix"], row["last_used"], row["state"]) == (secret[:10] + "…", "Never", "Live")

    revoked = confirm(admin, "revoke", "pda-07")
    assert "The token pda-07 is revoked" in str(revoked["shell-toasts"])
    with session_factory(sqlite_engine)() as session:
        assert verify_token(session, secret) is None
        assert [t.name for t in list_tokens(session) if t.revoked_at] == ["pda-07"]
    assert audit(sqlite_engine)[1:] == [
        ("lead", "token.created", "pda-07"),
        ("lead", "token.revoked", "pda-07"),
    ]


FORGED = [
    ("admin-add-submit", "admin.add_user", lambda c: add_user(c)),
    ("admin-role-submit", "admin.change_role", lambda c: change_role(c, "picker", "admin")),
    ("admin-reset-submit", "admin.reset_password", lambda c: reset_password(c, "picker")),
    ("admin-dialog-confirm", "admin.deactivate", lambda c: confirm(c, "deactivate", "picker", "x")),
    ("admin-dialog-confirm", "admin.revoke", lambda c: confirm(c, "revoke", "pda-01")),
    ("admin-token-submit", "admin.create_token", lambda c: create(c, "pda-99", ["scans"])),
]


@pytest.mark.parametrize(("trigger", "action", "send"), FORGED, ids=[f[1] for f in FORGED])
def test_a_forged_call_from_a_supervisor_is_refused_and_audited(
    sqlite_engine: Engine, trigger: str, action: str, send: Any
) -> None:
    with session_factory(sqlite_engine).begin() as session:
        create_user(session, username="picker", role="viewer", password=PICKER_PASSWORD)
        create_token(session, name="pda-01", scopes=["scans"])
    with client_for(sqlite_engine, role="supervisor") as client:
        sign_in(client)
        answer = send(client)
        listing = client.post(
            "/_dash-update-component",
            json=callback_request(callback_spec(client, "admin-users-empty"), {}),
        )

    assert answer.status_code == 403, trigger
    assert listing.status_code == 403
    assert audit(sqlite_engine) == [
        ("cli", "token.created", "pda-01"),
        ("lead", "console.refused", action),
        ("lead", "console.refused", "admin.users"),
    ]
    assert users_made(sqlite_engine) == ["lead", "picker"]
    with session_factory(sqlite_engine)() as session:
        picker = session.scalars(select(User).where(User.username == "picker")).one()
        assert (picker.role, picker.is_active) == ("viewer", True)
        assert authenticate(session, "picker", PICKER_PASSWORD) is not None
        assert [(t.name, t.revoked_at) for t in list_tokens(session)] == [("pda-01", None)]


def test_no_tokens_yet_is_said_and_the_users_export_to_csv(admin: TestClient) -> None:
    spec = callback_spec(admin, "admin-tokens-empty")
    empty = post(admin, spec, {"shell-lang.data": "en", "admin-refresh.data": 0})
    assert "No API tokens yet" in str(empty["admin-tokens-empty"]["children"])
    assert empty["admin-tokens-grid"]["style"] == {"display": "none"}

    shown = [r for r in grid_rows(admin, "users") if r["username"] == "picker"]
    button = {"grid": "admin-users-grid", "role": "admin-export"}
    values = {
        prop_id(button, "n_clicks"): 1,
        "admin-users-grid.virtualRowData": shown,  # what the grid shows, filtered
        "shell-lang.data": "zh",
    }
    sent = by_input(admin, id_text(button), values)  # the rows as shown, the header in zh
    download = sent["admin-download"]["data"]
    text = base64.b64decode(download["content"]).decode("utf-8")
    assert download["filename"].startswith("orderwatch-users-")
    assert text.splitlines() == ["\ufeff用户名,显示名,角色,状态,创建时间",
                                 f"picker,—,Supervisor,Active,{shown[0]['created']}"]  # fmt: skip
