"""A replay creates nothing new, end to end: events published on the bus become tasks, the archive keeps
them, ``python -m local replay`` sends the window back to the bus rules, and the function finds every
task already created: no new task in Connect, and exactly one ``Task Duplicate Skipped`` outcome event
per task, with the task's ContactId. A task completed before the replay stays as it is: its create and
its complete replayed are both skipped, and Connect receives no call at all.

moto gives each replayed event a new ``id`` and adds ``replay-name``: the function's identity rules
(``docs/mapping.md``) must make the replayed event the same event, for a rule with an ``eventId`` as
for one without."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from local.aws import EmbeddedAws
from local.connect_emulator import ConnectEmulator
from local.outcome_events import TASK_CREATED, TASK_DUPLICATE_SKIPPED, OutcomeEvent, read_outcome_events
from local.pipeline import LocalPipeline
from tests.integration.pipeline_support import drain, put_event, run_cli, sample

PipelineFactory = Callable[..., LocalPipeline]
# Rules with an eventId (the payment id, the order id) and, below, one without (stock-low): its identity is
# the default one, derived from the event, which moto's replay gives a new id.
SAMPLES = ("eventbridge-payment-failed.json", "eventbridge-order-delayed.json")
COMPLETION = "eventbridge-order-delivered.json"  # the delayed order delivered: its task is stopped
STOCK_LOW = {
    "source": "acme.inventory",
    "detail-type": "StockLow",
    "detail": {"sku": "SKU-88-RED", "warehouse": "LIS-1", "onHand": 3, "threshold": 10},
    "time": "2026-11-23T14:20:00Z",
}


def outcome_events(aws: EmbeddedAws, pipeline: LocalPipeline) -> list[OutcomeEvent]:
    assert pipeline.topology.outcomes is not None
    return read_outcome_events(aws.sqs(), pipeline.topology.outcomes.queue_url)


@pytest.mark.usefixtures("function_outcomes")  # the function's logs stay out of the output
def test_replaying_a_window_creates_no_new_task_and_reports_each_task_as_a_duplicate(
    make_pipeline: PipelineFactory,
    embedded_aws: EmbeddedAws,
    connect_emulator: ConnectEmulator,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pipeline = make_pipeline()
    for name in SAMPLES:
        put_event(embedded_aws, pipeline, sample(name))
    put_event(embedded_aws, pipeline, STOCK_LOW)
    drain(pipeline)
    put_event(embedded_aws, pipeline, sample(COMPLETION))
    drain(pipeline)
    tasks = connect_emulator.tasks()
    assert sorted(task.to_json()["Contact"]["State"] for task in tasks) == ["ACTIVE", "ACTIVE", "STOPPED"]
    calls_before = connect_emulator.counters().operations
    assert len(tasks) == len(SAMPLES) + 1
    before = outcome_events(embedded_aws, pipeline)
    assert sorted(e.contact_id or "" for e in before if e.detail_type == TASK_CREATED) == sorted(
        task.contact_id for task in tasks
    )

    monkeypatch.setenv("AWS_ENDPOINT_URL", embedded_aws.endpoint_url)
    code, out, err = run_cli(
        "replay",
        "--from",
        "2026-11-23T14:00:00Z",
        "--to",
        "now",
        "--name",
        "recover",
        "--poll-seconds",
        "0.1",
    )
    assert code == 0, err
    assert out.startswith("replay recover COMPLETED")
    drain(pipeline)

    assert [task.contact_id for task in connect_emulator.tasks()] == [task.contact_id for task in tasks]
    assert connect_emulator.counters().operations == calls_before  # not a single Connect call
    seen = {event.id for event in before}
    replayed = [event for event in outcome_events(embedded_aws, pipeline) if event.id not in seen]
    assert {event.detail_type for event in replayed} == {TASK_DUPLICATE_SKIPPED}
    replayed_creates = [event for event in replayed if event.action == "create"]
    assert sorted(event.contact_id or "" for event in replayed_creates) == sorted(
        task.contact_id for task in tasks
    )
    (stopped,) = [task for task in tasks if task.to_json()["Contact"]["State"] == "STOPPED"]
    assert [(event.action, event.contact_id) for event in replayed if event.action != "create"] == [
        ("complete", stopped.contact_id)
    ]
    assert {event.replay_name for event in replayed} == {"recover"}
