"""``python -m local invoke | redrive | emulator``: the commands that run the function, move messages or
serve, against moto and the Connect emulator on loopback."""

from __future__ import annotations

import itertools
import json
import os
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
from mypy_boto3_sqs.literals import QueueAttributeNameType
from mypy_boto3_sqs.type_defs import MessageTypeDef

from local.aws import EmbeddedAws
from local.cli.invoke import Target, choose_target
from local.connect_emulator import ConnectEmulator
from local.redrive import MOVE_TASK, redrive
from local.redrive_copy import CopyOptions
from tests.integration.pipeline_support import run_cli, run_cli_process
from tests.support import EVENTS_DIR, REPO_ROOT, SHIPPED_MAPPING_FILE

# --- invoke -------------------------------------------------------------------------------------------


@pytest.fixture
def no_target_in_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("CONNECT_INSTANCE_ID", "AWS_ENDPOINT_URL_CONNECT", "MAPPING_FILE"):
        monkeypatch.delenv(name, raising=False)


@pytest.mark.usefixtures("no_target_in_environment", "embedded_aws")  # embedded_aws: a clean moto
def test_invoke_runs_the_real_handler_locally_and_shows_tasks_and_dead_letters() -> None:
    code, out, err = run_cli("invoke", str(EVENTS_DIR / "sqs-raw-payloads.json"), "--quiet")

    assert code == 0
    assert "invoking the function locally" in err
    response = json.loads(out.split("Tasks Connect received")[0].removeprefix("Response:\n"))
    assert response == {"batchItemFailures": []}
    assert "Tasks Connect received: 2" in out
    assert '"Name": "Call back Ana Silva"' in out
    assert "Dead letters: 0" in out


def without_lifecycle_rules(directory: Path) -> Path:
    """The shipped mapping without its lifecycle rules and task keys: runnable with no ledger table."""
    mapping = json.loads(SHIPPED_MAPPING_FILE.read_text())
    mapping["rules"] = [rule for rule in mapping["rules"] if rule.get("action", "create") == "create"]
    for rule in mapping["rules"]:
        rule.pop("taskKey", None)
    path = directory / "mapping.json"
    path.write_text(json.dumps(mapping))
    return path


