"""How every platform call is made: through a per-channel rate limiter, retried with backoff and
jitter (tenacity) when the error says a retry can help, waiting as long as a rate-limit answer
asks for."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from tenacity import RetryCallState, Retrying, retry_if_exception_type, stop_after_attempt
from tenacity.wait import wait_random_exponential

from ingest.channels.base import Guard, RateLimited, RetryableChannelError

T = TypeVar("T")
Sleep = Callable[[float], None]


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    attempts: int = 6
    """Tries per call, the first included."""
    initial_wait_s: float = 0.5
    max_wait_s: float = 30.0
    rate_limit_floor_s: float = 1.0
    """Least wait after a rate-limit answer that did not say how long."""
    requests_per_second: float | None = None
    """Per channel; ``None``: the channel's own limit (its settings, else its platform's
    documented default, ``ingest.channels.limits``)."""


class RateLimiter:
    """A token bucket: ``rate`` calls per second on average, bursts up to ``burst``."""

    def __init__(
        self,
        rate: float,
        *,
        burst: float | None = None,
        sleep: Sleep = time.sleep,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.rate = rate
        self.capacity = burst if burst is not None else max(1.0, rate)
        self.tokens = self.capacity
        self.sleep = sleep
        self.monotonic = monotonic
        self.updated = monotonic()
        self.lock = threading.Lock()

    def acquire(self) -> None:
        """Take one token, waiting for it if the bucket is empty."""
        with self.lock:
            now = self.monotonic()
            self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
            self.updated = now
            self.tokens -= 1
            wait = -self.tokens / self.rate if self.tokens < 0 else 0.0
        if wait > 0:
            self.sleep(wait)


class PlatformWait:
    """Tenacity wait: what the platform asked for (plus jitter), else exponential jitter."""

    def __init__(self, policy: RetryPolicy, rng: random.Random | None = None) -> None:
        self.policy = policy
        self.backoff = wait_random_exponential(
            multiplier=policy.initial_wait_s, max=policy.max_wait_s
        )
        self.random = rng or random.Random()

    def __call__(self, state: RetryCallState) -> float:
        error = state.outcome.exception() if state.outcome else None
        jitter = self.random.uniform(0, self.policy.initial_wait_s)
        if isinstance(error, RetryableChannelError) and error.retry_after is not None:
            return min(error.retry_after, self.policy.max_wait_s) + jitter
        wait = float(self.backoff(state))
        if isinstance(error, RateLimited):
            wait = max(wait, self.policy.rate_limit_floor_s + jitter)
        return wait


def make_guard(policy: RetryPolicy, limiter: RateLimiter, *, sleep: Sleep = time.sleep) -> Guard:
    """The guard ``ingest.channels`` connectors run each platform call through."""
    wait = PlatformWait(policy)

    def guard(call: Callable[[], T]) -> T:
        retrying = Retrying(
            retry=retry_if_exception_type(RetryableChannelError),
            stop=stop_after_attempt(policy.attempts),
            wait=wait,
            sleep=sleep,
            reraise=True,
        )
        for attempt in retrying:
            with attempt:
                limiter.acquire()
                return call()
        raise AssertionError("unreachable: tenacity reraises the last error")  # pragma: no cover

    return guard
