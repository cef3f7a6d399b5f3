"""``render`` and ``validate``: how users author mappings, without calling anything.

``render`` plans an event with the function's own code (``task_creator.mapping.planning.plan_event``): what it
prints is exactly what the function would send, ClientToken included. For an update, reschedule or
complete rule it prints the calls the function would make on the task registered under the rule's task
key; the ContactId comes from the task registry (the ledger table) when the function runs, which render
cannot reach, so the preview assumes the key's task exists and is open.
"""

from __future__ import annotations

import argparse
import json
import os
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from infra.config import DEFAULT_STACK_NAME
from infra.event_pattern import bus_event_pattern, unconstrained_rules
from local.cli.errors import EXIT_FAILED, EXIT_OK, UsageError, plural
from local.cli.event_files import EventInput, events_in, read_json_file
from local.identifiers import LOCAL_CONTACT_FLOW_ID, LOCAL_INSTANCE_ID
from task_creator.errors import MappingFileError
from task_creator.mapping.planning import EventPlan, PlannedTask, PlanningContext, plan_event, preview_at
from task_creator.mapping.render import TaskDefaults
from task_creator.mapping.rules import MappingRule, TaskMapping, load_mapping
from task_creator.mapping.task_fields import UPDATE_CONTACT_FIELDS
from task_creator.settings import BUNDLED_MAPPING_FILE


def default_mapping_file() -> Path:
    return Path(os.environ.get("MAPPING_FILE") or BUNDLED_MAPPING_FILE)


def load_mapping_or_fail(path: Path) -> TaskMapping:
    """The mapping, or a UsageError listing every problem (one ``  - `` line each, under the error)."""
    try:
        return load_mapping(require_readable(path))
    except MappingFileError as error:
        raise UsageError(
            f"{path} is not a valid mapping, {plural(len(error.problems), 'problem')}:",
            details=error.problems,
        ) from None


def require_readable(path: Path) -> Path:
    """``path``, or a UsageError when it cannot be read at all (missing, a directory, no permission):
    the command cannot run as asked (exit 2), which is not the same as a mapping with problems."""
    try:
        with path.open("rb"):
            pass
    except OSError as error:
        raise UsageError(f"cannot read {path}: {error.strerror or error}") from None
    return path


# --- validate -----------------------------------------------------------------------------------------


