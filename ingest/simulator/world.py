"""The simulated platforms' state: shops, a live order stream, listings and the ground truth.

Platform-neutral: an order has a lifecycle (unpaid → paid → shipped → delivered, or closed
before payment, or refunded before shipping) and an after-sales state; each protocol module
renders it in its platform's own fields. Time is the simulator's clock; the world is advanced
lazily to "now" before every request, so a test can drive it with a fake clock.

The stream has a daily and weekly rhythm (Asia/Shanghai evenings and weekends are busy, nights
are quiet), multi-line orders, each platform's payment methods (Xiaohongshu's and Douyin's
先用后付 buy now pay later among them), cancellations, refund requests and addresses that are
sometimes incomplete. Paused or sold-out listings get no orders.
"""

from __future__ import annotations

import heapq
import random
import threading
from bisect import bisect_left, bisect_right, insort
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from enum import StrEnum
from itertools import count

CHINA = timezone(timedelta(hours=8))
PLATFORMS = ("taobao", "tmall", "jd", "pdd", "douyin", "xiaohongshu")

# Relative order rate by hour of day (Asia/Shanghai) and by weekday (Monday first).
HOURLY = (
    0.35, 0.2, 0.1, 0.06, 0.05, 0.06, 0.15, 0.35, 0.6, 0.8, 1.0, 1.05,
    0.95, 0.85, 0.9, 0.95, 0.95, 0.9, 0.95, 1.15, 1.4, 1.6, 1.3, 0.7,
)  # fmt: skip
WEEKDAY = (0.95, 0.95, 1.0, 0.95, 1.0, 1.2, 1.25)
PAYMENT_METHODS: dict[str, tuple[str, ...]] = {
    "taobao": ("alipay",),
    "tmall": ("alipay",),
    "jd": ("wechat", "jd_pay", "cod"),
    "pdd": ("WEIXIN", "ALIPAY"),
    "douyin": ("wechat", "alipay", "douyin_pay", "buy_now_pay_later"),  # 先用后付 (pay_type 12)
    "xiaohongshu": ("wechat", "alipay", "buy_now_pay_later"),  # 先用后付
}
NAMES = ("张伟", "王芳", "李娜", "刘洋", "陈静", "杨磊", "赵敏", "黄强", "周婷", "吴昊")
PLACES = (
    ("上海市", "上海市", "浦东新区", "世纪大道100号"),
    ("浙江省", "杭州市", "余杭区", "文一西路969号"),
    ("广东省", "深圳市", "南山区", "科技园路1号"),
    ("北京市", "北京市", "朝阳区", "建国路88号"),
    ("四川省", "成都市", "武侯区", "天府大道中段500号"),
    ("湖北省", "武汉市", "洪山区", "珞喻路1037号"),
)
PRODUCTS = ("保温杯", "纸巾", "面膜", "蓝牙耳机", "运动鞋", "洗衣液", "咖啡豆", "数据线")


class Lifecycle(StrEnum):
    UNPAID = "unpaid"
    CLOSED_UNPAID = "closed_unpaid"
    """Closed before payment (timed out or withdrawn)."""
    PAID = "paid"
    SHIPPED = "shipped"
    DELIVERED = "delivered"
    CANCELLED = "cancelled"
    """Refunded in full before shipping; the trade closes."""


class Refund(StrEnum):
    NONE = "none"
    REQUESTED = "requested"
    REFUNDED = "refunded"


@dataclass(slots=True)
class Line:
    sku: str
    listing_id: str
    quantity: int
    unit_price: Decimal
    title: str


