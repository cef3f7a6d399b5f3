"""The container's share of the account's Connect quota: an adaptive token bucket, and where to defer to.

StartTaskContact's quota (and the lifecycle APIs') is account-wide and low (2 requests per second, burst
5, by default), so the stack gives each container ``CONNECT_CALLS_PER_SECOND`` = its share
(``connectRequestsPerSecond`` / ``maxConcurrency``). The bucket:

- hands out tokens at the current rate, up to ``burst`` banked; a caller waits at most the bound it
  gives (``acquire``), never longer;
- backs off when Connect throttles anyway (another consumer of the same quota): the rate halves, at
  most once per ``DECREASE_INTERVAL_SECONDS``, down to ``FLOOR_FRACTION`` of the share; and recovers
  additively while no throttle comes, to the whole share in ``RECOVERY_SECONDS`` (AIMD);
- says how long a record that got no token should be deferred (``deferral_seconds``): each deferral
  takes the next free slot after the ones already given out, so deferred records come back at the rate
  the bucket can serve them, not all at once.

Thread-safe. Pure of AWS: the clock and the sleep are injected.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

# The longest a record that can be deferred waits for a call slot; past it, it is sent back to its queue
# with a delay instead (waiting is billed; a deferral costs one SQS message).
MAX_SLOT_WAIT_SECONDS = 0.5
DECREASE_FACTOR = 0.5
DECREASE_INTERVAL_SECONDS = 1.0
FLOOR_FRACTION = 0.05
RECOVERY_SECONDS = 10.0


class TokenBucket:
    """``rate`` tokens per second (the share), up to ``burst`` banked; adaptive below the share."""

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
        self.share = rate
        self.rate = rate
        self.capacity = burst if burst is not None else max(rate, 1.0)
        self._tokens = self.capacity
        self._clock = clock
        self._sleep = sleep
        self._updated = clock()
        self._last_decrease = float("-inf")
        self._next_deferred_slot = self._updated
        self._lock = threading.Lock()

    def acquire(self, *, timeout: float) -> bool:
        """Take one token, waiting at most ``timeout`` seconds; False (nothing taken) if it would take
        longer."""
        with self._lock:
            wait = self._wait_for_token()
            if wait > timeout:
                return False
            # Reserve the token now (the balance may go negative) so concurrent callers queue up fairly.
            self._tokens -= 1
        if wait > 0:
            self._sleep(wait)
        return True

    def available_within(self, timeout: float) -> bool:
        """Would ``acquire(timeout=timeout)`` get a token now? Nothing is taken."""
        with self._lock:
            return self._wait_for_token() <= timeout

    def deferral_seconds(self) -> float:
        """How long to defer a record that got no token: until the next slot not yet promised to an
        earlier deferral (that slot is promised to this one)."""
        with self._lock:
            self._refill()
            now = self._clock()
            backlog = max(0.0, -self._tokens) / self.rate  # tokens already reserved by waiting callers
            slot = max(self._next_deferred_slot, now + backlog) + 1 / self.rate
            self._next_deferred_slot = slot
            return slot - now

    def throttled(self) -> None:
        """Connect said "slow down": halve the rate (once per interval: one burst of throttles is one
        signal), not below the floor."""
        with self._lock:
            self._refill()
            now = self._clock()
            if now - self._last_decrease < DECREASE_INTERVAL_SECONDS:
                return
            self._last_decrease = now
            self.rate = max(self.share * FLOOR_FRACTION, self.rate * DECREASE_FACTOR)

    def _wait_for_token(self) -> float:
        self._refill()
        return 0.0 if self._tokens >= 1 else (1 - self._tokens) / self.rate

    def _refill(self) -> None:
        now = self._clock()
        elapsed = max(0.0, now - self._updated)
        self._tokens = min(self.capacity, self._tokens + elapsed * self.rate)
        if self.rate < self.share:
            self.rate = min(self.share, self.rate + self.share * elapsed / RECOVERY_SECONDS)
        self._updated = now
