"""Lifecycle rules in the template: the role may call only the Connect actions the mapping's rules use,
on the function's instance's contacts, each statement acknowledged for cdk-nag with its rules."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any, cast

import pytest

from infra.connect_permissions import lifecycle_grants
from task_creator.adapters.connect import OPERATION_MEMBERS, StopOutcome
from task_creator.adapters.task_registry import EventStamp
from task_creator.lifecycle import TaskLifecycle
from task_creator.mapping.planning import PlannedTask
from task_creator.mapping.rules import parse_mapping
from tests.infra.synthesis import (
    BASE_CONTEXT,
    FLOW_ID,
    INSTANCE_ID,
    SKIP_BUNDLING,
    SynthesizedApp,
    as_list,
    connect_arn,
    statements_for,
    synthesize_app,
)

NAG_CONTACTS = (
    "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:connect:<AWS::Region>:<AWS::AccountId>:"
    f"instance/{INSTANCE_ID}/contact/*]"
)
KEY = "order:{{ detail.orderId }}"
CREATE = {
    "name": "order-delayed",
    "match": {"source": ["acme.orders"], "detail-type": ["OrderDelayed"]},
    "taskKey": KEY,
    "task": {"Name": "Order {{ detail.orderId }} is delayed"},
}
START_TASK = {
    "Action": "connect:StartTaskContact",
    "Effect": "Allow",
    "Resource": [connect_arn("contact/*"), connect_arn(f"contact-flow/{FLOW_ID}")],
}


def follow_up(action: str, task: dict[str, Any] | None = None) -> dict[str, Any]:
    rule: dict[str, Any] = {
        "name": f"order-{action}",
        "action": action,
        "match": {"source": ["acme.orders"], "detail-type": [f"Order{action.capitalize()}"]},
        "taskKey": KEY,
    }
    return rule | ({"task": task} if task is not None else {})


def lifecycle_statement(sid: str, *actions: str) -> dict[str, Any]:
    return {
        "Sid": sid,
        "Action": actions[0] if len(actions) == 1 else list(actions),
        "Effect": "Allow",
        "Resource": connect_arn("contact/*"),
    }


# One follow-up rule beside a create with a taskKey, and the statement it alone brings.
ONE_ACTION_CASES: dict[str, tuple[list[dict[str, Any]], list[dict[str, Any]]]] = {
    "create-with-task-key-only": ([CREATE], []),
    "update": (
        [CREATE, follow_up("update", {"Description": "{{ detail.reason }}", "Attributes": {"s": "x"}})],
        [lifecycle_statement("UpdateTasks", "connect:UpdateContact", "connect:UpdateContactAttributes")],
    ),
    "update-attributes-only": (
        [CREATE, follow_up("update", {"Attributes": {"status": "{{ detail.status }}"}})],
        [lifecycle_statement("UpdateTasks", "connect:UpdateContactAttributes")],
    ),
    "update-fields-only": (
        [CREATE, follow_up("update", {"Name": "Order {{ detail.orderId }}: {{ detail.status }}"})],
        [lifecycle_statement("UpdateTasks", "connect:UpdateContact")],
    ),
    "reschedule": (
        [CREATE, follow_up("reschedule", {"ScheduledTime": "{{ detail.followUpAt }}"})],
        [lifecycle_statement("RescheduleTasks", "connect:UpdateContactSchedule")],
    ),
    "complete": (
        [CREATE, follow_up("complete")],
        [lifecycle_statement("CompleteTasks", "connect:StopContact", "connect:DescribeContact")],
    ),
}


@pytest.fixture(scope="module", params=sorted(ONE_ACTION_CASES))
def one_action_app(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> tuple[SynthesizedApp, list[dict[str, Any]]]:
    rules, expected = ONE_ACTION_CASES[request.param]
    directory = tmp_path_factory.mktemp(request.param)
    mapping_file = directory / "mapping.json"
    mapping_file.write_text(json.dumps({"rules": rules}), encoding="utf-8")
    context = {**BASE_CONTEXT, **SKIP_BUNDLING, "mappingFile": str(mapping_file)}
    return synthesize_app(context, directory / "cdk.out"), expected


def test_each_lifecycle_action_alone_brings_only_its_own_connect_actions(
    one_action_app: tuple[SynthesizedApp, list[dict[str, Any]]],
) -> None:
    app, expected = one_action_app

    assert statements_for(app, "connect:") == [START_TASK, *expected]
    assert app.nag.unacknowledged == []


def test_every_lifecycle_action_gets_its_own_statement_on_the_instances_contacts(
    lifecycle_app: SynthesizedApp,
) -> None:
    assert statements_for(lifecycle_app, "connect:") == [
        START_TASK,
        lifecycle_statement("UpdateTasks", "connect:UpdateContact", "connect:UpdateContactAttributes"),
        lifecycle_statement("RescheduleTasks", "connect:UpdateContactSchedule"),
        lifecycle_statement("CompleteTasks", "connect:StopContact", "connect:DescribeContact"),
    ]


def test_mapping_without_lifecycle_rules_grants_start_task_contact_only(
    selectors_app: SynthesizedApp, fifo_app: SynthesizedApp
) -> None:
    for app in (selectors_app, fifo_app):
        actions = {action for s in statements_for(app, "connect:") for action in as_list(s["Action"])}

        assert actions == {"connect:StartTaskContact"}
        assert app.stack.lifecycle_grants == ()


def test_every_connect_operation_the_adapter_calls_is_granted_for_the_mapping_using_it(
    lifecycle_app: SynthesizedApp,
) -> None:
    granted = {action for s in statements_for(lifecycle_app, "connect:") for action in as_list(s["Action"])}

    assert granted == {f"connect:{operation}" for operation in OPERATION_MEMBERS}


def test_contacts_wildcard_is_acknowledged_once_naming_every_action_and_rule_that_needs_it(
    lifecycle_app: SynthesizedApp,
) -> None:
    assert lifecycle_app.nag.unacknowledged == []
    (entry,) = [e for e in lifecycle_app.nag.acknowledged if e["rule"] == NAG_CONTACTS]

    assert entry["construct"] == "TaskCreator/TaskCreator/Role"
    for named in (
        "StartTaskContact",
        "connect:UpdateContact, connect:UpdateContactAttributes for update rule(s) order-delay-changed",
        "connect:UpdateContactSchedule for reschedule rule(s) order-follow-up-moved",
        "connect:StopContact, connect:DescribeContact for complete rule(s) order-delivered",
        f"instance {INSTANCE_ID}",
    ):
        assert named in entry["reason"], named


class RecordingConnect:
    """The function's lifecycle calls, recorded as the IAM action each adapter method needs first."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    def update_task(self, instance_id: str, contact_id: str, fields: Any) -> None:
        self.calls.append("connect:UpdateContact")

    def update_task_attributes(self, instance_id: str, contact_id: str, attributes: Any) -> None:
        self.calls.append("connect:UpdateContactAttributes")

    def reschedule_task(self, instance_id: str, contact_id: str, scheduled_time: datetime) -> None:
        self.calls.append("connect:UpdateContactSchedule")

    def stop_task(
        self, instance_id: str, contact_id: str, *, disconnect_reason: str | None = None
    ) -> StopOutcome:
        self.calls.append("connect:StopContact")  # the adapter adds DescribeContact when refused
        return StopOutcome.STOPPED


