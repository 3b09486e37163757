"""``users`` and ``tokens``: who may use the console and the API."""

from __future__ import annotations

import json
import sys
from datetime import datetime
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from orderwatch.context import open_store
from orderwatch.settings import get_settings
from store.models import ApiToken
from store.people import (
    SCOPES,
    create_token,
    create_user,
    deactivate_user,
    list_tokens,
    revoke_token,
    set_password,
)

users = typer.Typer(no_args_is_help=True, help="Console users.")
tokens = typer.Typer(no_args_is_help=True, help="API tokens for handhelds and integrations.")


def register(app: typer.Typer) -> None:
    app.add_typer(users, name="users")
    app.add_typer(tokens, name="tokens")


@users.command("add")
def users_add(
    name: str,
    role: Annotated[str, typer.Option(help="viewer|supervisor|cs_lead|ops_supervisor|admin")],
    display_name: Annotated[str | None, typer.Option()] = None,
    password_stdin: Annotated[bool, typer.Option(help="Read the password from stdin")] = False,
) -> None:
    """Add a console user; the password is asked for (or read from stdin)."""
    password = _password(password_stdin)
    sessions = open_store(get_settings())
    with sessions.begin() as session:
        user = create_user(
            session, username=name, role=role, password=password, display_name=display_name
        )
        typer.echo(f"user {user.username} added with role {user.role}")


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return str(typer.prompt("password", hide_input=True, confirmation_prompt=True))


@users.command("passwd")
def users_passwd(
    name: str,
    password_stdin: Annotated[bool, typer.Option(help="Read the password from stdin")] = False,
) -> None:
    """Set a user's password (asked for, or read from stdin); audited."""
    password = _password(password_stdin)
    with open_store(get_settings()).begin() as session:
        set_password(session, name, password)
    typer.echo(f"password of {name} changed")


@users.command("deactivate")
def users_deactivate(name: str) -> None:
    """Stop a user from signing in; the account and its audit trail stay."""
    with open_store(get_settings()).begin() as session:
        deactivate_user(session, name)
    typer.echo(f"user {name} deactivated")


@tokens.command("list")
def tokens_list(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Every API token: name, prefix, scopes, when it was made and last used, revoked."""
    with open_store(get_settings())() as session:
        rows = [_token_row(token) for token in list_tokens(session)]
    if as_json:
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    table = Table("name", "prefix", "scopes", "created", "last used", "revoked")
    for row in rows:
        table.add_row(*(value or "—" for value in row.values()))
    Console().print(table)


def _token_row(token: ApiToken) -> dict[str, str | None]:
    def at(moment: datetime | None) -> str | None:
        return None if moment is None else moment.isoformat(timespec="seconds")

    return {
        "name": token.name,
        "prefix": token.prefix + "…",
        "scopes": ",".join(token.scopes),
        "created_at": at(token.created_at),
        "last_used_at": at(token.last_used_at),
        "revoked_at": at(token.revoked_at),
    }


@tokens.command("revoke")
def tokens_revoke(name: str) -> None:
    """Revoke an API token: every request with it is refused from now on; audited."""
    with open_store(get_settings()).begin() as session:
        revoke_token(session, name)
    typer.echo(f"token {name} revoked")


@tokens.command("create")
def tokens_create(
    name: str,
    scope: Annotated[list[str], typer.Option(help=f"Repeat for several: {', '.join(SCOPES)}")],
) -> None:
    """Create an API token; it is printed once and only its hash is kept."""
    sessions = open_store(get_settings())
    with sessions.begin() as session:
        issued = create_token(session, name=name, scopes=scope)
        scopes = ", ".join(issued.record.scopes)
    typer.echo(f"token {name} ({scopes}); store it now, it is not shown again:", err=True)
    typer.echo(issued.secret)
