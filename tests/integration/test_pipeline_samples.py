"""Every request the project's own samples produce, rendered with the shipped mapping, is one Amazon
Connect accepts: sent through the emulator by a real boto3 client. A follow-up (update, complete) is sent
the way the function sends it (its Connect adapter), to a task opened first for its key, as the task
registry would find it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from mypy_boto3_connect import ConnectClient

from infra.config import DEFAULT_STACK_NAME
from local.cli.event_files import events_in, read_json_file
from local.connect_emulator import ConnectEmulator
from local.identifiers import LOCAL_CONTACT_FLOW_ID, LOCAL_INSTANCE_ID
from task_creator.adapters.connect import ConnectTasks
from task_creator.mapping.planning import PlannedTask, PlanningContext, plan_event, preview_at
from task_creator.mapping.render import TaskDefaults
from task_creator.mapping.rules import load_mapping
from task_creator.mapping.task_fields import UPDATE_CONTACT_FIELDS
from task_creator.mapping.token import client_token
from tests.support import EVENTS_DIR, SHIPPED_MAPPING_FILE

POISON_SAMPLE = "sqs-poison-records.json"
SAMPLES = sorted(path.name for path in EVENTS_DIR.glob("*.json"))


def planned_tasks(sample_name: str) -> list[PlannedTask]:
    mapping = load_mapping(SHIPPED_MAPPING_FILE)
    context = PlanningContext(
        defaults=TaskDefaults(instance_id=LOCAL_INSTANCE_ID, contact_flow_id=LOCAL_CONTACT_FLOW_ID),
        token_namespace=DEFAULT_STACK_NAME,
    )
    return [
        task
        for item in events_in(read_json_file(EVENTS_DIR / sample_name))
        if item.event is not None
        for task in preview_at(plan_event(item.event, mapping, context), now=datetime.now(UTC)).tasks
    ]


def open_task_for_key(connect_client: ConnectClient, key: str) -> str:
    """The task the registry would hold for ``key``: one that Connect created and that is still open."""
    response = connect_client.start_task_contact(
        InstanceId=LOCAL_INSTANCE_ID,
        ContactFlowId=LOCAL_CONTACT_FLOW_ID,
        Name=f"The task of {key}",
        ClientToken=client_token("samples", "the-key's-create", key),
    )
    return response["ContactId"]


def send_follow_up(connect: ConnectTasks, task: PlannedTask, contact_id: str) -> None:
    """What ``task_creator.lifecycle`` sends for an update or a complete."""
    if task.action == "complete":
        reason = (task.request.get("DisconnectReason") or {}).get("Code")
        connect.stop_task(LOCAL_INSTANCE_ID, contact_id, disconnect_reason=reason)
        return
    assert task.action == "update", "no sample reschedules: a static ScheduledTime would not stay valid"
    fields = {name: value for name, value in task.request.items() if name in UPDATE_CONTACT_FIELDS}
    if fields:
        connect.update_task(LOCAL_INSTANCE_ID, contact_id, fields)
    if task.request.get("Attributes"):
        connect.update_task_attributes(LOCAL_INSTANCE_ID, contact_id, task.request["Attributes"])


def rejections(connect_emulator: ConnectEmulator) -> dict[str, Any]:
    counters = connect_emulator.counters()
    return {name: dict(op.rejections) for name, op in counters.operations.items() if op.rejections}


@pytest.mark.parametrize("sample_name", [name for name in SAMPLES if name != POISON_SAMPLE])
def test_connect_accepts_every_request_a_sample_produces(
    sample_name: str, connect_client: ConnectClient, connect_emulator: ConnectEmulator
) -> None:
    tasks = planned_tasks(sample_name)
    assert tasks, f"{sample_name} produces no request with the shipped mapping"
    requests = [task.request for task in tasks if task.action == "create"]
    follow_ups = [task for task in tasks if task.action != "create"]
    contacts = {
        str(task.task_key): open_task_for_key(connect_client, str(task.task_key)) for task in follow_ups
    }

    contact_ids = [connect_client.start_task_contact(**request)["ContactId"] for request in requests]
    for task in follow_ups:
        send_follow_up(ConnectTasks(connect_client), task, contacts[str(task.task_key)])

    assert rejections(connect_emulator) == {}
    distinct = list({request["ClientToken"]: request for request in requests}.values())
    created = [task.request for task in connect_emulator.tasks() if task.contact_id not in contacts.values()]
    assert created == distinct
    assert len(set(contact_ids)) == len(distinct)
    for task in follow_ups:  # each follow-up changed its key's task, as the function would
        history = [entry.operation for entry in connect_emulator.task(contacts[str(task.task_key)]).history]
        assert len(history) > 1, f"{task.rule} left the task of {task.task_key} unchanged"


def test_poison_sample_produces_no_request() -> None:
    assert planned_tasks(POISON_SAMPLE) == []
