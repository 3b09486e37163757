"""Buyer personal data: masked by default, clear only through an audited reveal (SQLite and
PostgreSQL)."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session, sessionmaker

from store.audit import audit_trail
from store.errors import NotFound
from store.orders import get_order, order_document
from store.privacy import reveal_buyer
from tests.factories import add_channel, add_order


def test_the_document_is_masked_and_a_reveal_is_audited_without_the_values(
    sessions: sessionmaker[Session],
) -> None:
    add_channel(sessions)
    order_no = add_order(sessions)
    with sessions.begin() as session:
        masked = order_document(session, get_order(session, order_no))["buyer"]
        clear = reveal_buyer(session, order_no=order_no, actor="liu.yang", source="console")
    assert masked == {"name": "张**", "phone": "138****5678", "address": "上海市浦东新****"}
    assert clear == {
        "name": "张三丰",
        "phone": "13812345678",
        "address": "上海市浦东新区世纪大道100号",
    }
    with sessions() as session:
        (entry,) = audit_trail(session, entity_type="order", entity_id=order_no)
    assert (entry.actor, entry.action) == ("liu.yang", "order.buyer_revealed")
    assert entry.after == {"fields": ["name", "phone", "address"], "source": "console"}
    assert entry.before is None


def test_revealing_an_unknown_order_is_refused(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session, pytest.raises(NotFound, match="unknown order 'OW0'"):
        reveal_buyer(session, order_no="OW0", actor="liu.yang", source="console")
