"""The ``orderwatch`` command line. Errors print one line and exit non-zero."""

from __future__ import annotations

import json
import sys
from typing import Annotated, NoReturn

import typer
from pydantic import ValidationError
from sqlalchemy.exc import OperationalError

from orderwatch.context import open_store
from orderwatch.settings import MissingSecretError, get_settings
from store.channels import create_channel
from store.db import make_engine
from store.errors import DomainError
from store.migrate import current_revision, head_revision, upgrade
from store.orders import find_order, get_order, order_document
from store.people import SCOPES, create_token, create_user

app = typer.Typer(no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False)
users = typer.Typer(no_args_is_help=True, help="Console users.")
tokens = typer.Typer(no_args_is_help=True, help="API tokens for handhelds and integrations.")
orders = typer.Typer(no_args_is_help=True, help="Look at orders.")
channels = typer.Typer(no_args_is_help=True, help="Sales channels.")
app.add_typer(users, name="users")
app.add_typer(tokens, name="tokens")
app.add_typer(orders, name="orders")
app.add_typer(channels, name="channels")


@app.command()
def migrate() -> None:
    """Bring the database to the latest schema (Alembic upgrade head)."""
    settings = get_settings()
    engine = make_engine(settings.database_url)
    before = current_revision(engine)
    upgrade(engine)
    head = head_revision()
    typer.echo(f"database at revision {head}" + ("" if before == head else f" (was {before})"))


@app.command()
def serve() -> None:
    """Run the console and the REST API (FastAPI + Dash) with uvicorn."""
    from orderwatch.processes import run_serve

    run_serve(get_settings())


@app.command()
def demo(
    orders_count: Annotated[
        int, typer.Option("--orders", min=0, help="Demo orders to create")
    ] = 400,
) -> None:
    """Everything in one process on the embedded SQLite store, with demo data and logins."""
    from orderwatch.processes import run_demo

    run_demo(get_settings(), orders_count=orders_count)


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


@orders.command("show")
def orders_show(
    order_no: Annotated[str | None, typer.Argument()] = None,
    channel: Annotated[str | None, typer.Option(help="Channel name")] = None,
    channel_order_id: Annotated[str | None, typer.Option(help="The channel's order id")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False,
    reveal_personal_data: Annotated[bool, typer.Option(help="Show buyer data unmasked")] = False,
) -> None:
    """One order with its lines and stage timeline, by ORDER_NO or by channel order id."""
    if (order_no is None) == (channel is None or channel_order_id is None):
        raise typer.BadParameter("give ORDER_NO, or both --channel and --channel-order-id")
    sessions = open_store(get_settings())
    with sessions() as session:
        if order_no is not None:
            order = get_order(session, order_no)
        else:
            order = find_order(session, str(channel), str(channel_order_id))
        document = order_document(session, order, reveal_personal_data=reveal_personal_data)
    if as_json:
        typer.echo(json.dumps(document, ensure_ascii=False, indent=2))
        return
    _print_order(document)


@channels.command("add")
def channels_add(
    name: str,
    platform: Annotated[str, typer.Option(help="taobao|tmall|jd|pdd|douyin|xiaohongshu")],
    base_url: Annotated[str | None, typer.Option()] = None,
    app_key: Annotated[str | None, typer.Option()] = None,
    app_secret: Annotated[str | None, typer.Option()] = None,
    access_token: Annotated[str | None, typer.Option()] = None,
    shop_id: Annotated[str | None, typer.Option()] = None,
) -> None:
    """Register a sales channel."""
    credentials = {
        key: value
        for key, value in {
            "app_key": app_key,
            "app_secret": app_secret,
            "access_token": access_token,
        }.items()
        if value is not None
    }
    sessions = open_store(get_settings())
    with sessions.begin() as session:
        create_channel(
            session,
            name=name,
            platform=platform,
            shop_id=shop_id,
            base_url=base_url,
            credentials=credentials,
        )
    typer.echo(f"channel {name} ({platform}) added")


def _print_order(document: dict[str, object]) -> None:
    typer.echo(
        f"{document['order_no']}  {document['channel']}/{document['channel_order_id']}  "
        f"{document['stage']}  ¥{document['amount']}"
    )
    for item in document["items"]:  # type: ignore[attr-defined]
        typer.echo(f"  {item['sku']} × {item['quantity']} @ ¥{item['unit_price']}")
    for event in document["timeline"]:  # type: ignore[attr-defined]
        actor = f" by {event['actor']}" if event["actor"] else ""
        typer.echo(
            f"  {event['at']}  {event['from'] or '—'} → {event['to']}  ({event['source']}{actor})"
        )


def main() -> NoReturn:
    """Entry point: runs the app and turns every expected failure into one line on stderr."""
    try:
        result = app(standalone_mode=False)
    except typer.Abort:
        _fail("aborted", 130)
    except typer.TyperException as exc:  # usage errors: unknown command, bad option, ...
        _fail(exc.format_message(), exc.exit_code)
    except DomainError as exc:
        _fail(exc.message, 1)
    except MissingSecretError as exc:
        _fail(str(exc), 1)
    except ValidationError as exc:
        _fail(f"invalid settings: {_first_error(exc)}", 2)
    except OperationalError as exc:
        _fail(f"cannot use the database: {str(exc.orig).strip().splitlines()[0]}", 1)
    sys.exit(result if isinstance(result, int) else 0)


def _first_error(exc: ValidationError) -> str:
    error = exc.errors(include_url=False)[0]
    return (
        f"ORDERWATCH_{str(error['loc'][0]).upper()}: {error['msg'].removeprefix('Value error, ')}"
    )


def _fail(message: str, code: int) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    sys.exit(code)