@dataclass(slots=True)
class SimOrder:
    platform: str
    order_id: str
    created: datetime
    modified: datetime
    lines: list[Line]
    payment_method: str
    buyer_name: str
    buyer_phone: str
    address: tuple[str, str, str, str]
    """Province, city, district, detail; any may be empty (incomplete addresses)."""
    lifecycle: Lifecycle = Lifecycle.UNPAID
    refund: Refund = Refund.NONE
    paid: datetime | None = None
    shipped: datetime | None = None
    finished: datetime | None = None
    waybill: str | None = None
    carrier: str | None = None
    memo_revision: int = 0
    """Bumped by "the buyer edited something" modifications that change no status."""
    scripted: bool = False
    """Placed by a scripted incident: paid, and never cancelled or refunded by the stream (the
    incident shows exactly the orders it names)."""

    @property
    def amount(self) -> Decimal:
        return sum((line.unit_price * line.quantity for line in self.lines), Decimal("0.00"))

    @property
    def ship_by(self) -> datetime:
        return (self.paid or self.created) + timedelta(hours=48)


@dataclass(slots=True)
class Listing:
    listing_id: str
    sku: str
    stock: int
    on_sale: bool = True


@dataclass(slots=True)
class Shop:
    """One platform's shop: orders indexed by modified and by created time."""

    platform: str
    orders: dict[str, SimOrder] = field(default_factory=dict)
    by_modified: list[tuple[datetime, str]] = field(default_factory=list)
    by_created: list[tuple[datetime, str]] = field(default_factory=list)
    listings: dict[str, Listing] = field(default_factory=dict)
    hidden: set[str] = field(default_factory=set)
    """Orders the incremental list leaves out (as real platforms occasionally do)."""
    listed: dict[tuple[datetime, datetime], list[str]] = field(default_factory=dict)
    """``modified_between`` answers until the next change: paging a window asks the same
    question once per page, and answering it afresh each time made big windows quadratic."""

    def add(self, order: SimOrder) -> None:
        self.listed.clear()
        self.orders[order.order_id] = order
        insort(self.by_modified, (order.modified, order.order_id))
        insort(self.by_created, (order.created, order.order_id))

    def touch(self, order: SimOrder, at: datetime) -> None:
        """Record a modification at ``at`` (never backwards; platforms keep whole seconds)."""
        at = max(at.replace(microsecond=0), order.modified)
        self.listed.clear()
        index = bisect_left(self.by_modified, (order.modified, order.order_id))
        del self.by_modified[index]
        order.modified = at
        insort(self.by_modified, (at, order.order_id))

    def modified_between(self, start: datetime, end: datetime) -> list[str]:
        """Ids modified in ``[start, end]``, newest first (the platforms' list order)."""
        if (start, end) not in self.listed:
            lo = bisect_left(self.by_modified, (start, ""))
            hi = bisect_right(self.by_modified, (end, "\uffff"))
            ids = [oid for _, oid in self.by_modified[lo:hi] if oid not in self.hidden]
            ids.reverse()
            self.listed[(start, end)] = ids
        return self.listed[(start, end)]

    def created_between(self, start: datetime, end: datetime) -> list[str]:
        lo = bisect_left(self.by_created, (start, ""))
        hi = bisect_right(self.by_created, (end, "\uffff"))
        ids = [oid for _, oid in self.by_created[lo:hi]]
        ids.reverse()
        return ids


@dataclass(frozen=True, slots=True)
class StreamSettings:
    orders_per_minute: float = 10.0
    """Average across the served platforms, before the daily and weekly rhythm."""
    unpaid_share: float = 0.15
    cancel_share: float = 0.04
    """Paid orders refunded before shipping."""
    refund_request_share: float = 0.05
    auto_ship_after: timedelta | None = None
    """Ship paid orders by themselves after this long (as if the seller used another tool)."""
    deliver_after: timedelta = timedelta(hours=30)
    incomplete_address_share: float = 0.03
    skus: int = 40


Clock = Callable[[], datetime]


def real_clock() -> datetime:
    return datetime.now(UTC)