def validate_command(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    path: Path = args.mapping
    try:
        mapping = load_mapping(require_readable(path))
    except MappingFileError as error:
        out.write(f"{path}: INVALID, {plural(len(error.problems), 'problem')}\n")
        out.writelines(f"  - {problem}\n" for problem in error.problems)
        return EXIT_FAILED
    out.write(f"{path}: valid, {plural(len(mapping.rules), 'rule')}\n")
    for rule in mapping.rules:
        out.write(f"  - {rule.name} ({_rule_summary(rule)})\n")
    out.write(f"unmatched events: {mapping.unmatched}\n")
    out.write(f"bus rule pattern (what the stack forwards): {json.dumps(bus_event_pattern(mapping))}\n")
    for name in unconstrained_rules(mapping):
        out.write(f"note: rule {name!r} constrains neither source nor detail-type: ")
        out.write("the bus rule forwards every event\n")
    return EXIT_OK


# --- render -------------------------------------------------------------------------------------------


def _rule_summary(rule: MappingRule) -> str:
    """``identity: eventId template``, with the action and task key of a lifecycle rule."""
    identity = "eventId template" if rule.event_id is not None else "the event's id"
    if rule.task_key is None:
        return f"identity: {identity}"
    return f"{rule.action}, task key {rule.task_key.text}; identity: {identity}"


def render_command(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    mapping = load_mapping_or_fail(args.mapping)
    inputs = events_in(read_json_file(args.event_file), source=args.source, detail_type=args.detail_type)
    context = PlanningContext(
        defaults=TaskDefaults(instance_id=args.instance_id, contact_flow_id=args.contact_flow_id or None),
        token_namespace=args.token_namespace,
    )
    now = datetime.now(UTC)
    planned = [
        (item, preview_at(plan_event(item.event, mapping, context), now=now) if item.event else None)
        for item in inputs
    ]
    if args.json:
        out.write(json.dumps(json_tasks(planned), indent=2, default=json_value) + "\n")
    else:
        for item, plan in planned:
            out.writelines(line + "\n" for line in describe(item, plan, mapping, args.instance_id))
    return EXIT_OK if all(_fully_planned(item, plan, mapping) for item, plan in planned) else EXIT_FAILED


def json_tasks(planned: Sequence[tuple[EventInput, EventPlan | None]]) -> list[dict[str, Any]]:
    """``[{"rule", "eventId", "action", "taskKey", "operations", "request"}]`` for every rule's action:
    a create's request is the StartTaskContact request; a follow-up's, the fields its block rendered
    (the function adds the InstanceId and the ContactId registered under ``taskKey``)."""
    return [
        {
            "rule": task.rule,
            "eventId": task.event_id,
            "action": task.action,
            "taskKey": task.task_key,
            "operations": [operation for operation, _ in connect_calls(task, instance_id="")],
            "request": task.request,
        }
        for _, plan in planned
        if plan is not None
        for task in plan.tasks
    ]


def connect_calls(task: PlannedTask, *, instance_id: str) -> list[tuple[str, dict[str, Any]]]:
    """The Connect calls the function makes for ``task`` (``task_creator.lifecycle`` for follow-ups),
    the follow-ups' ContactId shown as a placeholder: only the task registry knows it, at run time."""
    if task.action == "create":
        return [("StartTaskContact", task.request)]
    contact = f"<the ContactId registered under {task.task_key}>"
    ids = {"InstanceId": instance_id, "ContactId": contact}
    if task.action == "reschedule":
        return [("UpdateContactSchedule", {**ids, "ScheduledTime": task.request["ScheduledTime"]})]
    if task.action == "complete":
        return [("StopContact", {**ids, **task.request})]
    fields = {name: value for name, value in task.request.items() if name in UPDATE_CONTACT_FIELDS}
    calls = [("UpdateContact", {**ids, **fields})] if fields else []
    if task.request.get("Attributes"):
        attributes = {
            "InstanceId": instance_id,
            "InitialContactId": contact,
            "Attributes": task.request["Attributes"],
        }
        calls.append(("UpdateContactAttributes", attributes))
    return calls


def describe_task(task: PlannedTask, instance_id: str) -> list[str]:
    """One rule's action: a heading, then each Connect call with its request."""
    if task.action == "create":
        registered = f", registered under task key {task.task_key!r}" if task.task_key else ""
        lines = [f"  rule {task.rule} -> StartTaskContact{registered}"]
    else:
        lines = [f"  rule {task.rule} -> {task.action} the task registered under task key {task.task_key!r}"]
    for operation, request in connect_calls(task, instance_id=instance_id):
        if task.action != "create":
            lines.append(f"    {operation}")
        body = json.dumps(request, indent=2, ensure_ascii=False, default=json_value)
        lines.extend(f"    {line}" for line in body.splitlines())
    if task.action != "create":
        lines.append(f"    {CONTACT_ID_NOTE} {NO_TASK_YET[task.action]}")
    return lines


CONTACT_ID_NOTE = (
    "ContactId: looked up in the task registry (the ledger table) when the function runs; render cannot"
    " resolve the key offline, so this assumes its task exists and is open."
)
_RETRIED = "With no task yet the function retries, then dead-letters NoTaskForKey; a completed task: skipped."
NO_TASK_YET = {
    "update": _RETRIED,
    "reschedule": _RETRIED,
    "complete": "With no task yet the completion is recorded, and the task its create opens stopped at once.",
}


def describe(
    item: EventInput, plan: EventPlan | None, mapping: TaskMapping, instance_id: str = ""
) -> list[str]:
    if item.event is None or plan is None:
        error = item.error
        reason = f"{error.error_type}: {error.message}" if error else "unreadable"
        return [f"{item.label}: the function would dead-letter it ({reason})", ""]
    event = item.event
    lines = [f"{item.label}: event {event.id} ({event.source} / {event.detail_type or '-'})"]
    if plan.unmatched:
        fate = "ignore it" if mapping.unmatched == "ignore" else "dead-letter it (UnmatchedEvent)"
        lines.append(f"  no rule matches: the function would {fate}")
    for task in plan.tasks:
        lines += describe_task(task, instance_id)
    for failure in plan.failures:
        lines.append(
            f"  rule {failure.rule}: {failure.error.error_type}: {failure.error.message} "
            "(the function would dead-letter the event)"
        )
    return [*lines, ""]


def json_value(value: Any) -> Any:
    """JSON for what a request holds besides JSON types: ScheduledTime's datetime as ISO-8601."""
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def _fully_planned(item: EventInput, plan: EventPlan | None, mapping: TaskMapping) -> bool:
    if plan is None:
        return False
    return not plan.failures and (not plan.unmatched or mapping.unmatched == "ignore")


def add_render_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("event_file", type=Path, metavar="EVENT_FILE", help="a sample like events/*.json")
    add_mapping_argument(parser)
    parser.add_argument(
        "--json", action="store_true", help='print [{"rule", "eventId", "request"}] for scripts'
    )
    parser.add_argument(
        "--source", help="bare payloads: the 'source' message attribute (default: none, read as sqs)"
    )
    parser.add_argument("--detail-type", help="bare payloads: the 'detail-type' message attribute")
    parser.add_argument(
        "--instance-id",
        default=os.environ.get("CONNECT_INSTANCE_ID") or LOCAL_INSTANCE_ID,
        help="default InstanceId (env CONNECT_INSTANCE_ID, else the local one)",
    )
    parser.add_argument(
        "--contact-flow-id",
        default=os.environ.get("CONNECT_CONTACT_FLOW_ID") or LOCAL_CONTACT_FLOW_ID,
        help="default ContactFlowId (env CONNECT_CONTACT_FLOW_ID, else the local one; '' for none)",
    )
    parser.add_argument(
        "--token-namespace",
        default=os.environ.get("TOKEN_NAMESPACE") or DEFAULT_STACK_NAME,
        help=f"ClientToken namespace (env TOKEN_NAMESPACE, else the stack's default {DEFAULT_STACK_NAME!r})",
    )


def add_mapping_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--mapping",
        type=Path,
        default=default_mapping_file(),
        metavar="FILE",
        help="mapping file (default: env MAPPING_FILE, else lambda/mapping.json)",
    )
