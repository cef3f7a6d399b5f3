"""How long a transiently failed message waits: exponential in its receive count, jittered, capped."""

from __future__ import annotations

import random

import pytest

from task_creator.backoff import MAX_DELAY_SECONDS, RetryBackoff, retry_delay_seconds


class EdgeRandom(random.Random):
    """Always draws the low or the high end of ``uniform``, to pin the jitter's bounds."""

    def __init__(self, *, high: bool) -> None:
        super().__init__(0)
        self.high = high

    def uniform(self, a: float, b: float) -> float:
        return b if self.high else a


LOW, HIGH = EdgeRandom(high=False), EdgeRandom(high=True)


@pytest.mark.parametrize(
    ("receive_count", "shortest", "longest"),
    [(1, 5, 10), (2, 10, 20), (3, 20, 40), (4, 40, 80), (7, 320, 640)],
)
def test_delay_doubles_with_each_receive_within_equal_jitter_bounds(
    receive_count: int, shortest: int, longest: int
) -> None:
    assert retry_delay_seconds(receive_count, rng=LOW) == shortest
    assert retry_delay_seconds(receive_count, rng=HIGH) == longest


@pytest.mark.parametrize("receive_count", [8, 20, 10_000])
def test_delay_is_capped(receive_count: int) -> None:
    assert retry_delay_seconds(receive_count, rng=LOW) == MAX_DELAY_SECONDS // 2
    assert retry_delay_seconds(receive_count, rng=HIGH) == MAX_DELAY_SECONDS


@pytest.mark.parametrize("receive_count", [0, -3])
def test_missing_or_odd_receive_count_counts_as_the_first(receive_count: int) -> None:
    assert retry_delay_seconds(receive_count, rng=HIGH) == retry_delay_seconds(1, rng=HIGH)


def test_base_and_cap_are_adjustable() -> None:
    assert retry_delay_seconds(3, base=2, cap=1000, rng=HIGH) == 8
    assert retry_delay_seconds(3, base=2, cap=6, rng=HIGH) == 6


def test_delay_is_at_least_one_second() -> None:
    assert retry_delay_seconds(1, base=1, rng=LOW) == 1


def test_random_delays_stay_within_the_bounds() -> None:
    rng = random.Random(1234)

    delays = {retry_delay_seconds(2, rng=rng) for _ in range(200)}

    assert min(delays) >= 10
    assert max(delays) <= 20
    assert len(delays) > 1


def test_retry_backoff_settings_shape_the_delay() -> None:
    backoff = RetryBackoff(base_seconds=1, max_seconds=4)
    rng = random.Random(7)

    delays = [backoff.delay_seconds(receive_count, rng) for receive_count in range(1, 8)]

    assert all(1 <= delay <= 4 for delay in delays)
    assert backoff.delay_seconds(10, rng) >= 2  # capped at 4: equal jitter keeps at least half of it
