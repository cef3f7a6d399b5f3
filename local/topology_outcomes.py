"""The offline topology's outcome events and archive.

Outcome events (``outcomeEvents``, on by default): the function publishes them with ``PutEvents`` on
the outcome bus, which moto's EventBridge takes as AWS's does, so publishing needs nothing more. To
*see* them offline, a bus rule on ``source`` = the outcome source delivers them to a queue,
``<stack>-outcomes``: the demo and ``python -m local outcomes`` read it. That rule and queue are the
offline runtime's own (a consumer's part): the stack does not deploy them.

Archive (``archiveDays`` > 0): an EventBridge archive on the ingest bus with the stack's event
pattern (``infra.event_pattern.archive_event_pattern``) and retention, so ``python -m local replay``
works offline on moto as on AWS.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from infra.stack_values import INGEST_RETENTION, whole_seconds

if TYPE_CHECKING:
    from infra.config import TaskCreatorConfig
    from local.aws import EmbeddedAws

OUTCOME_RULE_DESCRIPTION = "Offline only: delivers the function's outcome events to the outcomes queue"
ARCHIVE_DESCRIPTION = "The events the Task Creator bus rules forward, for replays"
ARCHIVE_NAME_MAX_CHARS = 48  # CreateArchive's ArchiveName


@dataclass(frozen=True)
class OutcomeRoute:
    """Where the function's outcome events go offline: the bus, their source, the rule to the queue."""

    event_bus_name: str
    source: str
    rule_name: str
    queue_url: str
    queue_arn: str
    queue_name: str


@dataclass(frozen=True)
class ArchiveRef:
    """The archive of the ingest bus."""

    name: str
    arn: str
    event_bus_name: str
    event_pattern: dict[str, Any] | None  # None: every event on the bus
    retention_days: int


def outcome_queue_name(stack_name: str) -> str:
    return f"{stack_name}-outcomes"


def outcome_queue_attributes() -> dict[str, str]:
    return {"MessageRetentionPeriod": str(whole_seconds(INGEST_RETENTION)), "SqsManagedSseEnabled": "true"}


def archive_name(stack_name: str) -> str:
    suffix = "-archive"
    return f"{stack_name[: ARCHIVE_NAME_MAX_CHARS - len(suffix)]}{suffix}"


def provision_outcome_route(
    aws: EmbeddedAws, config: TaskCreatorConfig, *, queue_url: str, queue_arn: str
) -> OutcomeRoute:
    """The outcome bus (created when it is neither the default bus nor the ingest bus, which exist
    already), and a rule on the outcome source delivering to the queue."""
    bus = config.outcome_event_bus_name
    events = aws.events()
    if bus not in ("default", config.event_bus_name):
        _ensure_bus(aws, bus)
    rule_name = f"{config.stack_name}-outcome-events"
    events.put_rule(
        Name=rule_name,
        EventBusName=bus,
        EventPattern=json.dumps({"source": [config.outcome_source]}),
        State="ENABLED",
        Description=OUTCOME_RULE_DESCRIPTION,
    )
    events.put_targets(Rule=rule_name, EventBusName=bus, Targets=[{"Id": "OutcomesQueue", "Arn": queue_arn}])
    return OutcomeRoute(
        event_bus_name=bus,
        source=config.outcome_source,
        rule_name=rule_name,
        queue_url=queue_url,
        queue_arn=queue_arn,
        queue_name=queue_url.rsplit("/", 1)[-1],
    )


def provision_archive(
    aws: EmbeddedAws, config: TaskCreatorConfig, event_pattern: dict[str, Any] | None
) -> ArchiveRef:
    """The ingest bus's archive, with the stack's pattern (None: every event) and retention."""
    events = aws.events()
    bus_arn = events.describe_event_bus(Name=config.event_bus_name)["Arn"]
    name = archive_name(config.stack_name)
    settings: dict[str, Any] = {"Description": ARCHIVE_DESCRIPTION, "RetentionDays": config.archive_days}
    if event_pattern is not None:
        settings["EventPattern"] = json.dumps(event_pattern)
    try:
        arn = events.create_archive(ArchiveName=name, EventSourceArn=bus_arn, **settings)["ArchiveArn"]
    except ClientError as error:  # provisioned again in the same moto: as a redeploy, it is updated
        if error.response.get("Error", {}).get("Code") != "ResourceAlreadyExistsException":
            raise
        arn = events.update_archive(ArchiveName=name, **settings)["ArchiveArn"]
    return ArchiveRef(
        name=name,
        arn=arn,
        event_bus_name=config.event_bus_name,
        event_pattern=event_pattern,
        retention_days=config.archive_days,
    )


def _ensure_bus(aws: EmbeddedAws, name: str) -> None:
    events = aws.events()
    try:
        events.describe_event_bus(Name=name)
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") != "ResourceNotFoundException":
            raise
        events.create_event_bus(Name=name)
