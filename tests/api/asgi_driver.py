"""A request sent straight to an ASGI app, its body in chunks the test counts: what a test
client cannot show is how much of a body the app read before it answered."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from starlette.types import ASGIApp, Message


@dataclass
class Sent:
    status: int
    body: bytes
    chunks_read: int


async def post_in_chunks(
    app: ASGIApp, path: str, chunks: list[bytes], headers: dict[str, str]
) -> Sent:
    """POST ``chunks`` to ``app`` at ``path``; how many of them the app asked for."""
    read = 0
    answer: dict[str, Any] = {"status": 0, "body": b""}

    async def receive() -> Message:
        nonlocal read
        if read < len(chunks):
            read += 1
            return {
                "type": "http.request",
                "body": chunks[read - 1],
                "more_body": read < len(chunks),
            }
        return {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        if message["type"] == "http.response.start":
            answer["status"] = message["status"]
        elif message["type"] == "http.response.body":
            answer["body"] += message.get("body", b"")

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
        "state": {},
    }
    await app(scope, receive, send)
    return Sent(answer["status"], answer["body"], read)
