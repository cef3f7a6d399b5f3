"""infra.stack_values: the numbers, names and function environment shared by the stack and local/."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import pytest

from infra.config import TaskCreatorConfig
from infra.paths import REPO_ROOT
from infra.stack_values import (
    CONTEXT_KEY_OF_VARIABLE,
    QueueNames,
    function_environment,
    ingest_visibility_timeout_seconds,
)

pytestmark = pytest.mark.unit

INSTANCE_ID = "11111111-2222-3333-4444-555555555555"


def config(**context: Any) -> TaskCreatorConfig:
    return TaskCreatorConfig.from_context({"connectInstanceId": INSTANCE_ID, **context}.get)


def test_module_imports_no_cdk_so_the_offline_runtime_can_use_it() -> None:
    probe = (
        "import sys, infra.stack_values, local.topology, local.pipeline, local.lambda_context; "
        "print(sorted(m for m in sys.modules if m.startswith(('aws_cdk', 'constructs', 'jsii'))))"
    )
    completed = subprocess.run(
        [sys.executable, "-c", probe], cwd=REPO_ROOT, capture_output=True, text=True, check=True
    )

    assert completed.stdout.strip() == "[]"


def test_queue_names_follow_the_stack_name() -> None:
    assert QueueNames.for_stack("Orders", fifo=False) == QueueNames(
        ingest="Orders-ingest", dead_letter="Orders-dlq", delivery_dead_letter=None
    )
    assert QueueNames.for_stack("Orders", fifo=True) == QueueNames(
        ingest="Orders-ingest.fifo",
        dead_letter="Orders-dlq.fifo",
        delivery_dead_letter="Orders-delivery-dlq",
    )


def test_visibility_timeout_is_six_function_timeouts_plus_the_batching_window() -> None:
    assert ingest_visibility_timeout_seconds(0) == 180
    assert ingest_visibility_timeout_seconds(5) == 185


def test_environment_carries_the_deployment_settings() -> None:
    environment = function_environment(
        config(contactFlowId="flow-1", stackName="Orders", logLevel="debug"),
        dlq_url="https://sqs/dlq",
        ledger_table_name="ledger",
    )

    assert environment == {
        "CONNECT_INSTANCE_ID": INSTANCE_ID,
        "CONNECT_CONTACT_FLOW_ID": "flow-1",
        "DLQ_URL": "https://sqs/dlq",
        "IDEMPOTENCY_TABLE": "ledger",
        "IDEMPOTENCY_EXPIRY_DAYS": "21",
        "MAX_PARALLEL_CALLS": "5",
        "TOKEN_NAMESPACE": "Orders",
        "POWERTOOLS_SERVICE_NAME": "Orders",
        "POWERTOOLS_METRICS_NAMESPACE": "TaskCreator",
        "POWERTOOLS_LOG_LEVEL": "DEBUG",
        "POWERTOOLS_TRACE_DISABLED": "false",
    }


def test_environment_leaves_out_what_the_deployment_does_not_have() -> None:
    environment = function_environment(
        config(tracing="false", connectCallsPerSecond="0.5"), dlq_url="dlq", ledger_table_name=None
    )

    assert "CONNECT_CONTACT_FLOW_ID" not in environment
    assert "IDEMPOTENCY_TABLE" not in environment
    assert "IDEMPOTENCY_EXPIRY_DAYS" not in environment
    assert "RETRY_BASE_DELAY_SECONDS" not in environment  # the stack keeps the function's own backoff
    assert environment["POWERTOOLS_TRACE_DISABLED"] == "true"
    assert environment["CONNECT_CALLS_PER_SECOND"] == "0.5"


def test_every_variable_the_stack_sets_is_traced_to_its_context_key_or_to_the_stack() -> None:
    environment = function_environment(
        config(contactFlowId="flow-1", connectCallsPerSecond="2"), dlq_url="dlq", ledger_table_name="ledger"
    )

    assert set(environment) == set(CONTEXT_KEY_OF_VARIABLE)