class OneOpenTask:
    """A task registry holding one open task, which takes every event."""

    def key_hash(self, task_key: str) -> str:
        return "0" * 64

    def get(self, task_key: str) -> Any:
        return SimpleNamespace(
            contact_id="contact-1", completed=False, state="open", last_event_id=None, last_event_time=None
        )

    def claim_event(self, task_key: str, stamp: Any) -> bool:
        return True

    def mark_stopping(self, task_key: str) -> None:
        return None

    def mark_completed(self, task_key: str, stamp: Any) -> None:
        return None


NOW = datetime(2026, 11, 23, 17, 0, tzinfo=UTC)
FOLLOW_UP_REQUESTS: dict[str, tuple[str, dict[str, Any]]] = {
    "update-fields-and-attributes": ("update", {"Description": "late", "Attributes": {"status": "late"}}),
    "update-attributes-only": ("update", {"Attributes": {"status": "late"}}),
    "update-fields-only": ("update", {"Name": "Order 1", "References": {}, "SegmentAttributes": {}}),
    "reschedule": ("reschedule", {"ScheduledTime": NOW + timedelta(days=1)}),
    "complete": ("complete", {}),
}


@pytest.mark.unit
@pytest.mark.parametrize("case", sorted(FOLLOW_UP_REQUESTS))
def test_what_the_function_calls_for_a_follow_up_is_what_its_rule_is_granted(case: str) -> None:
    action, request = FOLLOW_UP_REQUESTS[case]
    connect = RecordingConnect()
    lifecycle = TaskLifecycle(
        registry=cast(Any, OneOpenTask()),
        connect=connect,
        instance_id=INSTANCE_ID,
        clock=lambda: NOW,
        schedule_window=timedelta(days=6),
    )
    task = PlannedTask(
        rule=f"order-{action}",
        event_id="event-1",
        identity="event-1",
        client_token="tc1-token",
        request=request,
        past_scheduled_time="dead-letter",
        action=cast(Any, action),
        task_key="order:1",
    )
    rule = SimpleNamespace(name=task.rule, action=action, task=request)

    lifecycle.apply(task, EventStamp.of(NOW, "event-1"))
    (grant,) = lifecycle_grants(INSTANCE_ID, [rule])

    assert connect.calls
    assert set(connect.calls) <= set(grant.connect_actions)
    if action == "update":  # derived per field: nothing granted that the function does not call
        assert set(connect.calls) == set(grant.connect_actions)


@pytest.mark.unit
def test_lifecycle_grants_name_their_rules_and_merge_rules_of_one_action() -> None:
    mapping = parse_mapping(
        {
            "rules": [
                CREATE,
                follow_up("update", {"Attributes": {"a": "{{ detail.a }}"}}),
                follow_up("update", {"Name": "{{ detail.name }}"}) | {"name": "order-renamed"},
                follow_up("complete"),
            ]
        }
    )

    grants = lifecycle_grants(INSTANCE_ID, mapping.rules)

    assert [(g.action, g.connect_actions, g.rules) for g in grants] == [
        (
            "update",
            ("connect:UpdateContactAttributes", "connect:UpdateContact"),
            ("order-update", "order-renamed"),
        ),
        ("complete", ("connect:StopContact", "connect:DescribeContact"), ("order-complete",)),
    ]
    assert {g.resource for g in grants} == {f"instance/{INSTANCE_ID}/contact/*"}


@pytest.mark.unit
def test_create_rules_need_no_lifecycle_grant_with_or_without_a_task_key() -> None:
    without_key = {key: value for key, value in CREATE.items() if key != "taskKey"} | {"name": "plain"}
    mapping = parse_mapping({"rules": [CREATE, without_key]})

    assert mapping.has_lifecycle_rules  # the ledger is still required: the create registers its task
    assert lifecycle_grants(INSTANCE_ID, mapping.rules) == ()
