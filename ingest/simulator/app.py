"""The simulator's HTTP face: every platform under ``/<platform>``, the truth under ``/_sim``.

``Simulator`` is a small ASGI app (Starlette); ``SimulatorServer`` runs it with uvicorn on a
loopback socket in a background thread, for tests, benchmarks and ``orderwatch demo``.
"""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from collections.abc import Mapping
from types import TracebackType
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request as HttpRequest
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ingest.simulator.faults import Fault, FaultPlan
from ingest.simulator.protocols import douyin, jd, pdd, taobao, xiaohongshu
from ingest.simulator.protocols.common import Credentials, PlatformApi, ProtocolError, Request
from ingest.simulator.world import SimOrder, World

SERVED = frozenset({"taobao", "tmall", "pdd", "jd", "douyin", "xiaohongshu"})
"""Platforms whose protocol the simulator speaks (tmall is Taobao's)."""
TRUTH_STATUS = {
    "taobao": taobao.truth_status,
    "tmall": taobao.truth_status,
    "pdd": pdd.truth_status,
    "jd": jd.truth_status,
    "douyin": douyin.truth_status,
    "xiaohongshu": xiaohongshu.truth_status,
}


def protocols_for(world: World, credentials: Credentials) -> dict[str, PlatformApi]:
    made: dict[str, PlatformApi] = {}
    for platform in world.shops:
        if platform in ("taobao", "tmall"):
            made[platform] = taobao.TopProtocol(world, platform, credentials)
        elif platform == "pdd":
            made[platform] = pdd.PddProtocol(world, credentials)
        elif platform == "jd":
            made[platform] = jd.JdProtocol(world, credentials)
        elif platform == "douyin":
            made[platform] = douyin.DouyinProtocol(world, credentials)
        elif platform == "xiaohongshu":
            made[platform] = xiaohongshu.XiaohongshuProtocol(world, credentials)
    return made


def truth_row(order: SimOrder) -> dict[str, str]:
    return {
        "platform": order.platform,
        "channel_order_id": order.order_id,
        "status": TRUTH_STATUS[order.platform](order),
        "modified": order.modified.isoformat(),
    }


class Simulator:
    """The ASGI app over one ``World``."""

    def __init__(
        self,
        world: World,
        *,
        faults: FaultPlan | None = None,
        credentials: Credentials | None = None,
    ) -> None:
        self.world = world
        self.faults = faults or FaultPlan()
        self.protocols = protocols_for(world, credentials or Credentials())
        self.app = Starlette(
            routes=[
                Route("/_sim/truth", self.truth, methods=["GET"]),
                Route("/_sim/listings", self.listings, methods=["GET"]),
                Route("/{platform}", self.platform, methods=["POST"]),
                Route("/{platform}/{path:path}", self.platform, methods=["POST"]),
            ]
        )

    async def truth(self, request: HttpRequest) -> Response:
        with self.world.lock:
            self.world.advance()
            rows = [truth_row(order) for order in self.world.truth() if order.platform in
                    self.protocols]  # fmt: skip
        return JSONResponse({"orders": rows})

    async def listings(self, request: HttpRequest) -> Response:
        with self.world.lock:
            rows = [
                {"platform": shop.platform, "listing_id": listing.listing_id, "sku": listing.sku,
                 "stock": listing.stock, "on_sale": listing.on_sale}
                for shop in self.world.shops.values()
                for listing in shop.listings.values()
            ]  # fmt: skip
        return JSONResponse({"listings": rows})

    async def platform(self, request: HttpRequest) -> Response:
        protocol = self.protocols.get(request.path_params["platform"])
        if protocol is None:
            return JSONResponse({"error": "no such platform"}, status_code=404)
        call = Request(
            path=request.path_params.get("path", ""),
            query=dict(request.query_params),
            body=await request.body(),
            headers={k.lower(): v for k, v in request.headers.items()},
        )
        params = protocol.params(call)
        fault = self.faults.draw(reading=protocol.is_read(params))
        if fault is Fault.SLOW:
            await asyncio.sleep(self.faults.slow_seconds)
        if fault is Fault.SERVER_ERROR:
            return Response("upstream error", status_code=502)
        status, answer = self._answer(protocol, params, fault)
        text = json.dumps(answer, ensure_ascii=False, separators=(",", ":"))
        if fault is Fault.MALFORMED_BODY:
            text = text[: len(text) // 2]
        return Response(text, status_code=status, media_type="application/json")

    def _answer(
        self, protocol: PlatformApi, params: Mapping[str, Any], fault: Fault | None
    ) -> tuple[int, dict[str, Any]]:
        with self.world.lock:
            self.world.advance()
            try:
                protocol.check(params)
                if fault is Fault.RATE_LIMIT:
                    return 200, protocol.rate_limited()
                if fault is Fault.BUSY:
                    return 200, protocol.busy()
                window = protocol.window(params)
                if fault is Fault.MODIFIED_WHILE_PAGING and window is not None:
                    self.world.touch_any(protocol.platform, *window)
                return 200, protocol.handle(params, corrupt=fault is Fault.MALFORMED_ORDER)
            except ProtocolError as refusal:
                return refusal.status, refusal.body


class SimulatorServer:
    """Serves a ``Simulator`` on 127.0.0.1 from a background thread (port 0: any free one)."""

    def __init__(self, simulator: Simulator, *, port: int = 0) -> None:
        self.simulator = simulator
        self.socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.socket.bind(("127.0.0.1", port))
        self.port: int = self.socket.getsockname()[1]
        config = uvicorn.Config(
            simulator.app, log_level="warning", lifespan="off", access_log=False
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": [self.socket]}, daemon=True
        )

    def base_url(self, platform: str) -> str:
        return f"http://127.0.0.1:{self.port}/{platform}"

    def start(self) -> SimulatorServer:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the platform simulator did not start")
            time.sleep(0.01)
        return self

    def serve_forever(self) -> None:
        """Serve in the calling thread until interrupted (``orderwatch simulate``)."""
        self.server.run(sockets=[self.socket])

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.socket.close()

    def __enter__(self) -> SimulatorServer:
        return self.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()
