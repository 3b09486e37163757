"""The one small interface every platform connector speaks, and what they share.

A connector lists the orders a channel changed in a time window page by page, fetches one
order, maps a platform order onto ``store.canonical.CanonicalOrder`` (with its after-sales
state), confirms a shipment with a waybill, and updates or pauses a listing. It never touches
the store: the sync engine (``ingest.sync``) decides what is written and when.

Errors are values with a stable code: the sync engine retries ``RetryableChannelError``s
(rate limits, a busy platform, a broken body, an unreachable host) with backoff and stops on the
others (an expired session, a refused signature), marking the channel unhealthy.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import math
import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any, ClassVar, Protocol, TypeVar

import httpx

from store.canonical import CanonicalOrder
from store.errors import DomainError, InvalidInput
from store.stages import Stage

RawOrder = dict[str, Any]
"""One order exactly as the platform sent it (kept for quarantine)."""

CHINA = timezone(timedelta(hours=8), "GMT+8")
"""The platforms' wall clock (China has no daylight saving time)."""

Clock = Callable[[], datetime]
T = TypeVar("T")


class Guard(Protocol):
    """Runs one platform call, e.g. rate-limited and retried (``ingest.sync``)."""

    def __call__(self, call: Callable[[], T]) -> T: ...


def direct(call: Callable[[], T]) -> T:
    """The guard that just calls."""
    return call()


def utcnow() -> datetime:
    return datetime.now(UTC)


# --- errors -------------------------------------------------------------------------------


class ChannelError(DomainError):
    """A platform call failed; ``platform_code`` is the platform's own code when it sent one."""

    code = "channel_error"

    def __init__(self, message: str, *, platform_code: str | None = None) -> None:
        super().__init__(message)
        self.platform_code = platform_code


class RetryableChannelError(ChannelError):
    """Worth trying again after a pause."""

    code = "channel_retryable"
    retry_after: float | None = None
    """Seconds the platform asked us to wait, when it said."""


class RateLimited(RetryableChannelError):
    code = "rate_limited"

    def __init__(
        self, message: str, *, platform_code: str | None = None, retry_after: float | None = None
    ) -> None:
        super().__init__(message, platform_code=platform_code)
        self.retry_after = retry_after


class SystemBusy(RetryableChannelError):
    """The platform's side failed (5xx, "system busy", a remote timeout)."""

    code = "system_busy"


class ChannelUnreachable(RetryableChannelError):
    """No answer at all: connection refused, DNS, timeout."""

    code = "channel_unreachable"


class MalformedPayload(RetryableChannelError):
    """A body or an order that does not have the shape the platform documents."""

    code = "malformed_payload"


class SessionExpired(ChannelError):
    """The seller's access token is missing, invalid or expired: a person must re-authorise."""

    code = "session_expired"


class InvalidSignature(ChannelError):
    """The platform refused our signature: almost always a wrong app secret."""

    code = "invalid_signature"


class ChannelRefused(ChannelError):
    """Any other refusal (bad argument, missing permission): retrying will not help."""

    code = "channel_refused"


class UnknownCarrier(ChannelRefused):
    """The pickup's carrier has no code on the channel's platform: refused before sending, so
    no shipment goes out with a wrong carrier."""

    code = "unknown_carrier"


class QuotaExhausted(ChannelRefused):
    """A call quota that does not refill within a sync (a test app's daily quota): retrying
    now cannot help."""

    code = "quota_exhausted"


