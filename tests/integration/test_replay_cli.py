"""``python -m local replay``: a window of archived events replayed onto the bus's Task Creator rules and
followed to its end, on moto (which replays synchronously); and the way it fails, one line each."""

from __future__ import annotations

import argparse
import io
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from botocore.stub import ANY, Stubber

from local.aws import EmbeddedAws
from local.cli.errors import CliError, UsageError
from local.cli.recovery import parse_time, run_replay
from local.topology import Topology, provision_topology
from task_creator.mapping.rules import load_mapping
from tests.integration.pipeline_support import deployment_config, run_cli, sample
from tests.support import SHIPPED_MAPPING_FILE

NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
ARCHIVE_ARN = "arn:aws:events:us-east-1:123456789012:archive/TaskCreator-archive"
BUS_ARN = "arn:aws:events:us-east-1:123456789012:event-bus/default"
RULE_ARN = "arn:aws:events:us-east-1:123456789012:rule/TaskCreator-bus-rule"


@pytest.fixture
def moto_endpoint(embedded_aws: EmbeddedAws, monkeypatch: pytest.MonkeyPatch) -> EmbeddedAws:
    """The command's own boto3 clients reach moto, as a user's would with AWS_ENDPOINT_URL."""
    monkeypatch.setenv("AWS_ENDPOINT_URL", embedded_aws.endpoint_url)
    return embedded_aws


def provision(aws: EmbeddedAws, **context: Any) -> Topology:
    config = deployment_config(**context)
    return provision_topology(aws, config, load_mapping(SHIPPED_MAPPING_FILE), visibility_timeout_seconds=1)


def publish_payment_failed(aws: EmbeddedAws, topology: Topology) -> str:
    event = sample("eventbridge-payment-failed.json")
    response = aws.events().put_events(
        Entries=[
            {
                "Source": event["source"],
                "DetailType": event["detail-type"],
                "Detail": json.dumps(event["detail"]),
                "EventBusName": topology.event_bus_name,
            }
        ]
    )
    event_id: str = response["Entries"][0]["EventId"]
    return event_id


def take_ingest_bodies(aws: EmbeddedAws, topology: Topology) -> list[dict[str, Any]]:
    """The bodies on the ingest queue, taken off it (deleted): a message only received would be visible
    again after the queue's 1 s visibility timeout, and counted twice by a later look."""
    sqs = aws.sqs()
    messages = sqs.receive_message(
        QueueUrl=topology.ingest_queue.url, MaxNumberOfMessages=10, WaitTimeSeconds=1
    ).get("Messages", [])
    for message in messages:
        sqs.delete_message(QueueUrl=topology.ingest_queue.url, ReceiptHandle=message["ReceiptHandle"])
    return [json.loads(message["Body"]) for message in messages]


# --- on moto ------------------------------------------------------------------------------------------


def test_replay_sends_the_archived_events_to_the_bus_rules_and_follows_it_to_completion(
    moto_endpoint: EmbeddedAws,
) -> None:
    topology = provision(moto_endpoint)
    original_id = publish_payment_failed(moto_endpoint, topology)
    assert [body["id"] for body in take_ingest_bodies(moto_endpoint, topology)] == [original_id]

    code, out, err = run_cli("replay", "--from", "1h", "--name", "recover-payments", "--poll-seconds", "0.1")

    assert code == 0, err
    assert out.startswith("replay recover-payments COMPLETED: events from ")
    assert "of archive TaskCreator-archive replayed onto bus 'default' (1 bus rule)" in out
    assert "replay: recover-payments COMPLETED" in err
    assert "to 1 rule (TaskCreator-bus-rule)" in err
    (replayed,) = take_ingest_bodies(moto_endpoint, topology)
    assert replayed["replay-name"] == "recover-payments"
    assert replayed["detail"] == sample("eventbridge-payment-failed.json")["detail"]
    described = moto_endpoint.events().describe_replay(ReplayName="recover-payments")
    assert described["Destination"] == {"Arn": BUS_ARN, "FilterArns": topology.bus_rule_arns}
    assert topology.archive is not None
    assert described["EventSourceArn"] == topology.archive.arn


def test_replay_takes_the_rules_named_and_the_archive_named(moto_endpoint: EmbeddedAws) -> None:
    topology = provision(moto_endpoint)
    assert topology.archive is not None

    code, _, err = run_cli(
        "replay",
        "--from=-30m",
        "--to",
        "now",
        "--archive",
        topology.archive.arn,
        "--rule-arn",
        f"{RULE_ARN},{RULE_ARN}",
        "--name",
        "named",
    )

    assert code == 0, err
    destination = moto_endpoint.events().describe_replay(ReplayName="named")["Destination"]
    assert destination["FilterArns"] == [RULE_ARN]


