"""start_task_grant: connect:StartTaskContact only on what the default flow and the rules name."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from infra.connect_permissions import PermissionProblem, start_task_grant
from task_creator.mapping.templates import has_placeholder

pytestmark = pytest.mark.unit

INSTANCE = "11111111-2222-3333-4444-555555555555"
OTHER_INSTANCE = "22222222-2222-3333-4444-555555555555"
FLOW = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
NEW_CONTACTS = f"instance/{INSTANCE}/contact/*"


@dataclass(frozen=True)
class Rule:
    name: str
    task: dict[str, Any]


def grant(*rules: Rule, default_flow: str | None = FLOW) -> Any:
    return start_task_grant(INSTANCE, default_flow, rules, has_placeholder=has_placeholder)


def test_rule_without_selector_is_granted_the_default_flow_only() -> None:
    result = grant(Rule("plain", {"Name": "x"}))

    assert result.resources == (NEW_CONTACTS, f"instance/{INSTANCE}/contact-flow/{FLOW}")
    assert result.wildcards == ()


def test_literal_selectors_are_granted_exactly_with_their_resource_types() -> None:
    result = grant(
        Rule("flow", {"Name": "x", "ContactFlowId": "f1"}),
        Rule("template", {"Name": "x", "TaskTemplateId": "t1"}),
        Rule("quick-connect", {"Name": "x", "QuickConnectId": "q1"}),
    )

    assert result.resources == (
        NEW_CONTACTS,
        f"instance/{INSTANCE}/contact-flow/f1",
        f"instance/{INSTANCE}/task-template/t1",
        f"instance/{INSTANCE}/transfer-destination/q1",
    )


def test_default_flow_is_not_granted_when_every_rule_names_its_own_selector() -> None:
    result = grant(Rule("template", {"Name": "x", "TaskTemplateId": "t1"}))

    assert f"instance/{INSTANCE}/contact-flow/{FLOW}" not in result.resources


def test_selector_rendered_from_the_event_is_a_wildcard_within_the_instance_naming_its_rules() -> None:
    result = grant(
        Rule("plain", {"Name": "x"}),
        Rule("routed", {"Name": "x", "ContactFlowId": "{{ detail.flowId }}"}),
        Rule("routed-too", {"Name": "x", "ContactFlowId": "{{ detail.otherFlow }}"}),
    )

    wildcard = f"instance/{INSTANCE}/contact-flow/*"
    assert result.resources == (NEW_CONTACTS, wildcard)  # the exact default flow is covered by it
    (only,) = result.wildcards
    assert (only.resource, only.field, only.rules) == (wildcard, "ContactFlowId", ("routed", "routed-too"))


def test_full_arn_selector_is_used_as_written() -> None:
    arn = f"arn:aws:connect:eu-west-1:123456789012:instance/{INSTANCE}/task-template/t9"

    assert (
        grant(Rule("t", {"Name": "x", "TaskTemplateId": arn})).resources[-1]
        == f"instance/{INSTANCE}/task-template/t9"
    )


def test_rule_naming_another_instance_gets_that_instance_scoped_grant() -> None:
    result = grant(Rule("elsewhere", {"Name": "x", "InstanceId": OTHER_INSTANCE, "ContactFlowId": "f2"}))

    assert set(result.resources) == {
        NEW_CONTACTS,
        f"instance/{OTHER_INSTANCE}/contact/*",
        f"instance/{OTHER_INSTANCE}/contact-flow/f2",
    }


def test_rule_needing_the_default_flow_without_one_fails_naming_rule_and_setting() -> None:
    with pytest.raises(PermissionProblem, match=r"rule 'plain'.*-c contactFlowId="):
        grant(Rule("plain", {"Name": "x"}), default_flow=None)


def test_instance_rendered_from_the_event_cannot_be_granted() -> None:
    with pytest.raises(PermissionProblem, match=r"rule 'any-instance' renders task.InstanceId"):
        grant(Rule("any-instance", {"Name": "x", "InstanceId": "{{ detail.instance }}"}))
