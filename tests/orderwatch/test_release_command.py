"""``orderwatch release`` through the real entry point."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from orderwatch.cli import main
from orderwatch.settings import get_settings
from store.orders import get_order
from tests.api.floor import paid_order, stock
from tests.factories import add_channel


def test_release_once(
    sqlite_engine: Engine,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    sessions: sessionmaker[Session] = sessionmaker(sqlite_engine)
    add_channel(sessions)
    stock(sessions, {"SKU-1": 1})
    ready, short = (paid_order(sessions, f"T{n}", [("SKU-1", 1)], ship_in_hours=n) for n in (1, 2))
    monkeypatch.setenv("ORDERWATCH_DATABASE_URL", sqlite_engine.url.render_as_string())
    monkeypatch.setattr("sys.argv", ["orderwatch", "release"])
    get_settings.cache_clear()
    with pytest.raises(SystemExit) as exited:
        main()
    out, err = capsys.readouterr()
    assert (exited.value.code, out.splitlines()[-1:]) == (0, ["released 1, held out of stock 1"]), (
        err
    )
    with sessions() as session:
        assert [get_order(session, n).stage for n in (ready, short)] == ["awaiting_pick", "on_hold"]
