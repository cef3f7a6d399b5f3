"""How long a transiently failed message waits before its next attempt (SQS visibility extension)."""

from __future__ import annotations

import random
from dataclasses import dataclass

BASE_DELAY_SECONDS = 10
MAX_DELAY_SECONDS = 900
SQS_MAX_VISIBILITY_SECONDS = 43_200
_RNG = random.Random()


def retry_delay_seconds(
    receive_count: int,
    *,
    base: int = BASE_DELAY_SECONDS,
    cap: int = MAX_DELAY_SECONDS,
    rng: random.Random | None = None,
) -> int:
    """Exponential in the receive count, with "equal jitter": half fixed, half random, capped.

    receive 1 -> 5..10 s, 2 -> 10..20 s, 3 -> 20..40 s, ... up to ``cap``.
    """
    attempt = max(receive_count, 1)
    ceiling = min(cap, base * 2 ** min(attempt - 1, 20), SQS_MAX_VISIBILITY_SECONDS)
    half = ceiling / 2
    generator: random.Random = rng or _RNG
    delay: float = half + generator.uniform(0, half)
    return max(1, round(delay))


@dataclass(frozen=True)
class RetryBackoff:
    """The backoff settings (``RETRY_BASE_DELAY_SECONDS``, ``RETRY_MAX_DELAY_SECONDS``)."""

    base_seconds: int = BASE_DELAY_SECONDS
    max_seconds: int = MAX_DELAY_SECONDS

    def delay_seconds(self, receive_count: int, rng: random.Random | None = None) -> int:
        return retry_delay_seconds(receive_count, base=self.base_seconds, cap=self.max_seconds, rng=rng)
