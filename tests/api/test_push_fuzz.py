"""A bounded fuzz run of the push endpoint (issue 14, "Done when"): arbitrary unsigned
bodies, and correctly signed pushes naming orders whose details the platform answers with
arbitrary field values (absurd times included), never answer 5xx; what cannot be read is
quarantined."""

from __future__ import annotations

import json
from typing import Any

import httpx
import respx
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy.orm import Session, sessionmaker

from dashboard.api import create_api
from tests.api.test_channel_push import BASE, SHANGHAI, detail, douyin_channel, signed, url
from tests.dashboard.test_callback_fuzz import JSON_VALUES, bounded

BOUNDED = bounded(5)
TIMES = st.one_of(
    st.integers(min_value=-(10**20), max_value=10**20),
    st.sampled_from(["99999999999999999999", "253402300800", "0", "-1", "1795000000"]),
    JSON_VALUES,
)
FIELDS = ("create_time", "pay_time", "update_time", "exp_ship_time", "pay_amount", "order_status")


def test_unsigned_or_garbled_pushes_are_never_a_server_error(
    sessions: sessionmaker[Session],
) -> None:
    channel = douyin_channel(sessions)
    api = TestClient(create_api(sessions, zone=SHANGHAI), raise_server_exceptions=False)

    @BOUNDED
    @given(
        body=st.binary(max_size=200) | JSON_VALUES.map(lambda v: json.dumps(v).encode()),
        headers=st.dictionaries(
            st.sampled_from(["app-id", "event-sign", "content-type"]),
            st.text(alphabet="abcdef0123456789k", max_size=40),
        ),
    )
    def call(body: bytes, headers: dict[str, str]) -> None:
        assert api.post(url(channel), content=body, headers=headers).status_code < 500

    call()


def test_signed_pushes_of_unreadable_orders_are_never_a_server_error(
    sessions: sessionmaker[Session],
) -> None:
    channel = douyin_channel(sessions)
    api = TestClient(create_api(sessions, zone=SHANGHAI), raise_server_exceptions=False)
    headers, body = signed(["111"])

    @BOUNDED
    @given(values=st.fixed_dictionaries({}, optional=dict.fromkeys(FIELDS, TIMES)))
    def call(values: dict[str, Any]) -> None:
        answer = detail("111", **values)
        with respx.mock(assert_all_called=False) as platform:
            platform.post(f"{BASE}/order/orderDetail").mock(
                return_value=httpx.Response(200, json=answer)
            )
            response = api.post(url(channel), content=body, headers=headers)
        assert response.status_code < 500, (values, response.text)

    call()
