"""What the API refuses before it reads a body (issue 14, findings 8 and 14): bodies over a
route's size limit, requests without a usable token, JSON sent as something else."""

from __future__ import annotations

import asyncio

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from dashboard import limits
from dashboard.api import create_api
from store.people import revoke_token
from tests.api.asgi_driver import post_in_chunks
from tests.api.floor import SHANGHAI, client, paid_order, release, stock, token

CHUNK = b"x" * (64 * 1024)
MALFORMED = '{"scan_id": "s1", "kind": '
SCAN = {"scan_id": "s1", "kind": "pick", "order_no": "OW0000000404", "sku": "SKU-1"}


def test_a_body_declared_over_the_limit_is_refused_before_a_byte_is_read(
    sessions: sessionmaker[Session],
) -> None:
    auth = token(sessions, "pda", "scans")
    api = create_api(sessions, zone=SHANGHAI)
    sixty_megabytes = [CHUNK] * 960
    headers = {**auth, "content-type": "application/json", "content-length": str(60 << 20)}

    sent = asyncio.run(post_in_chunks(api, "/v1/scans", sixty_megabytes, headers))

    assert (sent.status, sent.chunks_read) == (413, 0)
    assert b'"code":"body_too_large"' in sent.body
    assert str(limits.BATCH).encode() in sent.body


def test_a_streamed_body_is_refused_once_it_passes_the_limit(
    sessions: sessionmaker[Session],
) -> None:
    auth = token(sessions, "pda", "scans")
    api = create_api(sessions, zone=SHANGHAI)
    headers = {**auth, "content-type": "application/json", "transfer-encoding": "chunked"}

    sent = asyncio.run(post_in_chunks(api, "/v1/scans", [CHUNK] * 960, headers))

    assert sent.status == 413
    assert sent.chunks_read <= limits.BATCH // len(CHUNK) + 1


def test_an_unsigned_push_is_bounded_too(sessions: sessionmaker[Session]) -> None:
    api = create_api(sessions, zone=SHANGHAI)
    headers = {"content-type": "application/json", "transfer-encoding": "chunked"}

    sent = asyncio.run(post_in_chunks(api, "/v1/channels/dy/push", [CHUNK] * 960, headers))

    assert sent.status == 413
    assert sent.chunks_read <= limits.PUSH // len(CHUNK) + 1


def test_each_route_has_its_own_limit(sessions: sessionmaker[Session]) -> None:
    auth = token(sessions, "ops", "orders:act", "scans")
    api = TestClient(create_api(sessions, zone=SHANGHAI), raise_server_exceptions=False)
    note = "n" * (limits.API + 1)

    one_order = api.post("/v1/orders/OW0000000001/notes", json={"note": note}, headers=auth)
    batch = api.post("/v1/scans", json={"scans": [SCAN] * 1200}, headers=auth)

    assert (one_order.status_code, one_order.json()["code"]) == (413, "body_too_large")
    assert batch.status_code == 422  # within the batch limit: read, then judged (max 500)


@pytest.mark.parametrize(
    ("headers", "status", "code"),
    [
        ({}, 401, "missing_token"),
        ({"Authorization": "Basic abc"}, 401, "missing_token"),
        ({"Authorization": "Bearer owt_nope"}, 401, "invalid_token"),
    ],
)
@pytest.mark.parametrize("path", ["/v1/scans", "/v1/orders/actions", "/v1/inventory/receipts"])
def test_no_usable_token_is_refused_before_the_body_is_parsed(
    sessions: sessionmaker[Session], path: str, headers: dict[str, str], status: int, code: str
) -> None:
    api = client(sessions)

    response = api.post(
        path, content=MALFORMED, headers={**headers, "content-type": "application/json"}
    )

    assert (response.status_code, response.json()["code"]) == (status, code)
    assert response.headers["www-authenticate"].startswith("Bearer")


def test_a_token_without_the_scope_is_refused_before_the_body_is_parsed(
    sessions: sessionmaker[Session],
) -> None:
    reader = token(sessions, "bi", "orders:read")

    response = client(sessions).post(
        "/v1/scans", content=MALFORMED, headers={**reader, "content-type": "application/json"}
    )

    assert (response.status_code, response.json()["code"]) == (403, "missing_scope")


def test_a_revoked_token_is_refused_at_once_though_the_gate_remembers_it(
    sessions: sessionmaker[Session],
) -> None:
    api = client(sessions)
    stock(sessions, {"SKU-1": 5})
    order_no = paid_order(sessions, "T1", [("SKU-1", 2)])
    release(sessions)
    auth = token(sessions, "pda", "scans")
    scan = {**SCAN, "order_no": order_no}
    assert api.post("/v1/scans", json=scan, headers=auth).status_code == 200

    with sessions.begin() as session:
        revoke_token(session, "pda")
    again = api.post("/v1/scans", json={**scan, "scan_id": "s2"}, headers=auth)

    assert (again.status_code, again.json()["code"]) == (401, "invalid_token")


@pytest.mark.parametrize("media_type", ["text/plain", "application/x-www-form-urlencoded", None])
@pytest.mark.parametrize(
    ("path", "scope"), [("/v1/scans", "scans"), ("/v1/orders/actions", "orders:act")]
)
def test_json_sent_as_another_media_type_is_415(
    sessions: sessionmaker[Session], path: str, scope: str, media_type: str | None
) -> None:
    auth = token(sessions, "t", scope)
    headers = {**auth, **({"content-type": media_type} if media_type else {})}

    response = client(sessions).post(path, content=b'{"scans": []}', headers=headers)

    assert (response.status_code, response.json()["code"]) == (415, "unsupported_media_type")
    assert response.headers["content-type"] == "application/problem+json"


def test_json_with_a_charset_or_a_json_suffix_is_json(sessions: sessionmaker[Session]) -> None:
    auth = token(sessions, "t", "scans")
    api = client(sessions)

    for media_type in ("application/json; charset=utf-8", "application/merge-patch+json"):
        response = api.post(
            "/v1/scans", content=b'{"scans": []}', headers={**auth, "content-type": media_type}
        )
        assert response.status_code == 422  # read as JSON: an empty batch is refused
