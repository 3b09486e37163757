"""``users`` and ``tokens``: who may use the console and the API."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from orderwatch.context import open_store
from orderwatch.settings import get_settings
from store.people import SCOPES, create_token, create_user

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
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = typer.prompt("password", hide_input=True, confirmation_prompt=True)
    sessions = open_store(get_settings())
    with sessions.begin() as session:
        user = create_user(
            session, username=name, role=role, password=password, display_name=display_name
        )
        typer.echo(f"user {user.username} added with role {user.role}")


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
