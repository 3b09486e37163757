"""The ``orderwatch`` command line, run in-process through its real entry point."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import Engine, select, text

from store.db import session_factory
from store.migrate import describe, head_revisions
from store.models import ApiToken
from store.people import verify_token
from tests.conftest import Run
from tests.factories import add_channel, add_order


def _url(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def test_migrate_creates_then_confirms_schema(run: Run, tmp_path: Path) -> None:
    database = f"sqlite:///{tmp_path / 'fresh.db'}"
    heads = describe(head_revisions())
    assert run("migrate", database=database) == (
        0,
        f"database at revision {heads} (was none)\n",
        "",
    )
    assert run("migrate", database=database) == (0, f"database at revision {heads}\n", "")


def test_command_on_unmigrated_database_says_what_to_do(run: Run, tmp_path: Path) -> None:
    code, out, err = run("orders", "show", "OW1", database=f"sqlite:///{tmp_path / 'new.db'}")
    assert (code, out) == (1, "")
    assert err.startswith("error: the database sqlite:///")
    assert err.endswith(
        f"has no orderwatch schema (latest: {describe(head_revisions())}); "
        "run `orderwatch migrate` first\n"
    )


def test_users_add_and_refusals(run: Run, engine: Engine) -> None:
    database = _url(engine)
    added = run("users", "add", "alice", "--role", "supervisor", "--password-stdin",
                database=database, stdin="correct horse\n")  # fmt: skip
    again = run("users", "add", "alice", "--role", "supervisor", "--password-stdin",
                database=database, stdin="correct horse\n")  # fmt: skip
    bad_role = run("users", "add", "bob", "--role", "boss", "--password-stdin",
                   database=database, stdin="correct horse\n")  # fmt: skip
    short = run("users", "add", "carol", "--role", "viewer", "--password-stdin",
                database=database, stdin="short\n")  # fmt: skip
    assert added == (0, "user alice added with role supervisor\n", "")
    assert again == (1, "", "error: user 'alice' exists already\n")
    assert bad_role == (
        1,
        "",
        "error: unknown role 'boss'; known roles: viewer, supervisor, cs_lead, "
        "ops_supervisor, admin\n",
    )
    assert short == (1, "", "error: password must be at least 8 characters\n")


def test_tokens_create_prints_secret_once_and_stores_hash(run: Run, engine: Engine) -> None:
    code, out, err = run(
        "tokens", "create", "pda-07", "--scope", "scans", "--scope", "orders:read",
        database=_url(engine),
    )  # fmt: skip
    secret = out.strip()
    assert code == 0
    assert err == "token pda-07 (orders:read, scans); store it now, it is not shown again:\n"
    with session_factory(engine).begin() as session:
        stored = session.scalar(select(ApiToken))
        assert stored is not None
        assert secret not in (stored.token_hash, stored.prefix)
        found = verify_token(session, secret)
        assert found is not None
        assert (found.name, found.scopes) == ("pda-07", ["orders:read", "scans"])


def test_tokens_create_refuses_unknown_scope(run: Run, engine: Engine) -> None:
    code, out, err = run("tokens", "create", "x", "--scope", "root", database=_url(engine))
    assert (code, out) == (1, "")
    assert err.startswith("error: unknown scope root; known scopes: scans, orders:read")


def test_orders_show_json_masks_buyer_data(run: Run, engine: Engine) -> None:
    sessions = session_factory(engine)
    add_channel(sessions)
    order_no = add_order(sessions, "T-77")
    code, out, _err = run("orders", "show", order_no, "--json", database=_url(engine))
    document = json.loads(out)
    assert code == 0
    assert (document["order_no"], document["channel"], document["channel_order_id"]) == (
        order_no,
        "tmall-main",
        "T-77",
    )
    assert document["buyer"] == {
        "name": "张**",
        "phone": "138****5678",
        "address": "上海市浦东新****",
    }
    assert document["items"][0] | {} == {
        "line_no": 1,
        "sku": "SKU-1",
        "name": None,
        "quantity": 2,
        "picked_quantity": 0,
        "unit_price": "49.50",
    }
    assert [(e["from"], e["to"], e["source"]) for e in document["timeline"]] == [
        (None, "paid", "channel")
    ]


def test_orders_show_by_channel_id_and_unmasked(run: Run, engine: Engine) -> None:
    sessions = session_factory(engine)
    add_channel(sessions)
    order_no = add_order(sessions, "T-78")
    code, out, _err = run(
        "orders", "show", "--channel", "tmall-main", "--channel-order-id", "T-78", "--json",
        "--reveal-personal-data", database=_url(engine),
    )  # fmt: skip
    document = json.loads(out)
    assert code == 0
    assert document["order_no"] == order_no
    assert document["buyer"]["phone"] == "13812345678"


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (("orders", "show", "OW404"), 1, "error: unknown order 'OW404'\n"),
        (
            ("orders", "show", "--channel", "nowhere", "--channel-order-id", "1"),
            1,
            "error: unknown channel 'nowhere'; known channels: none\n",
        ),
        (
            ("orders", "show"),
            2,
            "error: Invalid value: give ORDER_NO, or both --channel and --channel-order-id\n",
        ),
        (("orders", "frobnicate"), 2, "error: No such command 'frobnicate'.\n"),
    ],
)
def test_errors_are_one_line(
    run: Run, sqlite_engine: Engine, args: tuple[str, ...], code: int, message: str
) -> None:
    assert run(*args, database=_url(sqlite_engine)) == (code, "", message)


def test_channels_add_and_duplicate(run: Run, engine: Engine) -> None:
    database = _url(engine)
    args = ("channels", "add", "xhs-main", "--platform", "xiaohongshu", "--app-key", "k1",
            "--secrets-stdin")  # fmt: skip
    added = run(*args, database=database, stdin="s1\n")
    assert added == (0, "channel xhs-main (xiaohongshu) added\n", "")
    again = run(*args, database=database, stdin="s1\n")
    assert again == (1, "", "error: channel 'xhs-main' exists already\n")
    unknown = run("channels", "add", "x", "--platform", "ebay", database=database)
    assert unknown[0] == 1
    assert unknown[2].startswith("error: unknown platform 'ebay'; known: taobao, tmall, jd")


def test_serve_refuses_production_without_secret(run: Run, sqlite_engine: Engine) -> None:
    code, out, err = run("serve", database=_url(sqlite_engine), mode="production")
    assert (code, out) == (1, "")
    assert err.startswith(
        "error: ORDERWATCH_SECRET_KEY is not set: production mode refuses to start without it"
    )


def test_bad_setting_is_named(run: Run, sqlite_engine: Engine) -> None:
    code, _out, err = run("migrate", database=_url(sqlite_engine), timezone="Mars/Olympus")
    assert (code, err) == (2, "error: invalid settings: ORDERWATCH_TIMEZONE: unknown time zone "
                              "'Mars/Olympus'\n")  # fmt: skip


def test_channels_add_takes_the_channels_settings(run: Run, engine: Engine) -> None:
    database = _url(engine)
    args = (
        "channels",
        "add",
        "xhs-bnpl",
        "--platform",
        "xiaohongshu",
        "--app-key",
        "k1",
        "--rate-limit",
        "80",
        "--bnpl-payment-type",
        "7",
        "--rate-limit-code",
        "-100",
    )
    assert run(*args, "--secrets-stdin", database=database, stdin="s1\n")[0] == 0
    with engine.connect() as connection:
        stored = connection.scalar(text("SELECT settings FROM channels WHERE name = 'xhs-bnpl'"))
    settings = json.loads(stored) if isinstance(stored, str) else stored
    assert settings == {"rate_limit_per_s": 80.0, "rate_limit_codes": ["-100"],
                        "bnpl_payment_types": ["7"]}  # fmt: skip
    bad = run("channels", "add", "x", "--platform", "jd", "--rate-limit", "0", database=database)
    assert bad == (1, "", "error: channel 'x': rate_limit_per_s must be a positive number\n")
