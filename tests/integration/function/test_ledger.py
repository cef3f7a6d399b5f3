"""The idempotency ledger on DynamoDB (moto): at most one Connect call per ClientToken."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest

from task_creator.adapters.ledger import TaskLedger
from task_creator.errors import ConnectUnavailable, TaskInProgress
from tests.integration.function.conftest import FunctionUnderTest, LambdaContext


@pytest.fixture
def ledger(function: FunctionUnderTest, context: LambdaContext) -> TaskLedger:
    ledger = TaskLedger(
        function.ledger_table,
        dynamodb_client=function.dynamodb,
        key_prefix="tests",
        expiry=timedelta(days=21),
    )
    ledger.register_lambda_context(context)
    return ledger


def test_a_token_seen_before_skips_the_call_and_returns_the_stored_contact(ledger: TaskLedger):
    calls: list[str] = []

    def start() -> str:
        calls.append("called")
        return "contact-1"

    first = ledger.start_once("tc1-abc", start)
    second = ledger.start_once("tc1-abc", start)

    assert (first.contact_id, first.duplicate) == ("contact-1", False)
    assert (second.contact_id, second.duplicate) == ("contact-1", True)
    assert len(calls) == 1


def test_a_failed_call_leaves_no_record_so_the_retry_runs(ledger: TaskLedger):
    def fails() -> str:
        raise ConnectUnavailable("InternalServiceException", "boom")

    with pytest.raises(ConnectUnavailable):
        ledger.start_once("tc1-abc", fails)

    assert ledger.start_once("tc1-abc", lambda: "contact-2").contact_id == "contact-2"


def test_records_expire_after_the_configured_window(ledger: TaskLedger, function: FunctionUnderTest):
    ledger.start_once("tc1-abc", lambda: "contact-1")

    [item] = function.dynamodb.scan(TableName=function.ledger_table)["Items"]
    expires_in = int(item["expiration"]["N"]) - time.time()
    assert timedelta(days=20) < timedelta(seconds=expires_in) <= timedelta(days=21)
    assert item["id"]["S"].startswith("tests#")


def test_a_task_in_progress_elsewhere_is_a_transient_failure(ledger: TaskLedger):
    def starts_the_same_task_concurrently() -> str:
        return ledger.start_once("tc1-abc", lambda: "never").contact_id

    with pytest.raises(TaskInProgress, match="another invocation"):
        ledger.start_once("tc1-abc", starts_the_same_task_concurrently)
