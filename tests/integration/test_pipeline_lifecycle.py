"""The task lifecycle through the whole offline pipeline, with the shipped mapping: bus rule -> ingest
queue -> event source loop -> the real handler (its task registry in the ledger table on moto) -> the
Connect emulator. Each test publishes order events the way producers do (PutEvents) and checks what
Connect holds in the end: the task's ``Contact.State`` and its ``History``, as the emulator's inspection
API shows them.

"Arrives" means: published, then tried once by the function before the next event is published (a
message waiting out its retry backoff does not hold the next one back), as ``make demo`` sequences its
lifecycle samples (``local.demo_lifecycle.settle``).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from local.aws import EmbeddedAws
from local.connect_emulator import ConnectEmulator, TaskRecord
from local.demo_lifecycle import settle
from local.function_output import OutcomeRecorder
from local.pipeline import LocalPipeline
from task_creator.observability import Outcome
from tests.integration.pipeline_support import dead_letters, drain, put_event

PipelineFactory = Callable[..., LocalPipeline]
START = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)  # the events' own times: what orders them per task key
CREATE, UPDATE, RESCHEDULE, COMPLETE = "create", "update", "reschedule", "complete"


def order_event(step: str, order_id: str = "ORD-9001", **detail: Any) -> dict[str, Any]:
    """An order event of the shipped mapping's lifecycle story, in the order it happened (by ``time``)."""
    kinds: dict[str, tuple[str, int, dict[str, Any]]] = {
        CREATE: ("OrderDelayed", 0, {"reason": "Carrier missed the pickup window", "delayDays": 2}),
        UPDATE: (
            "OrderDeliveryRescheduled",
            60,
            {
                "newDeliveryDate": "2026-11-27",
                "reason": "Carrier capacity",
                "trackingUrl": f"https://track.example.com/{order_id}",
            },
        ),
        RESCHEDULE: ("OrderFollowUpMoved", 90, {}),
        COMPLETE: ("OrderDelivered", 120, {"deliveredAt": "2026-11-27T16:40:00Z"}),
    }
    detail_type, minutes, defaults = kinds[step]
    return {
        "version": "0",
        "id": f"{step}-{order_id}",
        "source": "acme.orders",
        "detail-type": detail_type,
        "account": "123456789012",
        "time": (START + timedelta(minutes=minutes)).isoformat().replace("+00:00", "Z"),
        "region": "us-east-1",
        "resources": [],
        "detail": {"orderId": order_id, "priority": "high", **defaults, **detail},
    }


class Arrivals:
    """Publishes events one at a time, each tried by the function before the next; remembers their ids."""

    def __init__(self, aws: EmbeddedAws, pipeline: LocalPipeline) -> None:
        self.aws = aws
        self.pipeline = pipeline
        self.ids: dict[str, str] = {}  # step -> the id EventBridge gave its event

    def arrive(self, step: str, event: dict[str, Any]) -> None:
        self.ids[step] = put_event(self.aws, self.pipeline, event)
        settle(self.pipeline.event_sources, timeout_seconds=10)

    def finish(self) -> None:
        drain(self.pipeline)

    def story(self, steps: tuple[str, ...]) -> None:
        """The order events of ``steps``, arriving in that order, then every retry settled."""
        for step in steps:
            self.arrive(step, order_event(step))
        self.finish()


def iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def contact(task: TaskRecord) -> dict[str, Any]:
    """The task's current state as ``GET /_emulator/tasks`` shows it (``Contact``)."""
    current: dict[str, Any] = task.to_json()["Contact"]
    return current


def operations(task: TaskRecord) -> list[str]:
    return [entry.operation for entry in task.history]


def outcomes_of(recorder: OutcomeRecorder, event_id: str) -> list[Outcome]:
    return [outcome.outcome for outcome in recorder.outcomes() if outcome.event_id == event_id]


@pytest.fixture
def pipeline(make_pipeline: PipelineFactory) -> LocalPipeline:
    return make_pipeline()


@pytest.fixture
def arrivals(embedded_aws: EmbeddedAws, pipeline: LocalPipeline) -> Arrivals:
    return Arrivals(embedded_aws, pipeline)


# --- every action, in order --------------------------------------------------------------------------


