"""What the benchmarks feed the function, and the deployments they measure.

Every event is the sample ``events/eventbridge-order-delayed.json`` with a unique id and order id: one
rule (``order-delayed``) matches it, so each event becomes exactly one task. Two deployments, both the
stack's defaults (``infra.config``) on the create rules of the shipped mapping (``tests.support``'s
``create_rules_only``, written to a file, since the function reads its mapping from ``MAPPING_FILE``):

- ``LEDGER``: with the idempotency ledger (the stack's default): per task, one StartTaskContact and the
  ledger's PutItem and UpdateItem.
- ``LEAN``: ``idempotency=false``: per task, one StartTaskContact and nothing else the naive peer does not
  do too (but one PutEvents per batch: the outcome events, on by default). The per-record figures compare
  the same external work this way.

The lifecycle rules (a ``taskKey``: three more DynamoDB calls per task) are left out of both: moto
answers DynamoDB one call at a time, ~6 ms each, which would cap the offline pipeline near 30 tasks/s.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from infra.config import TaskCreatorConfig
from local.event_source import lambda_sqs_event
from local.identifiers import LOCAL_CONTACT_FLOW_ID, LOCAL_INSTANCE_ID, LOCAL_REGION
from tests.support import SHIPPED_MAPPING_FILE, load_event

if TYPE_CHECKING:
    from mypy_boto3_sqs.type_defs import MessageTypeDef

SAMPLE_EVENT = "eventbridge-order-delayed.json"
BATCH_SIZE = 10
LEDGER = "ledger"
LEAN = "lean"
BENCH_STACK_NAME = "TaskCreatorBench"
BENCH_QUEUE_ARN = f"arn:aws:sqs:{LOCAL_REGION}:123456789012:{BENCH_STACK_NAME}-ingest"
# The fleet-wide Connect budget the stack is given when the emulator has no quota: far above what any
# run asks for, so a rate the stack derives from it (or a default of its own) never paces those runs.
FLEET_RATE_CONTEXT_KEY = "connectRequestsPerSecond"
UNLIMITED_FLEET_RATE = 1_000.0


def order_event(key: str) -> dict[str, Any]:
    """The sample event as a new order: its own event id and order id (hence its own ClientToken)."""
    event: dict[str, Any] = copy.deepcopy(load_event(SAMPLE_EVENT))
    event["id"] = f"bench-{key}"
    event["detail"]["orderId"] = f"ORD-{key}"
    return event


def order_events(count: int, prefix: str) -> Iterator[dict[str, Any]]:
    for index in range(count):
        yield order_event(f"{prefix}-{index}")


def sqs_batch(events: Sequence[dict[str, Any]], prefix: str) -> dict[str, Any]:
    """The SQS event Lambda would hand the function for these events (``local.event_source``'s shape)."""
    messages: list[MessageTypeDef] = [
        {
            "MessageId": f"{prefix}-{index}",
            "ReceiptHandle": f"rh-{prefix}-{index}",
            "Body": json.dumps(event),
            "Attributes": {"ApproximateReceiveCount": "1", "SentTimestamp": "1763906700000"},
            "MD5OfBody": "",
        }
        for index, event in enumerate(events)
    ]
    return lambda_sqs_event(messages, BENCH_QUEUE_ARN, LOCAL_REGION)


def sqs_batches(count: int, prefix: str) -> list[dict[str, Any]]:
    """``count`` batches of ``BATCH_SIZE`` new orders each."""
    return [
        sqs_batch(list(order_events(BATCH_SIZE, f"{prefix}-{batch}")), f"{prefix}-{batch}")
        for batch in range(count)
    ]


def write_create_rules_mapping(directory: Path) -> Path:
    """The shipped mapping's create rules, without their taskKey (``tests.support.create_rules_only``),
    as a file for ``MAPPING_FILE``."""
    document = json.loads(SHIPPED_MAPPING_FILE.read_text(encoding="utf-8"))
    document.pop("$schema", None)
    document["rules"] = [rule for rule in document["rules"] if rule.get("action", "create") == "create"]
    for rule in document["rules"]:
        rule.pop("taskKey", None)
    path = directory / "create-rules.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


def bench_config(deployment: str, mapping_file: Path, **context: Any) -> TaskCreatorConfig:
    """The stack's configuration for ``deployment`` (LEDGER or LEAN), with ``context`` on top."""
    values: dict[str, Any] = {
        FLEET_RATE_CONTEXT_KEY: UNLIMITED_FLEET_RATE,
        "connectInstanceId": LOCAL_INSTANCE_ID,
        "contactFlowId": LOCAL_CONTACT_FLOW_ID,
        "stackName": BENCH_STACK_NAME,
        "mappingFile": str(mapping_file),
        "idempotency": deployment == LEDGER,
        "tracing": False,  # no X-Ray offline; the Tracer's cold-start cost is measured on its own
        **context,
    }
    return TaskCreatorConfig.from_context(values.get)
