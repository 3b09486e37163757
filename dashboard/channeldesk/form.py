"""The add-channel form: name, platform, shop, API address, warehouse, pull interval and the
platform's own credential fields (labelled as the platform names them; the secret ones are
password fields). What it sends is stored by ``store.channels.register_channel``; secrets are
written once and never shown again (the form clears them whatever the outcome)."""

from __future__ import annotations

from typing import Any

import dash_mantine_components as dmc
from dash import Output, State

from dashboard.i18n import t
from ingest.channels import CONNECTORS
from ingest.channels.credentials import CREDENTIAL_FIELDS

PREFIX = "channel-add"
SLOTS = ("app_key", "app_secret", "access_token")
FIELDS = ("name", "platform", "shop_id", "base_url", "default_warehouse", "interval")
PLATFORMS = tuple(p for p in CREDENTIAL_FIELDS if p in CONNECTORS)
DEFAULT_INTERVAL_MIN = 5
"""The article's default: pull every five minutes."""


def fid(part: str) -> str:
    return f"{PREFIX}-{part}"


def layout() -> dmc.Modal:
    """The form in its dialog (closed)."""
    inputs: list[Any] = [
        dmc.TextInput(id=fid("name"), value="", required=True),
        dmc.Select(id=fid("platform"), data=[{"value": p, "label": p} for p in PLATFORMS],
                   value=None, required=True, allowDeselect=False),
        dmc.TextInput(id=fid("shop_id"), value=""),
        dmc.TextInput(id=fid("base_url"), value=""),
        dmc.TextInput(id=fid("default_warehouse"), value=""),
        dmc.NumberInput(id=fid("interval"), value=DEFAULT_INTERVAL_MIN, min=1, max=1440),
        dmc.Divider(id=fid("credentials-title"), labelPosition="left"),
        dmc.TextInput(id=fid("cred-app_key"), value="", disabled=True),
        dmc.PasswordInput(id=fid("cred-app_secret"), value="", disabled=True),
        dmc.PasswordInput(id=fid("cred-access_token"), value="", disabled=True),
        dmc.Text(id=fid("secret-note"), size="xs", c="dimmed"),
        dmc.Text(id=fid("error"), c="red", size="sm"),
        dmc.Group(
            [dmc.Button(id=fid("cancel"), variant="default"), dmc.Button(id=fid("submit"))],
            justify="flex-end",
        ),
    ]  # fmt: skip
    return dmc.Modal(id=fid("modal"), opened=False, centered=True, size="lg",
                     children=dmc.Stack(inputs, gap="xs"))  # fmt: skip


def label_outputs() -> list[Output]:
    return [
        Output(fid("modal"), "title"),
        *(Output(fid(name), "label") for name in FIELDS),
        Output(fid("base_url"), "description"),
        Output(fid("credentials-title"), "label"),
        Output(fid("secret-note"), "children"),
        Output(fid("cancel"), "children"),
        Output(fid("submit"), "children"),
    ]


def labels(lang: str) -> tuple[Any, ...]:
    return (
        t("channel.add.title", lang),
        *(t(f"channel.add.{name}", lang) for name in FIELDS),
        t("channel.add.base_url_hint", lang),
        t("channel.add.credentials", lang),
        t("channel.add.secret_note", lang),
        t("orders.modal.cancel", lang),
        t("channel.add.submit", lang),
    )


def credential_outputs() -> list[Output]:
    """What the platform's choice decides: each credential field's label, required mark and
    whether it can be typed in yet."""
    return [
        *(Output(fid(f"cred-{slot}"), "label") for slot in SLOTS),
        *(Output(fid(f"cred-{slot}"), "required") for slot in SLOTS),
        *(Output(fid(f"cred-{slot}"), "disabled") for slot in SLOTS),
        Output(fid("base_url"), "placeholder"),
    ]


def credential_fields(platform: str | None, lang: str) -> tuple[Any, ...]:
    fields = {f.slot: f for f in CREDENTIAL_FIELDS.get(platform or "", ())}
    if not fields:
        hint = t("channel.add.choose_platform", lang)
        return (*(hint,) * 3, *(False,) * 3, *(True,) * 3, "")
    return (
        *(fields[slot].label for slot in SLOTS),
        *(fields[slot].required for slot in SLOTS),
        *(False,) * 3,
        CONNECTORS[platform or ""].default_base_url,
    )


def states() -> list[State]:
    """The form's values, in the order ``read`` takes them."""
    return [
        *(State(fid(name), "value") for name in FIELDS),
        *(State(fid(f"cred-{slot}"), "value") for slot in SLOTS),
    ]


def cleared() -> tuple[Any, ...]:
    """The values of every field of ``states`` for a new, empty form."""
    return ("", None, "", "", "", DEFAULT_INTERVAL_MIN, "", "", "")


def value_outputs() -> list[Output]:
    return [
        *(Output(fid(name), "value", allow_duplicate=True) for name in FIELDS),
        *(Output(fid(f"cred-{slot}"), "value", allow_duplicate=True) for slot in SLOTS),
    ]


def read(values: tuple[Any, ...], lang: str) -> tuple[dict[str, Any] | None, str]:
    """The form as ``register_channel``'s keywords, or ``None`` and what is missing."""
    name, platform, shop, url, warehouse, interval, *secrets = values
    if not (name or "").strip() or not platform:
        return None, t("channel.add.missing", lang)
    fields = {f.slot: f for f in CREDENTIAL_FIELDS.get(platform, ())}
    given = {slot: (value or "").strip() for slot, value in zip(SLOTS, secrets, strict=True)}
    missing = [fields[slot].label for slot in SLOTS if fields[slot].required and not given[slot]]
    if missing:
        return None, t("channel.add.missing_credentials", lang, fields=", ".join(missing))
    try:
        minutes = int(interval or DEFAULT_INTERVAL_MIN)
    except (TypeError, ValueError):
        minutes = 0
    return {
        "name": name.strip(),
        "platform": platform,
        "shop_id": (shop or "").strip() or None,
        "base_url": (url or "").strip() or None,
        "default_warehouse": (warehouse or "").strip() or None,
        "sync_interval_s": minutes * 60,
        "credentials": {slot: value for slot, value in given.items() if value},
    }, ""
