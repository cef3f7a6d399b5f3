"""What ``python -m local test`` says of each shipped case is what the real handler does with its event:
the same requests reach Connect (ClientToken and ScheduledTime included), the same follow-up calls reach
the task registered under each key, and the same dead letters (ErrorType, Rule) reach the DLQ, at the
case's "now".

A case assumes every task key has its task, open (the registry is out of reach offline), so the handler
is given exactly that: each key a follow-up acts on is registered, open, before the event arrives."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from infra.config import DEFAULT_STACK_NAME
from local.cli.event_files import bare_payload_record, lambda_invocation_kind
from local.cli.event_outcome import EventOutcome, event_outcome
from local.cli.mapping_cases import case_events
from local.identifiers import LOCAL_CONTACT_FLOW_ID, LOCAL_INSTANCE_ID
from task_creator.adapters.task_registry import EventStamp, TaskRegistry
from task_creator.handler import lambda_handler
from task_creator.mapping.envelope import InvocationKind
from task_creator.mapping.planning import PlannedTask, PlanningContext, plan_event
from task_creator.mapping.render import TaskDefaults
from task_creator.mapping.rules import load_mapping
from task_creator.mapping.schedule import DEFAULT_SCHEDULE_WINDOW
from task_creator.mapping.task_fields import UPDATE_CONTACT_FIELDS
from tests.integration.function.conftest import FunctionUnderTest, LambdaContext
from tests.support import REPO_ROOT, SHIPPED_MAPPING_FILE, load_json

CASES = sorted((REPO_ROOT / "tests" / "mapping_cases").rglob("*.json"))
LONG_AGO = EventStamp.of(datetime(2000, 1, 1, tzinfo=UTC), "the-create-of-the-key")


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


CONTEXT = PlanningContext(
    defaults=TaskDefaults(instance_id=LOCAL_INSTANCE_ID, contact_flow_id=LOCAL_CONTACT_FLOW_ID),
    token_namespace=DEFAULT_STACK_NAME,
)


def command_outcomes(case: dict[str, Any], now: datetime) -> list[EventOutcome]:
    mapping = load_mapping(SHIPPED_MAPPING_FILE)
    return [
        event_outcome(item, mapping, CONTEXT, now=now, window=DEFAULT_SCHEDULE_WINDOW)
        for item in case_events(case["event"], case.get("attributes"))
    ]


def planned_follow_ups(case: dict[str, Any]) -> list[PlannedTask]:
    """Every follow-up the case's events plan, before the clock check (a reschedule whose time has passed
    is checked against the clock only once its key's task is found)."""
    mapping = load_mapping(SHIPPED_MAPPING_FILE)
    return [
        task
        for item in case_events(case["event"], case.get("attributes"))
        if item.event is not None
        for task in plan_event(item.event, mapping, CONTEXT).tasks
        if task.action != "create"
    ]


def register_open_tasks(function: FunctionUnderTest, follow_ups: list[PlannedTask]) -> dict[str, str]:
    """What a case assumes: the task key of each follow-up has its task, open. Returns key -> ContactId."""
    registry = TaskRegistry(
        function.ledger_table,
        dynamodb_client=function.dynamodb,
        key_prefix=DEFAULT_STACK_NAME,
        expiry=timedelta(days=14),
    )
    contacts = {}
    for task in follow_ups:
        assert task.task_key is not None
        contacts[task.task_key] = f"contact-of-{task.task_key}"
        registry.register_created(
            task.task_key, contact_id=contacts[task.task_key], rule="order-delayed", stamp=LONG_AGO
        )
    return contacts


def expected_calls(task: PlannedTask, contact_id: str) -> list[tuple[str, str, Any]]:
    """The calls the function makes on the key's task for a follow-up (RecordingConnect's shape)."""
    if task.action == "reschedule":
        return [("UpdateContactSchedule", contact_id, task.request["ScheduledTime"])]
    if task.action == "complete":
        return [("StopContact", contact_id, (task.request.get("DisconnectReason") or {}).get("Code"))]
    fields = {name: value for name, value in task.request.items() if name in UPDATE_CONTACT_FIELDS}
    calls = [("UpdateContact", contact_id, fields)] if fields else []
    if "Attributes" in task.request:
        calls.append(("UpdateContactAttributes", contact_id, task.request["Attributes"]))
    return calls


@pytest.mark.parametrize("path", CASES, ids=[path.stem for path in CASES])
def test_the_handler_does_what_the_test_command_says(
    path: Path, function: FunctionUnderTest, context: LambdaContext
) -> None:
    case = load_json(path)
    now = datetime.fromisoformat(case["now"]) if "now" in case else datetime.now(UTC)
    outcomes = command_outcomes(case, now)
    tasks = [task for outcome in outcomes for task in outcome.tasks]
    follow_ups = [task for task in tasks if task.action != "create"]
    dependencies = function.build(
        mapping=load_mapping(SHIPPED_MAPPING_FILE),  # with the ledger: lifecycle rules need its table
        clock=lambda: now,
        connect_instance_id=LOCAL_INSTANCE_ID,
        contact_flow_id=LOCAL_CONTACT_FLOW_ID,
        token_namespace=DEFAULT_STACK_NAME,
    )
    contacts = register_open_tasks(function, planned_follow_ups(case))

    result = lambda_handler(invocation(case), context, dependencies=dependencies)

    if lambda_invocation_kind(invocation(case)) is not InvocationKind.EVENTBRIDGE:
        assert result == {"batchItemFailures": []}
    expected_requests = [task.request for task in tasks if task.action == "create"]
    assert sorted(function.connect.requests, key=by_token) == sorted(expected_requests, key=by_token)
    calls = [call for task in follow_ups for call in expected_calls(task, contacts[str(task.task_key)])]
    assert sorted(function.connect.lifecycle_calls, key=repr) == sorted(calls, key=repr)
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


def test_the_shipped_cases_act_on_task_keys_with_every_action() -> None:
    """The shipped cases pin every lifecycle action, so a change to any lifecycle rule shows up here."""
    actions = set()
    for path in CASES:
        case = load_json(path)
        now = datetime.fromisoformat(case["now"]) if "now" in case else datetime.now(UTC)
        actions |= {task.action for outcome in command_outcomes(case, now) for task in outcome.tasks}
    assert actions == {"create", "update", "reschedule", "complete"}


def by_token(request: dict[str, Any]) -> str:
    token: str = request["ClientToken"]
    return token
