"""The fleet-wide rate budget through the whole offline pipeline: each container gets its share of
connectRequestsPerSecond, a backlog far larger than the quota drains without one dead letter, and the
records deferred for their slot (sent back to the queue, never attempted) never spend the attempt
budget nor reach the redrive backstop, however many times they wait."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from local.aws import EmbeddedAws
from local.connect_emulator import ConnectEmulator, RateLimit
from local.function_output import OutcomeRecorder
from local.pipeline import LocalPipeline
from tests.integration.pipeline_support import dead_letters, put_event, sample, task_names

PipelineFactory = Callable[..., LocalPipeline]
QUOTA = 5  # requests per second, the emulator's like Connect's account quota
BACKLOG = 60  # 12 s of work at the quota: 12 visibility periods of the test's 1 s, 30 receives' worth


def publish_backlog(embedded_aws: EmbeddedAws, pipeline: LocalPipeline) -> list[str]:
    event = sample("eventbridge-payment-failed.json")
    payment_ids = [f"PAY-B{index:03d}" for index in range(BACKLOG)]
    for payment_id in payment_ids:
        put_event(embedded_aws, pipeline, {**event, "detail": {**event["detail"], "paymentId": payment_id}})
    return payment_ids


def test_each_container_calls_connect_at_its_share_of_the_stacks_budget(
    make_pipeline: PipelineFactory,
) -> None:
    pipeline = make_pipeline(connectRequestsPerSecond=QUOTA, maxConcurrency=2)

    assert pipeline.environment["CONNECT_CALLS_PER_SECOND"] == f"{QUOTA / 2:g}"


def test_a_backlog_far_beyond_the_quota_drains_with_no_dead_letter_and_no_spent_attempt(
    make_pipeline: PipelineFactory,
    embedded_aws: EmbeddedAws,
    connect_emulator: ConnectEmulator,
    function_outcomes: OutcomeRecorder,
) -> None:
    # maxReceiveCount 2: any record received a third time for want of a slot would be dead-lettered
    # (RetriesExhausted at 2, the backstop at 5) if a deferral counted as a receive.
    pipeline = make_pipeline(connectRequestsPerSecond=QUOTA, maxConcurrency=2, maxReceiveCount=2)
    connect_emulator.set_faults(
        dataclasses.replace(
            connect_emulator.faults, rate_limit=RateLimit(requests_per_second=QUOTA, burst=QUOTA)
        )
    )
    payment_ids = publish_backlog(embedded_aws, pipeline)

    report = pipeline.drain(timeout_seconds=90)

    assert sorted(task_names(connect_emulator.tasks())) == sorted(f"Payment {p} failed" for p in payment_ids)
    assert dead_letters(embedded_aws, pipeline) == []
    assert report.received > BACKLOG  # records were deferred (sent back) and came back for their slot
    assert report.failed == 0  # and none was reported failed: a deferral is no failed receive
    failures = [o for o in function_outcomes.outcomes() if o.error_type]
    assert failures == []  # waiting for a slot is not logged as a failure


def test_when_another_consumer_takes_the_quota_throttles_slow_the_function_down_and_become_no_dead_letter(
    make_pipeline: PipelineFactory, embedded_aws: EmbeddedAws, connect_emulator: ConnectEmulator
) -> None:
    # The stack believes it has 4 requests/s; Connect grants 2 (someone else uses the rest).
    pipeline = make_pipeline(connectRequestsPerSecond=4, maxConcurrency=2, maxReceiveCount=2)
    connect_emulator.set_faults(
        dataclasses.replace(connect_emulator.faults, rate_limit=RateLimit(requests_per_second=2, burst=2))
    )
    publish_backlog(embedded_aws, pipeline)

    pipeline.drain(timeout_seconds=120)

    assert len(task_names(connect_emulator.tasks())) == BACKLOG
    assert connect_emulator.counters().throttles > 0
    assert dead_letters(embedded_aws, pipeline) == []
