"""The per-container token bucket for Connect calls, driven by a fake clock."""

from __future__ import annotations

import pytest

from task_creator.rate_limit import TokenBucket


class FakeTime:
    """A clock that only moves when the code under test sleeps (or the test advances it)."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


def bucket(fake_time: FakeTime, rate: float, burst: float | None = None) -> TokenBucket:
    return TokenBucket(rate, burst, clock=fake_time.clock, sleep=fake_time.sleep)


def test_burst_is_available_at_once(fake_time: FakeTime) -> None:
    limiter = bucket(fake_time, rate=2, burst=3)

    assert all(limiter.acquire(timeout=0) for _ in range(3))
    assert fake_time.sleeps == []


def test_default_burst_is_one_second_of_calls(fake_time: FakeTime) -> None:
    limiter = bucket(fake_time, rate=4)

    assert all(limiter.acquire(timeout=0) for _ in range(4))
    assert not limiter.acquire(timeout=0)


def test_slow_rate_still_allows_one_call_at_once(fake_time: FakeTime) -> None:
    limiter = bucket(fake_time, rate=0.5)

    assert limiter.acquire(timeout=0)
    assert fake_time.sleeps == []


def test_caller_waits_for_the_next_token(fake_time: FakeTime) -> None:
    limiter = bucket(fake_time, rate=2, burst=1)
    limiter.acquire(timeout=0)

    assert limiter.acquire(timeout=5)
    assert fake_time.sleeps == [0.5]


def test_waiting_callers_queue_up_one_interval_apart(fake_time: FakeTime) -> None:
    """Callers arriving at the same instant are each reserved the token after the previous one."""
    waits: list[float] = []
    limiter = TokenBucket(1, 1, clock=fake_time.clock, sleep=waits.append)  # the clock stands still
    limiter.acquire(timeout=0)

    assert limiter.acquire(timeout=10)
    assert limiter.acquire(timeout=10)
    assert waits == [1.0, 2.0]


def test_no_token_before_the_timeout_returns_false_without_taking_one(fake_time: FakeTime) -> None:
    limiter = bucket(fake_time, rate=1, burst=1)
    limiter.acquire(timeout=0)

    assert not limiter.acquire(timeout=0.5)
    assert fake_time.sleeps == []
    assert limiter.acquire(timeout=1.0)
    assert fake_time.sleeps == [1.0]


def test_tokens_refill_with_time_up_to_the_burst(fake_time: FakeTime) -> None:
    limiter = bucket(fake_time, rate=10, burst=2)
    limiter.acquire(timeout=0)
    limiter.acquire(timeout=0)

    fake_time.now += 60

    assert limiter.acquire(timeout=0)
    assert limiter.acquire(timeout=0)
    assert not limiter.acquire(timeout=0)


@pytest.mark.parametrize("rate", [0, -1])
def test_rate_must_be_positive(rate: float) -> None:
    with pytest.raises(ValueError, match="rate must be positive"):
        TokenBucket(rate)
