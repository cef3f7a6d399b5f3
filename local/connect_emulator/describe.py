"""DescribeContact's `Contact` for a task, with the members of the model's `Contact` shape that a task
created with StartTaskContact has.

Timestamps go on the wire as epoch seconds (rest-json's default), which botocore parses into datetimes.
The ARNs are built from the region the call was signed for and the emulator's account id.
"""

from __future__ import annotations

import copy
from datetime import datetime
from typing import Any

from local.connect_emulator.records import TaskRecord

INITIATION_METHOD = "API"  # "For API, [InitiationTimestamp] is when the request arrived"
CHANNEL = "TASK"


def describe_task(task: TaskRecord, *, region: str, account_id: str) -> dict[str, Any]:
    """The `Contact` member of a DescribeContact answer."""
    state = task.state
    instance_arn = f"arn:aws:connect:{region}:{account_id}:instance/{task.instance_id}"
    contact: dict[str, Any] = {
        "Arn": f"{instance_arn}/contact/{task.contact_id}",
        "Id": task.contact_id,
        "InitiationMethod": INITIATION_METHOD,
        "Channel": CHANNEL,
        "Name": state.name,
        "InitiationTimestamp": _epoch(task.created_at),
        "LastUpdateTimestamp": _epoch(state.last_updated_at),
        "Attributes": dict(state.attributes),
    }
    if state.description is not None:
        contact["Description"] = state.description
    for member in ("PreviousContactId", "RelatedContactId"):
        if task.request.get(member):
            contact[member] = task.request[member]
    if state.scheduled_time is not None:
        contact["ScheduledTimestamp"] = _epoch(state.scheduled_time)
    if task.completed_at is not None:
        contact["DisconnectTimestamp"] = _epoch(task.completed_at)
        if state.disconnect_reason is not None:
            contact["DisconnectReason"] = state.disconnect_reason
    if state.segment_attributes:
        contact["SegmentAttributes"] = copy.deepcopy(dict(state.segment_attributes))
    template_id = task.request.get("TaskTemplateId")
    if template_id:
        contact["TaskTemplateInfo"] = {"Arn": f"{instance_arn}/task-template/{template_id}"}
    return contact


def _epoch(moment: datetime) -> float:
    return moment.timestamp()