# --- configuration and results ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ChannelSettings:
    """Per-channel settings (``channels.settings``), each defaulting to the platform's."""

    rate_limit_per_s: float | None = None
    """Calls per second for this shop; ``None``: the platform's documented default
    (``ingest.channels.limits.RATE_LIMITS``)."""
    rate_limit_codes: frozenset[str] = frozenset()
    """Error codes this shop's platform answers a rate limit with, beyond those we know (JD's
    and Xiaohongshu's are not published: a shop that meets one can name it here)."""
    bnpl_payment_types: frozenset[str] = frozenset()
    """Xiaohongshu: ``paymentType`` values to read as 先用后付 (the docs document none)."""
    bnpl_order_tags: frozenset[str] = frozenset()
    """Xiaohongshu: ``orderTagList`` values to read as 先用后付."""

    @classmethod
    def from_row(cls, name: str, settings: Mapping[str, Any] | None) -> ChannelSettings:
        data = dict(settings or {})
        unknown = sorted(set(data) - {item.name for item in fields(cls)})
        if unknown:
            raise InvalidInput(f"channel {name!r}: unknown settings {', '.join(unknown)}")
        rate = data.get("rate_limit_per_s")
        if rate is not None and (isinstance(rate, bool) or not isinstance(rate, int | float)
                                 or rate <= 0):  # fmt: skip
            raise InvalidInput(f"channel {name!r}: rate_limit_per_s must be a positive number")
        return cls(
            rate_limit_per_s=float(rate) if rate is not None else None,
            rate_limit_codes=_texts(name, data, "rate_limit_codes"),
            bnpl_payment_types=_texts(name, data, "bnpl_payment_types"),
            bnpl_order_tags=_texts(name, data, "bnpl_order_tags"),
        )


def _texts(name: str, data: Mapping[str, Any], key: str) -> frozenset[str]:
    value = data.get(key) or []
    if not isinstance(value, list) or not all(isinstance(v, str | int) for v in value):
        raise InvalidInput(f"channel {name!r}: {key} must be a list of codes")
    return frozenset(str(v) for v in value)


@dataclass(frozen=True, slots=True)
class ChannelConfig:
    """What a connector needs to know about one shop (from ``channels``)."""

    name: str
    platform: str
    base_url: str
    app_key: str
    app_secret: str = field(repr=False)
    access_token: str | None = field(default=None, repr=False)
    shop_id: str | None = None
    settings: ChannelSettings = field(default_factory=ChannelSettings)

    @classmethod
    def from_row(
        cls,
        *,
        name: str,
        platform: str,
        base_url: str | None,
        credentials: Mapping[str, Any],
        shop_id: str | None,
        default_base_url: str,
        settings: Mapping[str, Any] | None = None,
    ) -> ChannelConfig:
        missing = [key for key in ("app_key", "app_secret") if not credentials.get(key)]
        if missing:
            raise InvalidInput(f"channel {name!r} has no {' or '.join(missing)} in credentials")
        token = credentials.get("access_token")
        return cls(
            name=name,
            platform=platform,
            base_url=(base_url or default_base_url).rstrip("/"),
            app_key=str(credentials["app_key"]),
            app_secret=str(credentials["app_secret"]),
            access_token=str(token) if token else None,
            shop_id=shop_id,
            settings=ChannelSettings.from_row(name, settings),
        )


class AfterSales(StrEnum):
    """After-sales state of an order across platforms (售后状态)."""

    NONE = "none"
    REQUESTED = "requested"
    """The buyer asked for a refund/return; the seller has not decided."""
    IN_PROGRESS = "in_progress"
    """Agreed and under way (goods coming back, refund being paid)."""
    REFUNDED = "refunded"
    REFUSED = "refused"
    CLOSED = "closed"
    """Withdrawn, expired or closed without a refund."""


@dataclass(frozen=True, slots=True)
class ChannelOrder:
    """A platform order mapped to our terms."""

    order: CanonicalOrder
    after_sales: AfterSales = AfterSales.NONE
    unexpected_ciphertext: tuple[str, ...] = ()
    """Buyer fields that came encrypted where the platform documents plain text: kept apart
    from the plain fields and counted in the channel's health."""


@dataclass(frozen=True, slots=True)
class CarrierEntry:
    """One line of a platform's carrier list: the code its shipment call wants, and the name."""

    code: str
    name: str


# --- the interface -------------------------------------------------------------------------


