"""Outcome events offline: the topology subscribes a queue to the outcome source (the way a consumer
would; the stack leaves that to consumers), the archive of the ingest bus, and
``python -m local outcomes`` listing what the queue holds."""

from __future__ import annotations

import json
from typing import Any

import pytest

from infra.event_pattern import archive_event_pattern, plan_bus_rules
from local.aws import EmbeddedAws
from local.outcome_events import read_outcome_events
from local.topology import Topology, provision_topology
from task_creator.mapping.rules import load_mapping
from tests.integration.pipeline_support import deployment_config, run_cli, sample
from tests.support import SHIPPED_MAPPING_FILE

CONTACT_ID = "783be777-fb4a-4bc0-9251-b9e47d3d1339"


def provision(aws: EmbeddedAws, **context: Any) -> Topology:
    config = deployment_config(**context)
    return provision_topology(aws, config, load_mapping(SHIPPED_MAPPING_FILE), visibility_timeout_seconds=1)


def put(aws: EmbeddedAws, bus: str, source: str, detail_type: str, detail: dict[str, Any]) -> None:
    response = aws.events().put_events(
        Entries=[
            {"Source": source, "DetailType": detail_type, "Detail": json.dumps(detail), "EventBusName": bus}
        ]
    )
    assert response["FailedEntryCount"] == 0


def outcome_detail(**fields: Any) -> dict[str, Any]:
    return {
        "version": "1",
        "eventId": "PAY-7781",
        "eventSource": "acme.payments",
        "eventDetailType": "PaymentFailed",
        "rule": "payment-failed",
        "action": "create",
        "applied": "created",
        **fields,
    }


def queue_bodies(aws: EmbeddedAws, url: str) -> list[dict[str, Any]]:
    messages = aws.sqs().receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1)
    return [json.loads(message["Body"]) for message in messages.get("Messages", [])]


# --- the topology -------------------------------------------------------------------------------------


def test_outcome_events_reach_the_outcomes_queue_and_nothing_else_does(embedded_aws: EmbeddedAws) -> None:
    topology = provision(embedded_aws)
    assert topology.outcomes is not None
    assert topology.outcomes.source == "TaskCreator.outcomes"
    assert topology.outcomes.queue_name == "TaskCreator-outcomes"

    put(embedded_aws, "default", "TaskCreator.outcomes", "Task Created", outcome_detail(contactId=CONTACT_ID))
    payment = sample("eventbridge-payment-failed.json")
    put(embedded_aws, "default", payment["source"], payment["detail-type"], payment["detail"])

    (outcome,) = queue_bodies(embedded_aws, topology.outcomes.queue_url)
    assert (outcome["source"], outcome["detail-type"]) == ("TaskCreator.outcomes", "Task Created")
    assert [body["source"] for body in queue_bodies(embedded_aws, topology.ingest_queue.url)] == [
        "acme.payments"
    ]


def test_outcome_events_on_another_bus_are_read_from_that_bus(embedded_aws: EmbeddedAws) -> None:
    topology = provision(embedded_aws, outcomeEventBus="task-outcomes", outcomeSource="acme.task-creator")
    assert topology.outcomes is not None
    assert topology.outcomes.event_bus_name == "task-outcomes"

    put(
        embedded_aws,
        "task-outcomes",
        "acme.task-creator",
        "Task Created",
        outcome_detail(contactId=CONTACT_ID),
    )

    (outcome,) = queue_bodies(embedded_aws, topology.outcomes.queue_url)
    assert outcome["source"] == "acme.task-creator"


def test_without_outcome_events_there_is_no_outcomes_queue(embedded_aws: EmbeddedAws) -> None:
    topology = provision(embedded_aws, outcomeEvents=False)

    assert topology.outcomes is None
    queues = embedded_aws.sqs().list_queues().get("QueueUrls", [])
    assert not [url for url in queues if url.endswith("-outcomes")]


