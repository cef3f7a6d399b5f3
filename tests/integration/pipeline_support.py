"""Fixtures and helpers for the offline pipeline and CLI tests (tests/integration/test_pipeline*.py,
test_cli*.py).

The fixtures are registered in ``conftest.py``: ``embedded_aws`` (moto's server for the session, reset for
each test that asks for it), ``make_pipeline`` (a deployment provisioned from CDK context values, its
function aimed at the ``connect_emulator``), ``function_outcomes`` (what the function logged).
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

import pytest

from infra.config import TaskCreatorConfig
from local.aws import EmbeddedAws
from local.cli import main
from local.connect_emulator import ConnectEmulator, TaskRecord
from local.function_output import OutcomeRecorder, captured_function_output
from local.identifiers import LOCAL_CONNECT_REQUESTS_PER_SECOND, LOCAL_CONTACT_FLOW_ID, LOCAL_INSTANCE_ID
from local.pipeline import LocalPipeline, PipelineOptions
from local.redrive import QueueMessage, inspect_queue
from tests.support import EVENTS_DIR, REPO_ROOT

# Fast but faithful: failed records come back after 1 s, and the function is configured (through its
# environment, as a user would) to wait 1 s before a retry.
FAST = PipelineOptions(visibility_timeout_seconds=1, retry_base_delay_seconds=1, retry_max_delay_seconds=1)
DRAIN_TIMEOUT_SECONDS = 30.0


@pytest.fixture(scope="session")
def _embedded_aws_session() -> Iterator[EmbeddedAws]:
    with EmbeddedAws() as aws:
        yield aws


@pytest.fixture
def embedded_aws(_embedded_aws_session: EmbeddedAws) -> EmbeddedAws:
    """moto on loopback, emptied for this test."""
    _embedded_aws_session.reset()
    return _embedded_aws_session


def deployment_config(**context: Any) -> TaskCreatorConfig:
    """A deployment's settings from CDK context values (the local Connect instance and flow, and the
    offline rate budget, by default)."""
    values = {
        "connectInstanceId": LOCAL_INSTANCE_ID,
        "contactFlowId": LOCAL_CONTACT_FLOW_ID,
        "connectRequestsPerSecond": LOCAL_CONNECT_REQUESTS_PER_SECOND,
        **context,
    }
    return TaskCreatorConfig.from_context(values.get)


@pytest.fixture
def make_pipeline(
    embedded_aws: EmbeddedAws, connect_emulator: ConnectEmulator
) -> Callable[..., LocalPipeline]:
    """``make_pipeline(maxReceiveCount=2, fifo=True, ...)``: a provisioned deployment, fast options."""

    def build(*, options: PipelineOptions = FAST, **context: Any) -> LocalPipeline:
        return LocalPipeline.provision(
            embedded_aws, connect_emulator.endpoint_url, deployment_config(**context), options
        )

    return build


@pytest.fixture
def function_outcomes() -> Iterator[OutcomeRecorder]:
    """The function's outcomes while the test runs (its log lines are kept out of the test output)."""
    with captured_function_output(io.StringIO()) as recorder:
        yield recorder


def drain(pipeline: LocalPipeline) -> None:
    pipeline.drain(timeout_seconds=DRAIN_TIMEOUT_SECONDS)


def sample(name: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads((EVENTS_DIR / name).read_text(encoding="utf-8"))
    return document


def put_event(aws: EmbeddedAws, pipeline: LocalPipeline, event: dict[str, Any]) -> str:
    """PutEvents on the deployment's bus (with the event's time); returns the id EventBridge assigned."""
    response = aws.events().put_events(
        Entries=[
            {
                "Source": event["source"],
                "DetailType": event["detail-type"],
                "Detail": json.dumps(event["detail"]),
                "Resources": event.get("resources", []),
                "Time": datetime.fromisoformat(event["time"]),
                "EventBusName": pipeline.topology.event_bus_name,
            }
        ]
    )
    event_id: str = response["Entries"][0]["EventId"]
    return event_id


def send_message(aws: EmbeddedAws, pipeline: LocalPipeline, body: str, **request: Any) -> str:
    """SendMessage to the deployment's (standard) ingest queue; returns SQS's message id."""
    response = aws.sqs().send_message(
        QueueUrl=pipeline.topology.ingest_queue.url, MessageBody=body, **request
    )
    return response["MessageId"]


def send_fifo_message(aws: EmbeddedAws, pipeline: LocalPipeline, body: str, **request: Any) -> str:
    """SendMessage to the deployment's FIFO ingest queue (``fifo=true``); returns SQS's message id."""
    queue = pipeline.topology.fifo_ingest_queue
    assert queue is not None, "the deployment has no FIFO ingest queue: deploy it with fifo=true"
    return aws.sqs().send_message(QueueUrl=queue.url, MessageBody=body, **request)["MessageId"]


def dead_letters(aws: EmbeddedAws, pipeline: LocalPipeline) -> list[QueueMessage]:
    return inspect_queue(aws.sqs(), pipeline.topology.dead_letter_queue.url)


def task_names(tasks: list[TaskRecord]) -> list[str]:
    return [str(task.request["Name"]) for task in tasks]


# --- the command line ---------------------------------------------------------------------------------


def run_cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def run_cli_process(*argv: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "local", *argv],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