class Connector(ABC):
    """One platform's open API. Subclasses set the class attributes and the methods below."""

    platform: ClassVar[str]
    order_id_keys: ClassVar[tuple[str, ...]]
    """The fields holding the platform's order id in an order payload, first found wins."""
    default_base_url: ClassVar[str]
    max_window: ClassVar[timedelta]
    """Longest modified-time window the incremental list accepts."""
    clock_lag: ClassVar[timedelta] = timedelta(minutes=3)
    """How far behind the platform clock a window must end to be complete."""
    page_size: ClassVar[int] = 100
    decrypt_call: ClassVar[str | None] = None
    """The platform's call that decrypts buyer ciphertext (``None``: it sends none)."""

    def __init__(
        self,
        config: ChannelConfig,
        client: httpx.Client,
        *,
        clock: Clock = utcnow,
        guard: Guard = direct,
    ) -> None:
        self.config = config
        self.client = client
        self.clock = clock
        self.guard = guard
        """Wraps every platform call: the sync engine's rate limiter and retries."""

    # reading

    @abstractmethod
    def list_changed(self, start: datetime, end: datetime) -> Iterator[list[RawOrder]]:
        """Pages of the orders modified in ``[start, end]`` (one window ≤ ``max_window``),
        in the order that loses nothing when orders change while we page."""

    @abstractmethod
    def list_created(self, start: datetime, end: datetime) -> Iterator[list[RawOrder]]:
        """Pages of the orders created in ``[start, end]`` (for reconciliation)."""

    @abstractmethod
    def fetch_order(self, channel_order_id: str) -> RawOrder:
        """One order by the platform's id."""

    def order_id(self, raw: RawOrder) -> str | None:
        """The platform's order id in ``raw``, if it can be read at all."""
        try:
            return self.channel_order_id(raw)
        except MalformedPayload:
            return None

    def channel_order_id(self, raw: RawOrder) -> str:
        """The platform's order id in ``raw``; raises ``MalformedPayload`` without one."""
        return text_id(raw, *self.order_id_keys)

    @abstractmethod
    def to_channel_order(self, raw: RawOrder) -> ChannelOrder | None:
        """Map ``raw``; ``None`` for orders not yet ours (unpaid). Raises ``MalformedPayload``."""

    # writing

    @abstractmethod
    def confirm_shipment(self, channel_order_id: str, *, waybill: str, carrier: str) -> None:
        """Tell the platform the order left with ``waybill`` of ``carrier``."""

    def list_carriers(self) -> list[CarrierEntry] | None:
        """The platform's carrier list (``None``: the platform has no such call)."""
        return None

    def decrypt(self, channel_order_id: str, ciphertext: Mapping[str, str]) -> dict[str, str]:
        """Plain text of the buyer fields ``ciphertext`` (field → ciphertext) through the
        platform's own decrypt call; platforms that send no ciphertext have none."""
        raise ChannelRefused(f"{self.config.name}: {self.platform} has no decrypt call")

    @abstractmethod
    def update_stock(self, listing_id: str, quantity: int) -> None:
        """Set the listing's sellable quantity (full, not incremental)."""

    @abstractmethod
    def pause_listing(self, listing_id: str) -> None:
        """Take the listing off sale (下架)."""

    @abstractmethod
    def resume_listing(self, listing_id: str, quantity: int) -> None:
        """Put the listing back on sale (上架) with ``quantity`` to sell."""

    # shared

    def windows(self, start: datetime, end: datetime) -> Iterator[tuple[datetime, datetime]]:
        """``[start, end]`` cut into consecutive windows the platform accepts."""
        while start < end:
            stop = min(start + self.max_window, end)
            yield start, stop
            start = stop

    def latest_complete(self) -> datetime:
        """The newest moment a window may end at (platform clock minus the lag)."""
        return self.clock() - self.clock_lag

    def post(self, path: str, **kwargs: Any) -> Any:
        """POST to the gateway; transport and HTTP failures become channel errors, the body
        is returned parsed (platform envelopes are checked by the caller)."""
        url = self.config.base_url + path
        try:
            response = self.client.post(url, **kwargs)
        except httpx.TimeoutException as exc:
            raise ChannelUnreachable(f"{self.config.name}: {url} timed out") from exc
        except httpx.TransportError as exc:
            raise ChannelUnreachable(f"{self.config.name}: cannot reach {url}: {exc}") from exc
        if response.status_code == 429:
            raise RateLimited(f"{self.config.name}: HTTP 429", retry_after=_retry_after(response))
        if response.status_code >= 500:
            raise SystemBusy(f"{self.config.name}: HTTP {response.status_code} from {url}")
        try:
            return response.json()
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise MalformedPayload(
                f"{self.config.name}: HTTP {response.status_code} body is not JSON"
            ) from exc


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after", "")
    return float(value) if value.replace(".", "", 1).isdigit() else None


@dataclass(frozen=True, slots=True)
class PageResult:
    """One page of a list call: its orders and what the platform said about the rest."""

    orders: list[RawOrder]
    total: int | None = None
    has_next: bool | None = None


