"""A per-container token bucket for Connect calls (StartTaskContact's quota is account-wide and low)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class TokenBucket:
    """``rate`` tokens per second, up to ``burst`` banked. Thread-safe; callers wait for their token."""

    def __init__(
        self,
        rate: float,
        burst: float | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.rate = rate
        self.capacity = burst if burst is not None else max(rate, 1.0)
        self._tokens = self.capacity
        self._clock = clock
        self._sleep = sleep
        self._updated = clock()
        self._lock = threading.Lock()

    def acquire(self, *, timeout: float) -> bool:
        """Take one token, waiting at most ``timeout`` seconds; False if it would take longer."""
        with self._lock:
            now = self._clock()
            self._tokens = min(self.capacity, self._tokens + (now - self._updated) * self.rate)
            self._updated = now
            wait = 0.0 if self._tokens >= 1 else (1 - self._tokens) / self.rate
            if wait > timeout:
                return False
            # Reserve the token now (the balance may go negative) so concurrent callers queue up fairly.
            self._tokens -= 1
        if wait > 0:
            self._sleep(wait)
        return True
