"""Injected misbehaviour: latency, a token-bucket rate quota, random modelled errors, and answers lost
after the task was created.

A `FaultInjector` is built from one `FaultConfig` and is thread-safe. Replacing the config builds a new
injector (a full bucket, RNGs reseeded), so a test that changes faults starts from a known state.
Latency, error and lost-response draws use separate RNGs derived from the same seed: changing one does
not shift the others' sequences. A lost-response draw is made only for a call that created a task.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable

from local.connect_emulator.config import FaultConfig, FixedLatency, Latency, RateLimit, UniformLatency
from local.connect_emulator.errors import MODELLED_ERRORS, LostResponse, ModelledError, Throttling

Clock = Callable[[], float]


class LatencySampler:
    """Draws how long the next call waits, in seconds."""

    def __init__(self, latency: Latency, rng: random.Random) -> None:
        self._latency = latency
        self._rng = rng
        self._lock = threading.Lock()

    def next_delay(self) -> float:
        latency = self._latency
        if isinstance(latency, FixedLatency):
            return latency.seconds
        with self._lock:
            if isinstance(latency, UniformLatency):
                return self._rng.uniform(latency.min_seconds, latency.max_seconds)
            drawn = latency.median_seconds * self._rng.lognormvariate(0.0, latency.sigma)
        return min(drawn, latency.max_seconds)


class TokenBucket:
    """`burst` tokens, refilled at `requests_per_second`; a call takes one or is throttled."""

    def __init__(self, limit: RateLimit, clock: Clock = time.monotonic) -> None:
        self._rate = limit.requests_per_second
        self._capacity = float(limit.burst)
        self._tokens = self._capacity
        self._clock = clock
        self._refilled_at = clock()
        self._lock = threading.Lock()

    def try_acquire(self) -> bool:
        with self._lock:
            now = self._clock()
            elapsed = max(0.0, now - self._refilled_at)
            self._tokens = min(self._capacity, self._tokens + elapsed * self._rate)
            self._refilled_at = now
            if self._tokens >= 1.0:
                self._tokens -= 1.0
                return True
            return False


class ErrorInjector:
    """One uniform draw per call decides which error type (or lost-response kind), if any, is injected."""

    def __init__(self, rates: dict[str, float], rng: random.Random) -> None:
        self._rates = sorted(rates.items())  # a fixed order keeps seeded runs reproducible
        self._rng = rng
        self._lock = threading.Lock()

    def next_error(self) -> str | None:
        if not self._rates:
            return None
        with self._lock:
            draw = self._rng.random()
        threshold = 0.0
        for error_type, rate in self._rates:
            threshold += rate
            if draw < threshold:
                return error_type
        return None


class FaultInjector:
    """Every fault of one FaultConfig, consulted once per StartTaskContact call."""

    def __init__(self, faults: FaultConfig, clock: Clock = time.monotonic) -> None:
        self.config = faults
        seed = faults.seed if faults.seed is not None else random.SystemRandom().randrange(2**63)
        self._latency = LatencySampler(faults.latency, random.Random(f"{seed}:latency"))
        self._errors = ErrorInjector(dict(faults.error_rates), random.Random(f"{seed}:errors"))
        self._lost_responses = ErrorInjector(
            dict(faults.lost_response_rates), random.Random(f"{seed}:lost_responses")
        )
        self._bucket = None if faults.rate_limit is None else TokenBucket(faults.rate_limit, clock)

    @property
    def active_task_quota(self) -> int | None:
        return self.config.active_task_quota

    def next_delay(self) -> float:
        return self._latency.next_delay()

    def admit(self) -> None:
        """Raise Throttling if the rate quota is spent."""
        if self._bucket is not None and not self._bucket.try_acquire():
            raise Throttling("Rate exceeded: the emulated request-rate quota is spent", rule="rate_limit")

    def injected_error(self) -> ModelledError | None:
        error_type = self._errors.next_error()
        if error_type is None:
            return None
        return MODELLED_ERRORS[error_type](
            f"Injected fault: {error_type} (emulator error_rates)", rule="injected_error"
        )

    def lost_response(self, contact_id: str) -> LostResponse | None:
        """Whether the answer for the task just created is lost, and how (one draw per created task)."""
        kind = self._lost_responses.next_error()
        return None if kind is None else LostResponse(contact_id, kind)
