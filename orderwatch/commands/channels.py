"""``channels``: the sales channels orderwatch syncs."""

from __future__ import annotations

from typing import Annotated

import typer

from ingest.channels.base import ChannelSettings
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
    """Register a sales channel."""
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
            settings=settings,
        )
    typer.echo(f"channel {name} ({platform}) added")