PageReader = Callable[[int, int, bool], PageResult]
"""``read(page_no, page_size, use_has_next)``."""


def read_backwards(
    read: PageReader, page_size: int, *, attempts: int = 3
) -> Iterator[list[RawOrder]]:
    """Pages from the last to the first, as TOP, PDD and Xiaohongshu advise for lists sorted
    by modified time: an order modified while we page leaves the window and moves the rest up,
    onto pages not read yet, so nothing is skipped (at worst one is read twice). The total comes
    from a one-row count call; ``has_next`` on the last page means the window grew meanwhile,
    and the window is read again."""
    for _attempt in range(attempts):
        total = read(1, 1, False).total
        if total is None:
            raise MalformedPayload("the list response has no total count")
        if total == 0:
            return
        last = math.ceil(total / page_size)
        grew = False
        for page in range(last, 0, -1):
            result = read(page, page_size, True)
            if page == last and result.has_next:
                grew = True
                break
            yield result.orders
        if not grew:
            return
    raise SystemBusy(f"the window kept growing while it was paged ({attempts} attempts)")


# --- signing helpers -----------------------------------------------------------------------


def sorted_concat(params: Mapping[str, str]) -> str:
    """``k1v1k2v2…`` over the keys in byte order, skipping empty values (TOP, PDD, JD)."""
    return "".join(f"{key}{params[key]}" for key in sorted(params) if key and params[key] != "")


def md5_upper(text: str) -> str:
    return hashlib.md5(text.encode(), usedforsecurity=False).hexdigest().upper()


def hmac_hex(secret: str, text: str, digest: str) -> str:
    return hmac.new(secret.encode(), text.encode(), digest).hexdigest()


# --- field parsers: every failure names the field ------------------------------------------


def need(raw: Mapping[str, Any], key: str) -> Any:
    value = raw.get(key)
    if value is None or value == "":
        raise MalformedPayload(f"{key}: is required")
    return value


def records(raw: Mapping[str, Any], key: str, where: str | None = None) -> list[dict[str, Any]]:
    """The non-empty list of objects at ``key`` (an order's lines); ``where`` names it in the
    error when it sits deeper than ``key``."""
    value = raw.get(key)
    if not isinstance(value, list) or not value or not all(isinstance(x, dict) for x in value):
        raise MalformedPayload(f"{where or key}: is required")
    return value


def text_id(raw: Mapping[str, Any], *keys: str) -> str:
    """The first present id field, as text (ids are never parsed as numbers)."""
    for key in keys:
        value = raw.get(key)
        if isinstance(value, str | int) and not isinstance(value, bool) and str(value):
            return str(value)
    raise MalformedPayload(f"{keys[0]}: is required")


def yuan(value: Any, key: str) -> Decimal:
    """A yuan amount given as ``"200.07"`` or ``200.07``."""
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        raise MalformedPayload(f"{key}: {value!r} is not an amount") from None
    if not amount.is_finite():
        raise MalformedPayload(f"{key}: {value!r} is not an amount")
    return amount.quantize(Decimal("0.01"))


def fen(value: Any, key: str) -> Decimal:
    """An amount in fen (分), an integer."""
    if isinstance(value, bool) or not isinstance(value, int | str) or not str(value).isdigit():
        raise MalformedPayload(f"{key}: {value!r} is not an amount in fen")
    return (Decimal(int(value)) / 100).quantize(Decimal("0.01"))


def gmt8(value: Any, key: str) -> datetime:
    """``yyyy-MM-dd HH:mm:ss`` on the platform's clock (GMT+8)."""
    text = str(value)
    try:
        if _CANONICAL_TIME.fullmatch(text):
            # The usual, zero-padded shape: ``fromisoformat`` reads exactly these fields, ten
            # times faster than ``strptime`` (a tenth of a sync's time went there).
            return datetime.fromisoformat(text).replace(tzinfo=CHINA)
        return datetime.strptime(text, "%Y-%m-%d %H:%M:%S").replace(tzinfo=CHINA)
    except ValueError:
        raise MalformedPayload(f"{key}: {value!r} is not yyyy-MM-dd HH:mm:ss") from None


_CANONICAL_TIME = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}")


