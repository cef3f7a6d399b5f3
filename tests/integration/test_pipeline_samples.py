"""Every request the project's own samples produce, rendered with the shipped mapping, is one Amazon
Connect accepts: sent through the emulator by a real boto3 client."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from mypy_boto3_connect import ConnectClient

from infra.config import DEFAULT_STACK_NAME
from local.cli.event_files import events_in, read_json_file
from local.connect_emulator import ConnectEmulator
from local.identifiers import LOCAL_CONTACT_FLOW_ID, LOCAL_INSTANCE_ID
from task_creator.mapping.planning import PlanningContext, plan_event, preview_at
from task_creator.mapping.render import TaskDefaults
from task_creator.mapping.rules import load_mapping
from tests.support import EVENTS_DIR, SHIPPED_MAPPING_FILE

POISON_SAMPLE = "sqs-poison-records.json"
SAMPLES = sorted(path.name for path in EVENTS_DIR.glob("*.json"))


def planned_requests(sample_name: str) -> list[dict[str, object]]:
    mapping = load_mapping(SHIPPED_MAPPING_FILE)
    context = PlanningContext(
        defaults=TaskDefaults(instance_id=LOCAL_INSTANCE_ID, contact_flow_id=LOCAL_CONTACT_FLOW_ID),
        token_namespace=DEFAULT_STACK_NAME,
    )
    return [
        task.request
        for item in events_in(read_json_file(EVENTS_DIR / sample_name))
        if item.event is not None
        for task in preview_at(plan_event(item.event, mapping, context), now=datetime.now(UTC)).tasks
    ]


@pytest.mark.parametrize("sample_name", [name for name in SAMPLES if name != POISON_SAMPLE])
def test_connect_accepts_every_request_a_sample_produces(
    sample_name: str, connect_client: ConnectClient, connect_emulator: ConnectEmulator
) -> None:
    requests = planned_requests(sample_name)
    assert requests, f"{sample_name} produces no request with the shipped mapping"

    contact_ids = [connect_client.start_task_contact(**request)["ContactId"] for request in requests]  # type: ignore[arg-type]

    assert dict(connect_emulator.counters().rejections) == {}
    distinct = list({request["ClientToken"]: request for request in requests}.values())
    assert [task.request for task in connect_emulator.tasks()] == distinct
    assert len(set(contact_ids)) == len(distinct)


def test_poison_sample_produces_no_request() -> None:
    assert planned_requests(POISON_SAMPLE) == []