def test_in_order_the_task_is_created_then_updated_then_stopped(
    arrivals: Arrivals, connect_emulator: ConnectEmulator, embedded_aws: EmbeddedAws, pipeline: LocalPipeline
) -> None:
    arrivals.story((CREATE, UPDATE, COMPLETE))

    (task,) = connect_emulator.tasks()
    state = contact(task)
    assert state["State"] == "STOPPED"
    assert operations(task) == ["StartTaskContact", "UpdateContact", "UpdateContactAttributes", "StopContact"]
    assert state["Name"] == "Order ORD-9001 is delayed"  # not in the update: kept
    assert state["Description"] == "Delivery moved to 2026-11-27 (Carrier capacity)"
    assert state["Attributes"] == {
        "orderId": "ORD-9001",
        "priority": "high",
        "delayDays": "2",
        "deliveryDate": "2026-11-27",
        "status": "rescheduled",
    }
    assert state["References"]["Tracking"] == {"Type": "URL", "Value": "https://track.example.com/ORD-9001"}
    assert state["References"]["Order"]["Value"] == "https://shop.example.com/orders/ORD-9001"  # kept
    assert task.history[1].fields == ("Description", "References.Tracking")
    assert dead_letters(embedded_aws, pipeline) == []


def test_a_reschedule_moves_the_scheduled_task_to_its_new_time(
    arrivals: Arrivals, connect_emulator: ConnectEmulator
) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    first, moved = now + timedelta(days=1), now + timedelta(days=2)

    arrivals.arrive(CREATE, order_event(CREATE, followUpAt=iso(first)))
    arrivals.arrive(RESCHEDULE, order_event(RESCHEDULE, followUpAt=iso(moved)))
    arrivals.finish()

    (task,) = connect_emulator.tasks()
    assert operations(task) == ["StartTaskContact", "UpdateContactSchedule"]
    assert contact(task)["State"] == "SCHEDULED"
    assert datetime.fromisoformat(contact(task)["ScheduledTime"]) == moved
    assert task.request["ScheduledTime"] == int(first.timestamp())  # the request as received: unchanged


def test_a_reschedule_to_a_passed_time_is_dead_lettered_and_the_task_keeps_its_time(
    arrivals: Arrivals, connect_emulator: ConnectEmulator, embedded_aws: EmbeddedAws, pipeline: LocalPipeline
) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    follow_up = now + timedelta(days=1)

    arrivals.arrive(CREATE, order_event(CREATE, followUpAt=iso(follow_up)))
    arrivals.arrive(RESCHEDULE, order_event(RESCHEDULE, followUpAt=iso(now - timedelta(hours=1))))
    arrivals.finish()

    (task,) = connect_emulator.tasks()
    assert operations(task) == ["StartTaskContact"]
    assert datetime.fromisoformat(contact(task)["ScheduledTime"]) == follow_up
    (letter,) = dead_letters(embedded_aws, pipeline)
    assert (letter.error_type, letter.attribute("Rule")) == ("LimitViolation", "order-follow-up-moved")
    assert "in the past" in (letter.error_message or "")


# --- out of order ---------------------------------------------------------------------------------------


def test_an_update_before_its_create_is_retried_then_applied(
    arrivals: Arrivals, connect_emulator: ConnectEmulator, function_outcomes: OutcomeRecorder
) -> None:
    arrivals.arrive(UPDATE, order_event(UPDATE))
    arrivals.arrive(CREATE, order_event(CREATE))
    arrivals.finish()

    (task,) = connect_emulator.tasks()
    assert operations(task) == ["StartTaskContact", "UpdateContact", "UpdateContactAttributes"]
    assert contact(task)["State"] == "ACTIVE"
    assert outcomes_of(function_outcomes, arrivals.ids[UPDATE]) == [Outcome.RETRY, Outcome.UPDATED]
    (retry,) = [o for o in function_outcomes.outcomes() if o.outcome is Outcome.RETRY]
    assert retry.error_type == "NoTaskForKey"


def test_a_complete_before_its_create_is_recorded_and_the_late_create_is_stopped_at_once(
    arrivals: Arrivals, connect_emulator: ConnectEmulator, function_outcomes: OutcomeRecorder
) -> None:
    arrivals.arrive(COMPLETE, order_event(COMPLETE))
    arrivals.arrive(CREATE, order_event(CREATE))
    arrivals.finish()

    (task,) = connect_emulator.tasks()
    assert operations(task) == ["StartTaskContact", "StopContact"]
    assert contact(task)["State"] == "STOPPED"
    assert outcomes_of(function_outcomes, arrivals.ids[COMPLETE]) == [Outcome.COMPLETED]  # recorded, no task
    assert outcomes_of(function_outcomes, arrivals.ids[CREATE]) == [Outcome.COMPLETED]  # created, stopped