def test_the_archive_keeps_what_the_bus_rules_forward_for_the_days_configured(
    embedded_aws: EmbeddedAws,
) -> None:
    topology = provision(embedded_aws, archiveDays=3)
    assert topology.archive is not None

    payment = sample("eventbridge-payment-failed.json")
    put(embedded_aws, "default", payment["source"], payment["detail-type"], payment["detail"])
    put(embedded_aws, "default", "acme.marketing", "NewsletterOpened", {"campaign": "spring"})
    put(embedded_aws, "default", "TaskCreator.outcomes", "Task Created", outcome_detail(contactId=CONTACT_ID))

    archive = embedded_aws.events().describe_archive(ArchiveName=topology.archive.name)
    assert archive["RetentionDays"] == 3
    plan = plan_bus_rules(load_mapping(SHIPPED_MAPPING_FILE), outcome_source="TaskCreator.outcomes")
    assert json.loads(archive["EventPattern"]) == archive_event_pattern(plan)  # the stack's pattern
    assert archive["EventCount"] == 1  # the payment only: not the unmatched event, not the outcome event


def test_archive_days_zero_means_no_archive(embedded_aws: EmbeddedAws) -> None:
    topology = provision(embedded_aws, archiveDays=0)

    assert topology.archive is None
    assert embedded_aws.events().list_archives()["Archives"] == []


# --- python -m local outcomes -------------------------------------------------------------------------


@pytest.fixture
def moto_endpoint(embedded_aws: EmbeddedAws, monkeypatch: pytest.MonkeyPatch) -> EmbeddedAws:
    monkeypatch.setenv("AWS_ENDPOINT_URL", embedded_aws.endpoint_url)
    return embedded_aws


def test_outcomes_lists_one_line_per_outcome_event_then_a_count(moto_endpoint: EmbeddedAws) -> None:
    topology = provision(moto_endpoint)
    assert topology.outcomes is not None
    put(
        moto_endpoint, "default", "TaskCreator.outcomes", "Task Created", outcome_detail(contactId=CONTACT_ID)
    )
    dead_letter = outcome_detail(
        eventId="evt-9",
        rule="support-ticket",
        applied="dead-lettered",
        errorType="MappingError",
        errorMessage="[...]",
    )
    put(moto_endpoint, "default", "TaskCreator.outcomes", "Task Dead-Lettered", dead_letter)

    code, out, err = run_cli("outcomes")  # the default queue: TaskCreator-outcomes

    assert (code, err) == (0, "")
    header, *rows, summary = out.splitlines()
    assert header.split() == ["DETAIL-TYPE", "RULE", "EVENT", "ID", "CONTACT", "ID", "/", "ERROR", "TYPE"]
    assert sorted(row.split() for row in rows) == [
        ["Task", "Created", "payment-failed", "PAY-7781", CONTACT_ID],
        ["Task", "Dead-Lettered", "support-ticket", "evt-9", "MappingError"],
    ]
    assert summary == "2 outcome events: Task Created: 1, Task Dead-Lettered: 1"
    assert len(read_outcome_events(moto_endpoint.sqs(), topology.outcomes.queue_url)) == 2  # left in place


def test_outcomes_marks_an_outcome_of_a_replayed_event(moto_endpoint: EmbeddedAws) -> None:
    topology = provision(moto_endpoint)
    assert topology.outcomes is not None
    detail = outcome_detail(contactId=CONTACT_ID, replayName="recover-payments")
    put(moto_endpoint, "default", "TaskCreator.outcomes", "Task Duplicate Skipped", detail)

    code, out, _ = run_cli("outcomes", "--queue", topology.outcomes.queue_url, "--limit", "5")

    assert code == 0
    assert f"PAY-7781  {CONTACT_ID} (replay recover-payments)" in out
    assert out.endswith("1 outcome event: Task Duplicate Skipped: 1\n")


def test_outcomes_of_an_empty_queue_says_so(moto_endpoint: EmbeddedAws) -> None:
    topology = provision(moto_endpoint)
    assert topology.outcomes is not None

    code, out, _ = run_cli("outcomes", "--queue", topology.outcomes.queue_name)

    assert (code, out) == (0, "no outcome events in TaskCreator-outcomes\n")


def test_outcomes_of_a_queue_that_does_not_exist_is_one_line(moto_endpoint: EmbeddedAws) -> None:
    code, out, err = run_cli("outcomes", "--queue", "nowhere-outcomes")

    assert (code, out) == (1, "")
    assert err.startswith("error: queue 'nowhere-outcomes' does not exist: offline it is <stack>-outcomes")
    assert err.count("\n") == 1
