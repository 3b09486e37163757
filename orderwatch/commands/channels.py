"""``channels``: the sales channels orderwatch syncs."""

from __future__ import annotations

from typing import Annotated

import typer

from orderwatch.context import open_store
from orderwatch.settings import get_settings
from store.channels import create_channel

channels = typer.Typer(no_args_is_help=True, help="Sales channels.")


def register(app: typer.Typer) -> None:
    app.add_typer(channels, name="channels")


@channels.command("add")
def channels_add(
    name: str,
    platform: Annotated[str, typer.Option(help="taobao|tmall|jd|pdd|douyin|xiaohongshu")],
    base_url: Annotated[str | None, typer.Option()] = None,
    app_key: Annotated[str | None, typer.Option()] = None,
    app_secret: Annotated[str | None, typer.Option()] = None,
    access_token: Annotated[str | None, typer.Option()] = None,
    shop_id: Annotated[str | None, typer.Option()] = None,
    warehouse: Annotated[
        str | None, typer.Option(help="Where its orders ship from when they name no warehouse")
    ] = None,
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
            default_warehouse=warehouse,
            base_url=base_url,
            credentials=credentials,
        )
    typer.echo(f"channel {name} ({platform}) added")