def format_gmt8(moment: datetime) -> str:
    return moment.astimezone(CHINA).strftime("%Y-%m-%d %H:%M:%S")


def unix_seconds(value: Any, key: str, *, scale: int = 1) -> datetime:
    """UNIX time in seconds (``scale=1000``: milliseconds)."""
    if isinstance(value, bool) or not isinstance(value, int | str) or not str(value).isdigit():
        raise MalformedPayload(f"{key}: {value!r} is not a UNIX time")
    try:
        return datetime.fromtimestamp(int(value) / scale, UTC)
    except (OverflowError, OSError, ValueError):  # past year 9999, or beyond the C library
        raise MalformedPayload(
            f"{key}: {str(value)[:40]!r} is not a time orderwatch can read"
        ) from None


def optional(raw: Mapping[str, Any], key: str, parse: Callable[[Any, str], Any]) -> Any:
    value = raw.get(key)
    return None if value in (None, "", 0, "0") else parse(value, key)


def parse_canonical(data: dict[str, Any]) -> CanonicalOrder:
    """The canonical order, or ``MalformedPayload`` naming every bad field."""
    try:
        return CanonicalOrder.parse(data)
    except InvalidInput as exc:
        raise MalformedPayload(exc.message) from None


def map_status(table: Mapping[str, Stage | None], value: Any, key: str) -> Stage | None:
    """Look a platform status up in its table; an unknown value is a malformed order."""
    status = str(value)
    if status not in table:
        raise MalformedPayload(f"{key}: unknown status {status!r}")
    return table[status]


_DELIMITED = re.compile(r"([~#$])\1?[A-Za-z0-9+/=*]{12,}(?:[~#$].*)?[~#$]")
_BASE64 = re.compile(r"[A-Za-z0-9+/]{24,}={0,2}")


def looks_encrypted(value: Any) -> bool:
    """Platform ciphertext rather than a name, phone or address: Pinduoduo's ``~AgAAAA…~0~``,
    Douyin's ``##…#1##`` / ``$$…$1$$`` (an order in a public doc's order list example), or JD's
    bare base64 (``AAS/ZFJF…=`` in a captured ``consigneeInfo``)."""
    if not isinstance(value, str):
        return False
    if _DELIMITED.fullmatch(value):
        return True
    return bool(_BASE64.fullmatch(value)) and not value.isdigit()


def looks_masked(value: Any) -> bool:
    """A platform's masked copy (``136*******5``, ``张*三``): not the buyer's data either."""
    return isinstance(value, str) and "*" in value


def split_buyer(
    plain: Mapping[str, Any], encrypted: Mapping[str, Any] | None = None
) -> tuple[dict[str, Any], str | None, tuple[str, ...]]:
    """Buyer fields for the canonical order: ``plain`` (name/phone/address as the platform
    names them plain) with every ciphertext moved out, ``encrypted`` the documented encrypted
    fields. Returns the plain fields, the ciphertext as JSON text, and the plain fields that
    unexpectedly held ciphertext; masked copies (``136****5``) count as neither."""
    clear: dict[str, Any] = {}
    cipher: dict[str, str] = {}
    unexpected: list[str] = []
    for field_name, value in plain.items():
        clear[field_name] = None
        if looks_encrypted(value):
            cipher[field_name] = value
            unexpected.append(field_name)
        elif not looks_masked(value):
            clear[field_name] = value or None
    for field_name, value in (encrypted or {}).items():
        if value:
            cipher[field_name] = str(value)
    text = json.dumps(cipher, ensure_ascii=False, sort_keys=True) if cipher else None
    return clear, text, tuple(unexpected)


def join_address(*parts: Any) -> str | None:
    """An address from its parts; ``None`` when the platform sent none (incomplete ones stay)."""
    text = "".join(str(part) for part in parts if part)
    return text or None


_PRESSING = (
    AfterSales.REQUESTED,
    AfterSales.IN_PROGRESS,
    AfterSales.REFUSED,
    AfterSales.REFUNDED,
    AfterSales.CLOSED,
    AfterSales.NONE,
)


def most_pressing(states: Iterator[AfterSales] | list[AfterSales]) -> AfterSales:
    """An order's after-sales state from its lines': the one that needs a person soonest."""
    found = set(states)
    return next((state for state in _PRESSING if state in found), AfterSales.NONE)
