"""The per-container token bucket for Connect calls, driven by a fake clock."""

from __future__ import annotations

import pytest

from task_creator.rate_limit import (
    DECREASE_INTERVAL_SECONDS,
    FLOOR_FRACTION,
    RECOVERY_SECONDS,
    TokenBucket,
)


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


# --- adaptive: AIMD on Connect's throttles --------------------------------------------------------


def test_a_throttle_halves_the_rate_once_per_interval_and_sustained_throttling_holds_it_low(
    fake_time: FakeTime,
) -> None:
    limiter = bucket(fake_time, rate=10)

    limiter.throttled()
    limiter.throttled()  # the same burst of throttles: one signal
    assert limiter.rate == pytest.approx(5)

    for _ in range(20):
        fake_time.now += DECREASE_INTERVAL_SECONDS
        limiter.throttled()
    # Halving each interval against the additive recovery in between settles at a tenth of the share.
    assert 10 * FLOOR_FRACTION <= limiter.rate <= 10 * 0.11


def test_the_rate_recovers_to_the_share_while_no_throttle_comes(fake_time: FakeTime) -> None:
    limiter = bucket(fake_time, rate=10)
    limiter.throttled()

    fake_time.now += RECOVERY_SECONDS / 4
    limiter.acquire(timeout=0)
    recovering = limiter.rate
    fake_time.now += RECOVERY_SECONDS
    limiter.acquire(timeout=0)

    assert 5 < recovering < 10
    assert limiter.rate == 10  # the share, never above


def test_a_throttled_bucket_hands_out_tokens_at_its_lower_rate(fake_time: FakeTime) -> None:
    limiter = bucket(fake_time, rate=4, burst=1)
    limiter.acquire(timeout=1)
    limiter.throttled()

    assert limiter.acquire(timeout=10)

    assert fake_time.sleeps[-1] == pytest.approx(0.5)  # 1 token at 2/s, not 0.25 s at 4/s


# --- deferral: where a record that got no token should come back -----------------------------------


def test_each_deferral_takes_the_next_free_slot_so_deferred_records_return_at_the_rate(
    fake_time: FakeTime,
) -> None:
    limiter = bucket(fake_time, rate=10, burst=1)
    limiter.acquire(timeout=0)

    delays = [limiter.deferral_seconds() for _ in range(5)]

    assert delays == pytest.approx([0.1, 0.2, 0.3, 0.4, 0.5])


def test_deferral_slots_already_passed_are_not_kept(fake_time: FakeTime) -> None:
    limiter = bucket(fake_time, rate=10, burst=1)
    limiter.acquire(timeout=0)
    limiter.deferral_seconds()

    fake_time.now += 60

    assert limiter.deferral_seconds() == pytest.approx(0.1)


def test_deferrals_come_after_the_tokens_waiting_callers_reserved(fake_time: FakeTime) -> None:
    limiter = bucket(
        fake_time,
        rate=10,
        burst=1,
    )
    limiter.acquire(timeout=0)
    limiter.acquire(timeout=1)  # reserved: the balance is one token short for 0.1 s (slept)
    fake_time.now -= 0.1  # as seen by another thread that did not sleep

    assert limiter.deferral_seconds() == pytest.approx(0.2)


def test_asking_whether_a_token_comes_soon_enough_takes_none(fake_time: FakeTime) -> None:
    limiter = bucket(fake_time, rate=2, burst=1)

    assert limiter.available_within(0)
    assert limiter.available_within(0)  # still there: asking took nothing
    assert limiter.acquire(timeout=0)
    assert not limiter.available_within(0.4)  # the next one is 0.5 s away
    assert limiter.available_within(0.5)
    assert fake_time.sleeps == []
