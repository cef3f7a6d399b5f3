"""Which Amazon Connect actions the function may call, and on which resources, derived from the mapping.

Pure (no CDK): the stack turns the results into one IAM statement for ``connect:StartTaskContact`` and
one per lifecycle action the mapping uses.

The Service Authorization Reference lists these resource types for StartTaskContact: the contact being
created (``instance/<id>/contact/*``, its ID is assigned by Connect, so it is always a wildcard within
the instance), and the flow selector the request names: ``contact-flow``, ``task-template`` or the
quick connect (``transfer-destination``). A selector written literally in a rule, or the default flow
for rules that name no selector, is granted exactly; a selector rendered from the event (a
``{{ placeholder }}``) can only be granted as a wildcard within the instance, and is reported so the
stack can acknowledge it with the rule's name.

Lifecycle rules (``action`` update, reschedule or complete) act on a task created earlier, whose ContactId
the function looks up under the rule's ``taskKey``; they call these actions, each authorized on one
resource type only, ``contact`` (required), in the Service Authorization Reference:

- update: ``connect:UpdateContact`` when a rule sets Name, Description, References or SegmentAttributes,
  ``connect:UpdateContactAttributes`` when it sets Attributes (task_creator.mapping.task_fields says which
  field goes to which call);
- reschedule: ``connect:UpdateContactSchedule``;
- complete: ``connect:StopContact``, and ``connect:DescribeContact``, which the function's adapter calls
  when StopContact is refused, to tell a task that had ended already from a real rejection (a task
  created after its key's complete is stopped with these too, and only a complete rule marks a key so).

The function sends every lifecycle call to its own instance (``connectInstanceId``), so each is granted
on that instance's contacts, ``instance/<id>/contact/*``: which contact is known only at run time.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from task_creator.mapping.task_fields import UPDATE_CONTACT_ATTRIBUTES_FIELDS, UPDATE_CONTACT_FIELDS

# StartTaskContact parameter -> the ARN resource type it names (all under instance/<id>/).
SELECTOR_RESOURCE_TYPES: dict[str, str] = {
    "ContactFlowId": "contact-flow",
    "TaskTemplateId": "task-template",
    "QuickConnectId": "transfer-destination",
}
# The instance's contacts: the task StartTaskContact creates and the tasks lifecycle calls act on, all
# with IDs Connect assigns, so always a wildcard within the instance.
CONTACTS_RESOURCE = "contact/*"
LIFECYCLE_ACTIONS = ("update", "reschedule", "complete")  # mapping actions other than create
RESCHEDULE_CONNECT_ACTIONS = ("connect:UpdateContactSchedule",)
COMPLETE_CONNECT_ACTIONS = ("connect:StopContact", "connect:DescribeContact")


class PermissionProblem(ValueError):
    """The mapping asks for something the stack cannot grant with least privilege."""


class TaskRule(Protocol):
    """What this module needs from a mapping rule (``task_creator.mapping.rules.MappingRule`` fits)."""

    @property
    def name(self) -> str: ...

    @property
    def task(self) -> Mapping[str, Any]: ...


class LifecycleRule(TaskRule, Protocol):
    """A rule with its action (``task_creator.mapping.rules.MappingRule`` fits)."""

    @property
    def action(self) -> str: ...


@dataclass(frozen=True)
class WildcardGrant:
    """A selector rendered from the event: granted as ``resource`` (a wildcard) because of ``rules``."""

    resource: str
    field: str
    rules: tuple[str, ...]


@dataclass(frozen=True)
class ConnectGrant:
    """Resource paths relative to the partition/region/account ARN prefix (``instance/<id>/...``)."""

    resources: tuple[str, ...]
    wildcards: tuple[WildcardGrant, ...]


def start_task_grant(
    instance_id: str,
    default_flow_id: str | None,
    rules: Sequence[TaskRule],
    *,
    has_placeholder: Callable[[str], bool],
) -> ConnectGrant:
    """The resources ``connect:StartTaskContact`` must allow for these rules, and the wildcards among them.

    ``has_placeholder(text) -> bool`` is the function's own placeholder test (task_creator.mapping.templates).
    Raises PermissionProblem when a rule needs the default flow and none is configured, or renders the
    instance from the event.
    """
    exact: list[str] = []
    wildcards: dict[str, tuple[str, list[str]]] = {}
    instances = {instance_id}
    for rule in rules:
        instance = _rule_instance(rule, instance_id, has_placeholder)
        instances.add(instance)
        selectors = [field for field in SELECTOR_RESOURCE_TYPES if field in rule.task]
        if not selectors:
            if default_flow_id is None:
                raise PermissionProblem(
                    f"rule {rule.name!r} names no ContactFlowId, TaskTemplateId or QuickConnectId, so it "
                    "uses the default flow, and none is configured: pass -c contactFlowId=<flow ID>"
                )
            exact.append(_path(instance, "contact-flow", default_flow_id))
            continue
        for field in selectors:
            value = rule.task[field]
            kind = SELECTOR_RESOURCE_TYPES[field]
            if isinstance(value, str) and has_placeholder(value):
                resource = _path(instance, kind, "*")
                wildcards.setdefault(resource, (field, []))[1].append(rule.name)
            else:
                exact.append(_selector_path(instance, kind, str(value)))
    ordered_instances = [instance_id, *sorted(instances - {instance_id})]
    new_contacts = [_path(instance, CONTACTS_RESOURCE) for instance in ordered_instances]
    resources = _unique([*new_contacts, *wildcards, *exact])
    covered = tuple(wildcards)
    resources = [r for r in resources if r in covered or not _covered_by(r, covered)]
    return ConnectGrant(
        resources=tuple(resources),
        wildcards=tuple(
            WildcardGrant(resource=resource, field=field, rules=tuple(names))
            for resource, (field, names) in wildcards.items()
        ),
    )


@dataclass(frozen=True)
class LifecycleGrant:
    """The Connect actions the mapping's rules of one lifecycle ``action`` call, on ``resource`` (a path
    relative to the ARN prefix, ``instance/<id>/contact/*``), and the rules that need them."""

    action: str
    connect_actions: tuple[str, ...]
    resource: str
    rules: tuple[str, ...]


def lifecycle_grants(instance_id: str, rules: Sequence[LifecycleRule]) -> tuple[LifecycleGrant, ...]:
    """One grant per lifecycle action the rules use (update, reschedule, complete, in that order), with
    only the Connect actions those rules call; none for a mapping of create rules only."""
    resource = _path(instance_id, CONTACTS_RESOURCE)
    grants: list[LifecycleGrant] = []
    for action in LIFECYCLE_ACTIONS:
        names = tuple(rule.name for rule in rules if rule.action == action)
        calls = _unique(call for rule in rules if rule.action == action for call in _connect_actions(rule))
        if names and calls:
            grants.append(LifecycleGrant(action, tuple(calls), resource, names))
    return tuple(grants)


def _connect_actions(rule: LifecycleRule) -> tuple[str, ...]:
    """The Connect actions one lifecycle rule may call (fields that render empty only ever drop a call)."""
    if rule.action == "update":
        update_contact = ("connect:UpdateContact",) if rule.task.keys() & UPDATE_CONTACT_FIELDS.keys() else ()
        attributes = (
            ("connect:UpdateContactAttributes",)
            if rule.task.keys() & UPDATE_CONTACT_ATTRIBUTES_FIELDS.keys()
            else ()
        )
        return update_contact + attributes
    if rule.action == "reschedule":
        return RESCHEDULE_CONNECT_ACTIONS
    if rule.action == "complete":
        return COMPLETE_CONNECT_ACTIONS
    return ()


def _rule_instance(rule: TaskRule, default_instance: str, has_placeholder: Callable[[str], bool]) -> str:
    value = rule.task.get("InstanceId")
    if value is None:
        return default_instance
    if not isinstance(value, str) or has_placeholder(value):
        raise PermissionProblem(
            f"rule {rule.name!r} renders task.InstanceId from the event: the stack cannot scope "
            "connect:StartTaskContact to an instance it does not know. Name the instance literally, or leave "
            "InstanceId out to use connectInstanceId"
        )
    return _instance_id(value)


def _instance_id(value: str) -> str:
    """An instance ID, or the ID at the end of an instance ARN."""
    return value.rsplit("instance/", 1)[-1] if value.startswith("arn:") else value


def _selector_path(instance: str, kind: str, value: str) -> str:
    if value.startswith("arn:") and "instance/" in value:
        return "instance/" + value.split("instance/", 1)[1]
    return _path(instance, kind, value)


def _path(instance: str, *parts: str) -> str:
    return "/".join(("instance", instance, *parts))


def _covered_by(resource: str, wildcards: Iterable[str]) -> bool:
    return any(resource.startswith(wildcard[:-1]) for wildcard in wildcards)


def _unique(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(items))