def test_replay_without_an_archive_on_the_bus_says_how_to_get_one(moto_endpoint: EmbeddedAws) -> None:
    provision(moto_endpoint, archiveDays=0)

    code, out, err = run_cli("replay", "--from", "1h")

    assert (code, out) == (1, "")
    assert err == (
        "error: bus 'default' has no archive: deploy the stack with -c archiveDays=N (N > 0), "
        "or name one with --archive ARN\n"
    )


def test_replay_of_an_archive_that_does_not_exist_is_one_line(moto_endpoint: EmbeddedAws) -> None:
    provision(moto_endpoint)

    code, _, err = run_cli("replay", "--from", "1h", "--archive", "arn:aws:events:us-east-1:1:archive/gone")

    assert code == 1
    assert err.startswith(
        "error: archive 'gone' does not exist here: list them with `aws events list-archives`"
    )
    assert err.count("\n") == 1


def test_replay_with_several_archives_on_the_bus_asks_which(moto_endpoint: EmbeddedAws) -> None:
    provision(moto_endpoint)
    moto_endpoint.events().create_archive(ArchiveName="another-archive", EventSourceArn=BUS_ARN)

    code, _, err = run_cli("replay", "--from", "1h")

    assert code == 1
    assert err == (
        "error: bus 'default' has 2 archives (TaskCreator-archive, another-archive): "
        "choose one with --archive\n"
    )


def test_replay_refuses_a_bus_without_task_creator_rules_unless_told_which(
    moto_endpoint: EmbeddedAws,
) -> None:
    moto_endpoint.events().create_archive(ArchiveName="someone-elses", EventSourceArn=BUS_ARN)

    code, _, err = run_cli("replay", "--from", "1h")

    assert code == 1
    assert err == (
        "error: no Task Creator bus rule on bus 'default': name the rules with --rule-arn "
        "(the stack's IngestRuleArns output)\n"
    )


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--from", "now", "--to", "1h"], "error: --from (2026-"),
        (["--from", "yesterday"], "error: --from 'yesterday' is not a time: give ISO-8601"),
        (["--from", "1h", "--to", "2026-13-01"], "error: --to '2026-13-01' is not a time"),
        (["--from", "1h", "--name", "no spaces"], "error: --name 'no spaces' is not a replay name"),
        (
            ["--from", "1h", "--rule-arn", "TaskCreator-bus-rule"],
            "error: --rule-arn 'TaskCreator-bus-rule' is not",
        ),
    ],
)
def test_replay_refuses_a_bad_window_or_name_in_one_line_before_calling_aws(
    arguments: list[str], message: str
) -> None:
    code, out, err = run_cli("replay", *arguments)  # no moto: nothing may be called

    assert (code, out) == (2, "")
    assert err.startswith(message)
    assert err.count("\n") == 1


def test_replay_times_are_iso_8601_or_that_long_ago() -> None:
    assert parse_time("2026-11-23T14:05:00Z", now=NOW, option="--from") == datetime(
        2026, 11, 23, 14, 5, tzinfo=UTC
    )
    assert parse_time("2026-11-23T14:05", now=NOW, option="--from") == datetime(
        2026, 11, 23, 14, 5, tzinfo=UTC
    )
    assert parse_time("2026-11-23", now=NOW, option="--from") == datetime(2026, 11, 23, tzinfo=UTC)
    assert parse_time("15m", now=NOW, option="--from") == NOW - timedelta(minutes=15)
    assert parse_time("-2h", now=NOW, option="--from") == NOW - timedelta(hours=2)
    assert parse_time("1d", now=NOW, option="--from") == NOW - timedelta(days=1)
    assert parse_time("now", now=NOW, option="--to") == NOW
    with pytest.raises(UsageError):
        parse_time("-15", now=NOW, option="--from")


# --- the states moto never reaches: a replay that runs for a while, and one that fails -----------------


def replay_args(**overrides: Any) -> argparse.Namespace:
    values = {
        "start": "2026-11-23T14:00:00Z",
        "end": "2026-11-23T14:30:00Z",
        "archive": ARCHIVE_ARN,
        "bus": "default",
        "rule_arn": [RULE_ARN],
        "name": "recover",
        "poll_seconds": 0.0,
    }
    return argparse.Namespace(**{**values, **overrides})


