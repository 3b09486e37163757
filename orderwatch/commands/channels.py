"""``channels``: the sales channels orderwatch syncs."""

from __future__ import annotations

from typing import Annotated

import typer

from ingest.channels.base import ChannelSettings
from orderwatch.context import open_store
from orderwatch.secret_input import read_secret, refuse_on_command_line
from orderwatch.settings import get_settings
from store.channels import create_channel

channels = typer.Typer(no_args_is_help=True, help="Sales channels.")

APP_SECRET_ENV = "ORDERWATCH_CHANNEL_APP_SECRET"  # noqa: S105 - a variable's name
ACCESS_TOKEN_ENV = "ORDERWATCH_CHANNEL_ACCESS_TOKEN"  # noqa: S105 - a variable's name


def register(app: typer.Typer) -> None:
    app.add_typer(channels, name="channels")


@channels.command("add")
def channels_add(
    name: str,
    platform: Annotated[str, typer.Option(help="taobao|tmall|jd|pdd|douyin|xiaohongshu")],
    base_url: Annotated[str | None, typer.Option()] = None,
    app_key: Annotated[str | None, typer.Option()] = None,
    secrets_stdin: Annotated[
        bool,
        typer.Option(
            help="Read the app secret (first line) and the access token (second line, "
            "optional) from standard input"
        ),
    ] = False,
    app_secret: Annotated[str | None, typer.Option(hidden=True)] = None,
    access_token: Annotated[str | None, typer.Option(hidden=True)] = None,
    shop_id: Annotated[str | None, typer.Option()] = None,
    warehouse: Annotated[
        str | None, typer.Option(help="Where its orders ship from when they name no warehouse")
    ] = None,
    rate_limit: Annotated[
        float | None,
        typer.Option(help="Calls per second (default: the platform's documented default)"),
    ] = None,
    rate_limit_code: Annotated[
        list[str] | None,
        typer.Option(help="An error code the platform answers a rate limit with (repeatable)"),
    ] = None,
    bnpl_payment_type: Annotated[
        list[str] | None,
        typer.Option(help="Xiaohongshu: a paymentType to read as 先用后付 (repeatable)"),
    ] = None,
    bnpl_order_tag: Annotated[
        list[str] | None,
        typer.Option(help="Xiaohongshu: an orderTagList value to read as 先用后付 (repeatable)"),
    ] = None,
) -> None:
    """Register a sales channel. With --app-key, its app secret comes from
    ORDERWATCH_CHANNEL_APP_SECRET, standard input (--secrets-stdin) or a prompt, and the
    access token from ORDERWATCH_CHANNEL_ACCESS_TOKEN or stdin's second line; both are kept
    sealed."""
    settings: dict[str, object] = {
        key: value
        for key, value in {
            "rate_limit_per_s": rate_limit,
            "rate_limit_codes": rate_limit_code,
            "bnpl_payment_types": bnpl_payment_type,
            "bnpl_order_tags": bnpl_order_tag,
        }.items()
        if value is not None and value != []
    }
    ChannelSettings.from_row(name, settings)  # refused here, not at the first sync
    for given, option, env in ((app_secret, "--app-secret", APP_SECRET_ENV),
                               (access_token, "--access-token", ACCESS_TOKEN_ENV)):  # fmt: skip
        if given is not None:
            raise refuse_on_command_line(option, env=env, stdin_flag="--secrets-stdin")
    credentials: dict[str, str] = {}
    if app_key is not None:
        credentials["app_key"] = app_key
        secret = read_secret("app secret", env=APP_SECRET_ENV, stdin=secrets_stdin)
        token = read_secret(
            "access token", env=ACCESS_TOKEN_ENV, stdin=secrets_stdin, required=False
        )
        credentials |= {"app_secret": secret or ""} | ({"access_token": token} if token else {})
    sessions = open_store(get_settings())
    with sessions.begin() as session:
        create_channel(
            session,
            name=name,
            platform=platform,
            shop_id=shop_id,
            default_warehouse=warehouse,
            base_url=base_url,
            credentials=credentials,
            settings=settings,
        )
    typer.echo(f"channel {name} ({platform}) added")
