"""Faults the simulator injects on demand, drawn per request."""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass
from enum import StrEnum


class Fault(StrEnum):
    SERVER_ERROR = "5xx"
    RATE_LIMIT = "rate_limit"
    BUSY = "busy"
    """The platform's own "system busy" error code."""
    SLOW = "slow"
    MALFORMED_BODY = "malformed_body"
    MALFORMED_ORDER = "malformed_order"
    """One order of a page has a field in the wrong format."""
    MODIFIED_WHILE_PAGING = "modified_while_paging"


READ_ONLY = frozenset({Fault.MALFORMED_ORDER, Fault.MODIFIED_WHILE_PAGING})
"""Faults that only make sense on list and fetch calls."""


@dataclass
class FaultPlan:
    """Inject a fault into ``rate`` of the requests, one kind drawn from ``kinds``."""

    rate: float = 0.0
    kinds: tuple[Fault, ...] = tuple(Fault)
    slow_seconds: float = 2.0
    seed: int = 0

    def __post_init__(self) -> None:
        if not 0 <= self.rate <= 1:
            raise ValueError(f"fault rate must be between 0 and 1, got {self.rate}")
        self._random = random.Random(self.seed)
        self._lock = threading.Lock()
        self.injected: dict[Fault, int] = dict.fromkeys(Fault, 0)

    def draw(self, *, reading: bool) -> Fault | None:
        """The fault for this request, if any (write calls never get the read-only ones)."""
        kinds = self.kinds if reading else tuple(k for k in self.kinds if k not in READ_ONLY)
        with self._lock:
            if not kinds or self._random.random() >= self.rate:
                return None
            fault = self._random.choice(kinds)
            self.injected[fault] += 1
            return fault