def stubbed_events(*states: dict[str, Any]) -> tuple[Any, Stubber]:
    events = boto3.client("events", region_name="us-east-1")
    stubber = Stubber(events)
    stubber.add_response(
        "describe_archive",
        {
            "ArchiveName": "TaskCreator-archive",
            "ArchiveArn": ARCHIVE_ARN,
            "EventSourceArn": BUS_ARN,
            "State": "ENABLED",
            "RetentionDays": 7,
            "CreationTime": datetime(2026, 11, 1, tzinfo=UTC),
        },
        {"ArchiveName": "TaskCreator-archive"},
    )
    stubber.add_response(
        "start_replay",
        {"ReplayArn": "arn:aws:events:us-east-1:123456789012:replay/recover", "State": "STARTING"},
        {
            "ReplayName": "recover",
            "Description": ANY,
            "EventSourceArn": ARCHIVE_ARN,
            "EventStartTime": datetime(2026, 11, 23, 14, 0, tzinfo=UTC),
            "EventEndTime": datetime(2026, 11, 23, 14, 30, tzinfo=UTC),
            "Destination": {"Arn": BUS_ARN, "FilterArns": [RULE_ARN]},
        },
    )
    for state in states:
        stubber.add_response("describe_replay", state, {"ReplayName": "recover"})
    return events, stubber


def test_replay_prints_its_progress_until_it_completes() -> None:
    events, stubber = stubbed_events(
        {"State": "STARTING"},
        {"State": "RUNNING", "EventLastReplayedTime": datetime(2026, 11, 23, 14, 10, tzinfo=UTC)},
        {"State": "RUNNING", "EventLastReplayedTime": datetime(2026, 11, 23, 14, 10, tzinfo=UTC)},
        {"State": "RUNNING", "EventLastReplayedTime": datetime(2026, 11, 23, 14, 29, tzinfo=UTC)},
        {"State": "COMPLETED", "EventLastReplayedTime": datetime(2026, 11, 23, 14, 29, tzinfo=UTC)},
    )
    out, err = io.StringIO(), io.StringIO()

    with stubber:
        code = run_replay(events, replay_args(), out, err, now=NOW)

    assert code == 0
    stubber.assert_no_pending_responses()
    progress = [line for line in err.getvalue().splitlines() if line.startswith("replay: recover ")]
    assert progress == [
        "replay: recover STARTING",
        "replay: recover RUNNING, replayed up to 2026-11-23T14:10:00Z",
        "replay: recover RUNNING, replayed up to 2026-11-23T14:29:00Z",
        "replay: recover COMPLETED, replayed up to 2026-11-23T14:29:00Z",
    ]
    assert out.getvalue().startswith(
        "replay recover COMPLETED: events from 2026-11-23T14:00:00Z to 2026-11-23T14:30:00Z"
    )


@pytest.mark.parametrize("state", ["FAILED", "CANCELLED"])
def test_replay_that_does_not_complete_fails_with_its_reason(state: str) -> None:
    events, stubber = stubbed_events(
        {"State": "RUNNING"}, {"State": state, "StateReason": "the archive's KMS key is disabled"}
    )

    with stubber, pytest.raises(CliError) as raised:
        run_replay(events, replay_args(), io.StringIO(), io.StringIO(), now=NOW)

    assert raised.value.exit_code == 1
    assert (
        raised.value.report() == f"error: replay recover ended {state}: the archive's KMS key is disabled\n"
    )


def test_replay_with_a_name_taken_already_asks_for_another() -> None:
    events = boto3.client("events", region_name="us-east-1")
    stubber = Stubber(events)
    stubber.add_response(
        "describe_archive",
        {"ArchiveName": "TaskCreator-archive", "ArchiveArn": ARCHIVE_ARN, "EventSourceArn": BUS_ARN},
    )
    stubber.add_client_error(
        "start_replay", "ResourceAlreadyExistsException", "Replay recover already exists."
    )

    with stubber, pytest.raises(CliError) as raised:
        run_replay(events, replay_args(), io.StringIO(), io.StringIO(), now=NOW)

    assert (
        raised.value.report()
        == "error: a replay named 'recover' exists already: choose another with --name\n"
    )


def test_replay_on_a_bus_shared_by_two_deployments_asks_which_rules(moto_endpoint: EmbeddedAws) -> None:
    topology = provision(moto_endpoint)
    provision(moto_endpoint, stackName="Other", tokenNamespace="Other")
    assert topology.archive is not None

    code, _, err = run_cli("replay", "--from", "1h", "--archive", topology.archive.name)

    assert code == 1
    assert err == (
        "error: bus 'default' carries the bus rules of 2 Task Creator deployments (ingest queues "
        "Other-ingest, TaskCreator-ingest): name one deployment's rules with --rule-arn (its stack's "
        "IngestRuleArns output)\n"
    )