@pytest.mark.usefixtures("no_target_in_environment")
def test_invoke_uses_the_connect_endpoint_in_the_environment(
    connect_emulator: ConnectEmulator, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL_CONNECT", connect_emulator.endpoint_url)
    mapping = without_lifecycle_rules(tmp_path)  # no IDEMPOTENCY_TABLE in this environment

    code, out, err = run_cli(
        "invoke", str(EVENTS_DIR / "eventbridge-order-delayed.json"), "--quiet", "--mapping", str(mapping)
    )

    assert code == 0
    assert "the endpoints in your environment" in err
    summary = json.loads(out.removeprefix("Response:\n"))
    assert [task["rule"] for task in summary["tasks"]] == ["order-delayed"]
    (task,) = connect_emulator.tasks()
    assert task.contact_id == summary["tasks"][0]["contactId"]


@pytest.mark.usefixtures("no_target_in_environment")
def test_invoke_with_lifecycle_rules_and_no_ledger_table_says_so_in_one_line(
    connect_emulator: ConnectEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL_CONNECT", connect_emulator.endpoint_url)

    code, out, err = run_cli("invoke", str(EVENTS_DIR / "eventbridge-order-delivered.json"), "--quiet")

    assert (code, out) == (2, "")
    assert "IDEMPOTENCY_TABLE is required: the mapping has lifecycle rules" in err
    assert connect_emulator.tasks() == []


def test_invoke_reaches_real_aws_only_with_credentials_and_an_instance_and_no_connect_endpoint() -> None:
    with_instance = {
        "CONNECT_INSTANCE_ID": "11111111-2222-3333-4444-555555555555"
    }  # + the fixture's credentials

    assert choose_target({}, force_local=False) is Target.LOCAL
    assert choose_target(with_instance, force_local=False) is Target.AWS
    assert choose_target(with_instance, force_local=True) is Target.LOCAL
    assert (
        choose_target(
            {**with_instance, "AWS_ENDPOINT_URL_CONNECT": "http://127.0.0.1:4599"}, force_local=False
        )
        is Target.ENDPOINTS
    )


def test_invoke_refuses_a_bare_payload() -> None:
    code, _, err = run_cli("invoke", str(EVENTS_DIR / "payloads" / "callback-request.json"))

    assert code == 2
    assert "not a Lambda invocation" in err


# --- redrive ------------------------------------------------------------------------------------------


def make_queue(aws: EmbeddedAws, name: str) -> str:
    attributes: dict[QueueAttributeNameType, str] = {"FifoQueue": "true"} if name.endswith(".fifo") else {}
    return aws.sqs().create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]


def queue_contents(aws: EmbeddedAws, queue_url: str) -> list[tuple[str, dict[str, Any], str | None]]:
    """(body, message attributes, group id) of every message, in order."""
    contents = []
    while (
        messages := aws.sqs()
        .receive_message(
            QueueUrl=queue_url, MaxNumberOfMessages=10, AttributeNames=["All"], MessageAttributeNames=["All"]
        )
        .get("Messages", [])
    ):
        contents += [
            (m["Body"], m.get("MessageAttributes", {}), m.get("Attributes", {}).get("MessageGroupId"))
            for m in messages
        ]
    return contents


@pytest.fixture
def sqs_at_moto(embedded_aws: EmbeddedAws, monkeypatch: pytest.MonkeyPatch) -> EmbeddedAws:
    monkeypatch.setenv("AWS_ENDPOINT_URL_SQS", embedded_aws.endpoint_url)
    return embedded_aws


def test_redrive_copies_messages_back_keeping_body_and_attributes_when_move_tasks_are_unsupported(
    sqs_at_moto: EmbeddedAws,
) -> None:
    dlq, ingest = make_queue(sqs_at_moto, "dlq"), make_queue(sqs_at_moto, "ingest")
    sent = []
    for index in range(12):
        attributes = {
            "source": {"DataType": "String", "StringValue": "crm.legacy"},
            "ErrorType": {"DataType": "String", "StringValue": "ResourceNotFoundException"},
        }
        body = json.dumps({"requestId": f"CB-{index}"})
        sqs_at_moto.sqs().send_message(QueueUrl=dlq, MessageBody=body, MessageAttributes=attributes)  # type: ignore[arg-type]
        sent.append((body, attributes, None))

    code, out, err = run_cli("redrive", "--dlq", dlq, "--to", ingest, "--wait-seconds", "1")

    assert code == 0, err
    assert "moved 12 messages" in out
    assert "StartMessageMoveTask is not supported by this endpoint" in out
    assert sorted(queue_contents(sqs_at_moto, ingest), key=str) == sorted(sent, key=str)
    assert queue_contents(sqs_at_moto, dlq) == []


def test_redrive_copy_keeps_fifo_message_groups_in_order(sqs_at_moto: EmbeddedAws) -> None:
    dlq, ingest = make_queue(sqs_at_moto, "dlq.fifo"), make_queue(sqs_at_moto, "ingest.fifo")
    for group, sequence in [("SHP-1", 1), ("SHP-2", 1), ("SHP-1", 2)]:
        sqs_at_moto.sqs().send_message(
            QueueUrl=dlq,
            MessageBody=f"{group}/{sequence}",
            MessageGroupId=group,
            MessageDeduplicationId=f"{group}-{sequence}",
        )

    code, out, _ = run_cli("redrive", "--dlq", dlq, "--to", ingest, "--copy", "--wait-seconds", "1")

    assert code == 0
    assert "as asked (--copy)" in out
    moved = queue_contents(sqs_at_moto, ingest)
    assert [body for body, _, group in moved if group == "SHP-1"] == ["SHP-1/1", "SHP-1/2"]
    assert {group for _, _, group in moved} == {"SHP-1", "SHP-2"}


def test_redrive_from_a_queue_that_does_not_exist_fails_in_one_line(sqs_at_moto: EmbeddedAws) -> None:
    ingest = make_queue(sqs_at_moto, "ingest")

    code, out, err = run_cli(
        "redrive", "--dlq", f"{sqs_at_moto.endpoint_url}/123456789012/nope", "--to", ingest
    )

    assert code == 1
    assert out == ""
    assert err.startswith("error: cannot find queue ")
    assert len(err.splitlines()) == 1


# --- redrive: refuses a loop, paces, and does not stop early ------------------------------------------


def send(aws: EmbeddedAws, queue_url: str, bodies: list[str], *, delay_seconds: int = 0) -> None:
    for body in bodies:
        aws.sqs().send_message(
            QueueUrl=queue_url,
            MessageBody=body,
            DelaySeconds=delay_seconds,
            MessageAttributes={"EventId": {"DataType": "String", "StringValue": f"id-{body}"}},
        )


def drain(aws: EmbeddedAws, queue_url: str) -> list[MessageTypeDef]:
    """Every message (with its SQS attributes), received and deleted."""
    messages: list[MessageTypeDef] = []
    while (
        batch := aws.sqs()
        .receive_message(
            QueueUrl=queue_url, MaxNumberOfMessages=10, AttributeNames=["All"], WaitTimeSeconds=1
        )
        .get("Messages", [])
    ):
        messages += batch
        for message in batch:
            aws.sqs().delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
    return messages


def test_redrive_refuses_to_move_a_queue_into_itself(sqs_at_moto: EmbeddedAws) -> None:
    dlq = make_queue(sqs_at_moto, "dlq")
    send(sqs_at_moto, dlq, ["a", "b", "c"])

    result = run_cli_process("redrive", "--dlq", dlq, "--to", dlq, timeout=20)  # before: looped forever

    assert result.returncode == 1
    assert len(result.stderr.splitlines()) == 1
    assert result.stderr.startswith("error: the DLQ and the destination are the same queue")
    assert "would never end" in result.stderr
    assert sorted(message["Body"] for message in drain(sqs_at_moto, dlq)) == ["a", "b", "c"]


def test_redrive_waits_for_messages_a_momentarily_empty_receive_did_not_show(
    sqs_at_moto: EmbeddedAws,
) -> None:
    dlq, ingest = make_queue(sqs_at_moto, "dlq"), make_queue(sqs_at_moto, "ingest")
    send(sqs_at_moto, dlq, ["a", "b", "c"], delay_seconds=2)  # counted as delayed, not yet visible

    code, out, err = run_cli("redrive", "--dlq", dlq, "--to", ingest)  # the default long poll: 5 s

    assert code == 0, err
    assert "moved 3 messages" in out
    assert sorted(message["Body"] for message in drain(sqs_at_moto, ingest)) == ["a", "b", "c"]


def test_redrive_copies_at_most_rate_messages_a_second(sqs_at_moto: EmbeddedAws) -> None:
    dlq, ingest = make_queue(sqs_at_moto, "dlq"), make_queue(sqs_at_moto, "ingest")
    send(sqs_at_moto, dlq, ["a", "b", "c", "d"])

    code, out, err = run_cli("redrive", "--dlq", dlq, "--to", ingest, "--rate", "4", "--wait-seconds", "1")

    assert code == 0, err
    assert "moved 4 messages" in out
    sent_at = sorted(int(message["Attributes"]["SentTimestamp"]) for message in drain(sqs_at_moto, ingest))
    assert len(sent_at) == 4
    assert all(later - earlier >= 240 for earlier, later in itertools.pairwise(sent_at))


def test_redrive_passes_the_rate_to_the_message_move_task() -> None:
    sqs = boto3.client("sqs", region_name="us-east-1")
    dlq, ingest = (
        "https://sqs.us-east-1.amazonaws.com/123456789012/dlq",
        "https://sqs.us-east-1.amazonaws.com/123456789012/in",
    )
    with Stubber(sqs) as stub:
        for url in (dlq, ingest):
            stub.add_response(
                "get_queue_attributes",
                {"Attributes": {"QueueArn": f"arn:aws:sqs:us-east-1:123456789012:{url.rsplit('/', 1)[1]}"}},
                {"QueueUrl": url, "AttributeNames": ["QueueArn"]},
            )
        stub.add_response(
            "start_message_move_task",
            {"TaskHandle": "handle-1"},
            {
                "SourceArn": "arn:aws:sqs:us-east-1:123456789012:dlq",
                "DestinationArn": "arn:aws:sqs:us-east-1:123456789012:in",
                "MaxNumberOfMessagesPerSecond": 2,
            },
        )

        result = redrive(sqs, dlq, ingest, options=CopyOptions(rate=2))

        stub.assert_no_pending_responses()
    assert result.method == MOVE_TASK
    assert result.task_handle == "handle-1"


def test_redrive_does_not_move_an_event_again_when_it_is_dead_lettered_again(
    sqs_at_moto: EmbeddedAws,
) -> None:
    dlq, ingest = make_queue(sqs_at_moto, "dlq"), make_queue(sqs_at_moto, "ingest")
    send(sqs_at_moto, dlq, ["a", "b", "c"])
    moves: list[int] = []

    def function_dead_letters_it_again(count: int) -> None:  # the fix did not work
        moves.append(count)
        assert count <= 3, "moved the same events again: the redrive would never end"
        (message,) = drain(sqs_at_moto, ingest)
        send(sqs_at_moto, dlq, [message["Body"]])

    result = redrive(
        sqs_at_moto.sqs(),
        dlq,
        ingest,
        copy=True,
        options=CopyOptions(wait_seconds=1),
        on_moved=function_dead_letters_it_again,
    )

    assert (result.moved, result.returned, result.left) == (3, 3, None)
    assert sorted(message["Body"] for message in drain(sqs_at_moto, dlq)) == ["a", "b", "c"]  # visible again


def test_redrive_rejects_a_rate_it_cannot_keep(sqs_at_moto: EmbeddedAws) -> None:
    dlq, ingest = make_queue(sqs_at_moto, "dlq"), make_queue(sqs_at_moto, "ingest")

    result = run_cli_process("redrive", "--dlq", dlq, "--to", ingest, "--rate", "0")

    assert result.returncode == 2
    assert "argument --rate: 0 is not from 1 to 500" in result.stderr


# --- emulator -----------------------------------------------------------------------------------------


def test_emulator_command_serves_until_terminated() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "local", "emulator", "--port", "0"],
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert process.stdout is not None
        first_line = process.stdout.readline()
        endpoint = first_line.rsplit(" ", 1)[-1].strip()
        with urllib.request.urlopen(f"{endpoint}/_emulator/counters", timeout=10) as response:
            counters = json.loads(response.read())
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
    assert first_line.startswith("Amazon Connect emulator listening on http://127.0.0.1:")
    assert counters["calls"] == 0
    assert process.returncode == 0