@pytest.mark.parametrize("order", list(itertools.permutations([CREATE, UPDATE, COMPLETE])), ids="-".join)
def test_every_arrival_order_ends_with_no_open_task_and_nothing_applied_after_the_completion(
    order: tuple[str, ...],
    arrivals: Arrivals,
    connect_emulator: ConnectEmulator,
    function_outcomes: OutcomeRecorder,
) -> None:
    arrivals.story(order)

    (task,) = connect_emulator.tasks()  # one task, whatever came first
    assert contact(task)["State"] == "STOPPED"  # the in-order end state: no open task
    update_applied = Outcome.UPDATED in outcomes_of(function_outcomes, arrivals.ids[UPDATE])
    updates = ["UpdateContact", "UpdateContactAttributes"] if update_applied else []
    # Nothing after the stop; the update applied once, and only if the function says it applied it.
    assert operations(task) == ["StartTaskContact", *updates, "StopContact"]
    if order == (CREATE, UPDATE, COMPLETE):
        assert update_applied
    if order.index(COMPLETE) < order.index(CREATE):
        # The completion came first: the late create's task is stopped at once, before any update.
        assert outcomes_of(function_outcomes, arrivals.ids[CREATE]) == [Outcome.COMPLETED]
        assert not update_applied
    if order.index(UPDATE) > order.index(COMPLETE):
        assert not update_applied  # anything after the completion is skipped
        assert outcomes_of(function_outcomes, arrivals.ids[UPDATE]) == [Outcome.SKIPPED]
    assert dead_letters(arrivals.aws, arrivals.pipeline) == []


@pytest.mark.parametrize("order", [(CREATE, COMPLETE), (COMPLETE, CREATE)], ids="-".join)
def test_the_create_of_a_completed_task_delivered_again_is_a_duplicate_that_sends_connect_nothing(
    order: tuple[str, ...],
    arrivals: Arrivals,
    connect_emulator: ConnectEmulator,
    function_outcomes: OutcomeRecorder,
) -> None:
    arrivals.story(order)
    calls_before = connect_emulator.counters().operations

    # Another delivery of the create (a re-publish, a redrive, a replay): its task exists and is stopped.
    arrivals.arrive(CREATE, order_event(CREATE))
    arrivals.finish()

    assert outcomes_of(function_outcomes, arrivals.ids[CREATE]) == [Outcome.DUPLICATE]
    assert connect_emulator.counters().operations == calls_before  # no StopContact, no DescribeContact
    (task,) = connect_emulator.tasks()
    assert contact(task)["State"] == "STOPPED"


def test_the_same_follow_ups_published_again_change_nothing(
    arrivals: Arrivals, connect_emulator: ConnectEmulator, function_outcomes: OutcomeRecorder
) -> None:
    arrivals.story((CREATE, UPDATE, COMPLETE))
    (task,) = connect_emulator.tasks()
    before = task.history
    function_outcomes.clear()

    # PutEvents gives each a new id, but the same content and time: the same events (their fingerprint)
    arrivals.story((CREATE, UPDATE, COMPLETE))

    assert connect_emulator.task(task.contact_id).history == before
    assert len(connect_emulator.tasks()) == 1
    assert outcomes_of(function_outcomes, arrivals.ids[UPDATE]) == [Outcome.SKIPPED]  # its task is completed
    assert outcomes_of(function_outcomes, arrivals.ids[COMPLETE]) == [Outcome.SKIPPED]


def test_an_update_for_an_order_that_never_gets_a_task_is_dead_lettered_as_no_task_for_key(
    make_pipeline: PipelineFactory,
    embedded_aws: EmbeddedAws,
    connect_emulator: ConnectEmulator,
    function_outcomes: OutcomeRecorder,
) -> None:
    pipeline = make_pipeline(maxReceiveCount=2)
    event = order_event(UPDATE, order_id="ORD-NEVER")

    event_id = put_event(embedded_aws, pipeline, event)
    drain(pipeline)

    (letter,) = dead_letters(embedded_aws, pipeline)
    assert (letter.error_type, letter.attribute("Rule")) == ("NoTaskForKey", "order-delivery-rescheduled")
    assert letter.attribute("EventId") == event_id
    assert outcomes_of(function_outcomes, event_id) == [Outcome.RETRY, Outcome.DEAD_LETTER]
    assert connect_emulator.tasks() == []
