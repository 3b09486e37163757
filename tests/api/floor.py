"""Helpers for the warehouse tests: stock, paid orders, tokens and an API client."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from dashboard.api import create_api
from ingest.release import ReleaseReport, release_paid_orders
from store.inventory import receive_stock
from store.models import WarehouseException
from store.orders import find_order
from store.people import create_token
from store.upsert import upsert_orders
from tests.factories import T0, add_channel, canonical

SHANGHAI = ZoneInfo("Asia/Shanghai")

WAREHOUSE = "SH-01"


def stock(sessions: sessionmaker[Session], lines: dict[str, int], receipt: str = "R0") -> None:
    with sessions.begin() as session:
        receive_stock(
            session, receipt_id=receipt, warehouse=WAREHOUSE, lines=lines, received_by="test"
        )


def paid_order(
    sessions: sessionmaker[Session],
    channel_order_id: str,
    items: list[tuple[str, int]],
    *,
    ship_in_hours: int = 24,
) -> str:
    """A paid order in SH-01 with ``(sku, quantity)`` lines; returns its order number."""
    order = canonical(
        channel_order_id,
        items=[{"sku": sku, "quantity": qty, "unit_price": "10.00"} for sku, qty in items],
        ship_by=T0 + timedelta(hours=ship_in_hours),
    )
    with sessions.begin() as session:
        upsert_orders(session, "tmall-main", [order])
        return find_order(session, "tmall-main", channel_order_id).order_no


def release(sessions: sessionmaker[Session], **kwargs: Any) -> ReleaseReport:
    with sessions.begin() as session:
        return release_paid_orders(session, at=T0 + timedelta(minutes=1), **kwargs)


def token(sessions: sessionmaker[Session], name: str, *scopes: str) -> dict[str, str]:
    with sessions.begin() as session:
        secret = create_token(session, name=name, scopes=list(scopes)).secret
    return {"Authorization": f"Bearer {secret}"}


def client(sessions: sessionmaker[Session]) -> TestClient:
    add_channel(sessions)
    return TestClient(create_api(sessions, zone=SHANGHAI), raise_server_exceptions=False)


def exception_codes(sessions: sessionmaker[Session]) -> list[str]:
    with sessions() as session:
        query = select(WarehouseException.code).order_by(WarehouseException.id)
        return list(session.scalars(query))


def at(minutes: int) -> str:
    return (T0 + timedelta(minutes=minutes)).isoformat()
