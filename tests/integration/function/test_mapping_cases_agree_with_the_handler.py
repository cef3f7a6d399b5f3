"""What ``python -m local test`` says of each shipped case is what the real handler does with its event:
the same requests reach Connect (ClientToken and ScheduledTime included) and the same dead letters
(ErrorType, Rule) reach the DLQ, at the case's "now"."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from infra.config import DEFAULT_STACK_NAME
from local.cli.event_files import bare_payload_record, lambda_invocation_kind
from local.cli.event_outcome import EventOutcome, event_outcome
from local.cli.mapping_cases import case_events
from local.identifiers import LOCAL_CONTACT_FLOW_ID, LOCAL_INSTANCE_ID
from task_creator.handler import lambda_handler
from task_creator.mapping.envelope import InvocationKind
from task_creator.mapping.planning import PlanningContext
from task_creator.mapping.render import TaskDefaults
from task_creator.mapping.rules import load_mapping
from task_creator.mapping.schedule import DEFAULT_SCHEDULE_WINDOW
from tests.integration.function.conftest import FunctionUnderTest, LambdaContext
from tests.support import REPO_ROOT, SHIPPED_MAPPING_FILE, load_json

CASES = sorted((REPO_ROOT / "tests" / "mapping_cases").rglob("*.json"))


def invocation(case: dict[str, Any]) -> Any:
    """The Lambda invocation that delivers the case's event as the function would receive it."""
    event, attributes = case["event"], case.get("attributes", {})
    if lambda_invocation_kind(event) is not None:
        return event
    if lambda_invocation_kind({"Records": [event]}) is not None:
        return {"Records": [event]}
    record = bare_payload_record(
        event, source=attributes.get("source"), detail_type=attributes.get("detail-type")
    )
    return {"Records": [record]}


def command_outcomes(case: dict[str, Any], now: datetime) -> list[EventOutcome]:
    context = PlanningContext(
        defaults=TaskDefaults(instance_id=LOCAL_INSTANCE_ID, contact_flow_id=LOCAL_CONTACT_FLOW_ID),
        token_namespace=DEFAULT_STACK_NAME,
    )
    mapping = load_mapping(SHIPPED_MAPPING_FILE)
    return [
        event_outcome(item, mapping, context, now=now, window=DEFAULT_SCHEDULE_WINDOW)
        for item in case_events(case["event"], case.get("attributes"))
    ]


@pytest.mark.parametrize("path", CASES, ids=[path.stem for path in CASES])
def test_the_handler_does_what_the_test_command_says(
    path: Path, function: FunctionUnderTest, context: LambdaContext
) -> None:
    case = load_json(path)
    now = datetime.fromisoformat(case["now"]) if "now" in case else datetime.now(UTC)
    outcomes = command_outcomes(case, now)
    dependencies = function.build(
        idempotency=False,
        mapping=load_mapping(SHIPPED_MAPPING_FILE),
        clock=lambda: now,
        connect_instance_id=LOCAL_INSTANCE_ID,
        contact_flow_id=LOCAL_CONTACT_FLOW_ID,
        token_namespace=DEFAULT_STACK_NAME,
    )

    result = lambda_handler(invocation(case), context, dependencies=dependencies)

    if lambda_invocation_kind(invocation(case)) is not InvocationKind.EVENTBRIDGE:
        assert result == {"batchItemFailures": []}
    expected_requests = [task.request for outcome in outcomes for task in outcome.tasks]
    assert sorted(function.connect.requests, key=by_token) == sorted(expected_requests, key=by_token)
    dead_letters = [
        (
            message["MessageAttributes"]["ErrorType"]["StringValue"],
            message["MessageAttributes"]["Rule"]["StringValue"],
        )
        for message in function.dead_letters()
    ]
    expected_letters = [
        (outcome.dead_letter.error_type, outcome.dead_letter.rule)
        for outcome in outcomes
        if outcome.dead_letter
    ]
    assert sorted(dead_letters) == sorted(expected_letters)


def by_token(request: dict[str, Any]) -> str:
    token: str = request["ClientToken"]
    return token