class World:
    """Every simulated shop; thread-safe (the server and tests call in)."""

    def __init__(
        self,
        *,
        platforms: tuple[str, ...] = PLATFORMS,
        settings: StreamSettings | None = None,
        seed: int = 0,
        clock: Clock = real_clock,
        start: datetime | None = None,
    ) -> None:
        self.settings = settings or StreamSettings()
        self.random = random.Random(seed)
        self.clock = clock
        self.lock = threading.RLock()
        self.shops = {platform: Shop(platform) for platform in platforms}
        self.now = start or clock()
        self.frozen = False
        self._events: list[tuple[datetime, int, str, str, str]] = []
        self._sequence = count()
        self._ids = count(1)
        self._skus = [f"SKU-{n:04d}" for n in range(1, self.settings.skus + 1)]
        self._prices = {sku: Decimal(self.random.randrange(990, 29900)) / 100 for sku in self._skus}

    # --- time

    def freeze(self) -> None:
        """Stop the world: no new orders or changes from now on, whatever the clock says
        (write-back and listing calls still apply). Tests compare the store with it."""
        with self.lock:
            self.frozen = True

    def advance(self, to: datetime | None = None) -> None:
        """Generate every order and change up to ``to`` (default: the clock's now)."""
        with self.lock:
            target = to or self.clock()
            if self.frozen:
                self.now = max(self.now, target)
                return
            while True:
                arrival = self.now + self._next_gap()
                due = self._events[0][0] if self._events else None
                if due is not None and due <= min(arrival, target):
                    self._apply_next()
                    continue
                if arrival > target:
                    break
                self.now = arrival
                self._new_order(arrival)
            self.now = max(self.now, target)

    def _next_gap(self) -> timedelta:
        """Time to the next arrival: thinning of a Poisson process at the peak rate."""
        peak = self.settings.orders_per_minute * max(HOURLY) * max(WEEKDAY) / 60.0
        if peak <= 0:
            return timedelta(days=3650)
        moment, waited = self.now, 0.0
        while True:
            waited += self.random.expovariate(peak)
            local = (moment + timedelta(seconds=waited)).astimezone(CHINA)
            rate = HOURLY[local.hour] * WEEKDAY[local.weekday()]
            if self.random.random() * max(HOURLY) * max(WEEKDAY) <= rate:
                return timedelta(seconds=waited)

    def _schedule(self, at: datetime, platform: str, order_id: str, action: str) -> None:
        heapq.heappush(self._events, (at, next(self._sequence), platform, order_id, action))

    def _apply_next(self) -> None:
        due, _, platform, order_id, action = heapq.heappop(self._events)
        self.now = max(self.now, due)
        at = due.replace(microsecond=0)  # platforms keep whole seconds
        shop = self.shops[platform]
        order = shop.orders[order_id]
        ACTIONS[action](self, shop, order, at)

    # --- the stream

    def place(self, platform: str, at: datetime, *, payment_method: str) -> str | None:
        """One order on ``platform`` created at ``at`` and paid minutes later with
        ``payment_method`` (a scripted incident beside the random stream); its id, or ``None``
        when everything the shop sells is paused or sold out."""
        with self.lock:
            return self._add_order(at, platform, payment_method, scripted=True)

    def _new_order(self, arrival: datetime) -> None:
        platform = self.random.choice(tuple(self.shops))
        self._add_order(arrival, platform, None, scripted=False)

    def _add_order(
        self, arrival: datetime, platform: str, method: str | None, *, scripted: bool
    ) -> str | None:
        """``method`` ``None``: one of the platform's, drawn after the lines (the stream's
        sequence of draws stays what it was)."""
        at = arrival.replace(microsecond=0)  # platforms keep whole seconds
        shop = self.shops[platform]
        lines = self._lines(shop)
        if not lines:
            return None
        order = SimOrder(
            platform=platform,
            order_id=self._order_id(platform, at),
            created=at,
            modified=at,
            lines=lines,
            payment_method=method or self.random.choice(PAYMENT_METHODS.get(platform, ("alipay",))),
            buyer_name=self.random.choice(NAMES),
            buyer_phone=f"1{self.random.randrange(3, 9)}{self.random.randrange(10**9):09d}",
            address=self._address(),
            scripted=scripted,
        )
        shop.add(order)
        pay_delay = timedelta(seconds=self.random.uniform(5, 300))
        if not scripted and self.random.random() < self.settings.unpaid_share:
            self._schedule(at + pay_delay * 20, platform, order.order_id, "close_or_pay")
        else:
            self._schedule(at + pay_delay, platform, order.order_id, "pay")
        return order.order_id

    def _lines(self, shop: Shop) -> list[Line]:
        lines: list[Line] = []
        wanted = min(len(self._skus), self.random.choice((1, 1, 1, 2, 2, 3)))
        for sku in self.random.sample(self._skus, k=wanted):
            listing = shop.listings.get(listing_id_for(sku))
            quantity = self.random.choice((1, 1, 1, 2, 3))
            if listing is not None and (not listing.on_sale or listing.stock < quantity):
                continue
            if listing is not None:
                listing.stock -= quantity
            name = f"{PRODUCTS[int(sku[4:]) % len(PRODUCTS)]} {sku}"
            lines.append(Line(sku, listing_id_for(sku), quantity, self._prices[sku], name))
        return lines

    def _order_id(self, platform: str, at: datetime) -> str:
        n = next(self._ids)
        if platform == "pdd":
            return f"{at.astimezone(CHINA):%y%m%d}-{n:015d}"
        if platform == "xiaohongshu":
            return f"P{7_000_000_000_000_000 + n}"
        return str(3_000_000_000_000_000 + n)

    def _address(self) -> tuple[str, str, str, str]:
        province, city, district, detail = self.random.choice(PLACES)
        if self.random.random() < self.settings.incomplete_address_share:
            return (
                (province, "", "", "")
                if self.random.random() < 0.5
                else (province, city, district, "")
            )
        return province, city, district, detail

    # --- changes an order goes through

    def _pay(self, shop: Shop, order: SimOrder, at: datetime) -> None:
        order.lifecycle, order.paid = Lifecycle.PAID, at
        shop.touch(order, at)
        settings, roll = self.settings, self.random.random()
        # A scripted incident shows exactly the orders it names: none is cancelled or refunded.
        if order.scripted:
            roll = 1.0
        if roll < settings.cancel_share:
            self._schedule(at + timedelta(minutes=self.random.uniform(2, 90)), shop.platform,
                           order.order_id, "cancel")  # fmt: skip
        elif roll < settings.cancel_share + settings.refund_request_share:
            self._schedule(at + timedelta(minutes=self.random.uniform(5, 240)), shop.platform,
                           order.order_id, "request_refund")  # fmt: skip
        if settings.auto_ship_after is not None:
            jitter = timedelta(minutes=self.random.uniform(0, 60))
            self._schedule(at + settings.auto_ship_after + jitter, shop.platform,
                           order.order_id, "ship")  # fmt: skip

    def _close_or_pay(self, shop: Shop, order: SimOrder, at: datetime) -> None:
        if order.lifecycle is not Lifecycle.UNPAID:
            return
        if self.random.random() < 0.6:
            self._pay(shop, order, at)
        else:
            order.lifecycle = Lifecycle.CLOSED_UNPAID
            shop.touch(order, at)

    def _cancel(self, shop: Shop, order: SimOrder, at: datetime) -> None:
        if order.lifecycle is Lifecycle.PAID:
            order.lifecycle, order.refund, order.finished = Lifecycle.CANCELLED, Refund.REFUNDED, at
            shop.touch(order, at)

    def _request_refund(self, shop: Shop, order: SimOrder, at: datetime) -> None:
        if order.lifecycle in (Lifecycle.PAID, Lifecycle.SHIPPED) and order.refund is Refund.NONE:
            order.refund = Refund.REQUESTED
            shop.touch(order, at)

    def _auto_ship(self, shop: Shop, order: SimOrder, at: datetime) -> None:
        if order.lifecycle is Lifecycle.PAID:
            self.ship(shop, order, at, waybill=f"SIM{order.order_id[-10:]}", carrier="SF")

    def _deliver(self, shop: Shop, order: SimOrder, at: datetime) -> None:
        if order.lifecycle is Lifecycle.SHIPPED:
            order.lifecycle, order.finished = Lifecycle.DELIVERED, at
            shop.touch(order, at)

    def ship(
        self, shop: Shop, order: SimOrder, at: datetime, *, waybill: str, carrier: str
    ) -> None:
        order.lifecycle, order.shipped = Lifecycle.SHIPPED, at
        order.waybill, order.carrier = waybill, carrier
        shop.touch(order, at)
        self._schedule(at + self.settings.deliver_after, shop.platform, order.order_id, "deliver")

    # --- what clients and tests call (each under the lock)

    def touch_any(self, platform: str, start: datetime, end: datetime) -> str | None:
        """A buyer edits one order of the window right now (the "modified while paging"
        fault): its status stays, its modified time jumps out of the window."""
        with self.lock:
            shop = self.shops[platform]
            ids = shop.modified_between(start, end)
            if not ids:
                return None
            order = shop.orders[self.random.choice(ids)]
            order.memo_revision += 1
            shop.touch(order, self.now)
            return order.order_id

    def confirm_shipment(self, platform: str, order_id: str, waybill: str, carrier: str) -> str:
        """``ok``, ``unknown`` or ``not_shippable``; repeating a shipment is ``ok``."""
        with self.lock:
            shop = self.shops[platform]
            order = shop.orders.get(order_id)
            if order is None:
                return "unknown"
            if order.lifecycle is Lifecycle.SHIPPED and order.waybill == waybill:
                return "ok"
            if order.lifecycle is not Lifecycle.PAID:
                return "not_shippable"
            self.ship(
                shop, order, self.now.replace(microsecond=0), waybill=waybill, carrier=carrier
            )
            return "ok"

    def set_stock(self, platform: str, listing_id: str, quantity: int) -> None:
        with self.lock:
            self._listing(platform, listing_id).stock = quantity

    def set_on_sale(self, platform: str, listing_id: str, on_sale: bool) -> None:
        with self.lock:
            self._listing(platform, listing_id).on_sale = on_sale

    def _listing(self, platform: str, listing_id: str) -> Listing:
        listings = self.shops[platform].listings
        if listing_id not in listings:
            listings[listing_id] = Listing(listing_id, sku_for(listing_id), 0)
        return listings[listing_id]

    def hide(self, platform: str, order_id: str) -> None:
        """Leave ``order_id`` out of the incremental list (for reconciliation tests)."""
        with self.lock:
            self.shops[platform].hidden.add(order_id)
            self.shops[platform].listed.clear()

    def truth(self) -> Iterator[SimOrder]:
        with self.lock:
            orders = [o for shop in self.shops.values() for o in shop.orders.values()]
        yield from orders


def listing_id_for(sku: str) -> str:
    """The simulated platforms' item id of a SKU (a number, as platforms' item ids are)."""
    return str(500_000 + int(sku.removeprefix("SKU-")))


def sku_for(listing_id: str) -> str:
    item = listing_id.partition(":")[0]
    return f"SKU-{int(item) - 500_000:04d}" if item.isdigit() else item


ACTIONS: dict[str, Callable[[World, Shop, SimOrder, datetime], None]] = {
    "pay": World._pay,
    "close_or_pay": World._close_or_pay,
    "cancel": World._cancel,
    "request_refund": World._request_refund,
    "ship": World._auto_ship,
    "deliver": World._deliver,
}
