"""Injected misbehaviour: latency, a token-bucket rate quota, random modelled errors, and answers lost
after the call took effect.

A `FaultInjector` is built from one `FaultConfig` and is thread-safe; it holds one `OperationFaultInjector`
per emulated operation (its own settings, token bucket and RNGs). Replacing the config builds a new
injector (full buckets, RNGs reseeded), so a test that changes faults starts from a known state.
Latency, error and lost-response draws use separate RNGs derived from the same seed, per operation:
changing one fault, or calling another operation, does not shift the others' sequences (StartTaskContact's
streams are named as they were before there were other operations, so seeded runs reproduce). A
lost-response draw is made only for a call that took effect.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable

from local.connect_emulator.config import (
    FaultConfig,
    FixedLatency,
    Latency,
    RateLimit,
    ResolvedFaults,
    UniformLatency,
)
from local.connect_emulator.errors import MODELLED_ERRORS, LostResponse, ModelledError, Throttling
from local.connect_emulator.operations import EMULATED_OPERATIONS, START_TASK_CONTACT, operation_errors

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


class OperationFaultInjector:
    """The faults one operation meets, consulted once per call of it."""

    def __init__(self, operation: str, faults: ResolvedFaults, seed: int, clock: Clock) -> None:
        self.operation = operation
        stream = str(seed) if operation == START_TASK_CONTACT else f"{seed}:{operation}"
        self._answers_with = operation_errors(operation)
        self._latency = LatencySampler(faults.latency, random.Random(f"{stream}:latency"))
        self._errors = ErrorInjector(dict(faults.error_rates), random.Random(f"{stream}:errors"))
        self._lost_responses = ErrorInjector(
            dict(faults.lost_response_rates), random.Random(f"{stream}:lost_responses")
        )
        self._bucket = None if faults.rate_limit is None else TokenBucket(faults.rate_limit, clock)

    def next_delay(self) -> float:
        return self._latency.next_delay()

    def admit(self) -> None:
        """Raise Throttling if this operation's rate quota is spent."""
        if self._bucket is not None and not self._bucket.try_acquire():
            raise Throttling(
                f"Rate exceeded: the emulated {self.operation} request-rate quota is spent", rule="rate_limit"
            )

    def injected_error(self) -> ModelledError | None:
        """The error drawn for this call, if it is one this operation can answer with."""
        error_type = self._errors.next_error()
        if error_type is None or error_type not in self._answers_with:
            return None
        return MODELLED_ERRORS[error_type](
            f"Injected fault: {error_type} (emulator error_rates)", rule="injected_error"
        )

    def lost_response(self, contact_id: str) -> LostResponse | None:
        """Whether the answer of a call that took effect is lost, and how (one draw per such call)."""
        kind = self._lost_responses.next_error()
        return None if kind is None else LostResponse(contact_id, kind, operation=self.operation)


class FaultInjector:
    """Every fault of one FaultConfig, one `OperationFaultInjector` per emulated operation."""

    def __init__(self, faults: FaultConfig, clock: Clock = time.monotonic) -> None:
        self.config = faults
        seed = faults.seed if faults.seed is not None else random.SystemRandom().randrange(2**63)
        self._operations = {
            name: OperationFaultInjector(name, faults.for_operation(name), seed, clock)
            for name in EMULATED_OPERATIONS
        }

    @property
    def active_task_quota(self) -> int | None:
        return self.config.active_task_quota

    def operation(self, name: str) -> OperationFaultInjector:
        return self._operations[name]
