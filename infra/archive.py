"""The archive of the events the bus rules forward, so that operators can replay a window of them.

With ``archiveDays`` above 0, one EventBridge archive on the ingest bus keeps, for that many days, the
events whose pattern ``infra.event_pattern.archive_event_pattern`` derives from the bus rules (their
pattern, or a sound superset for a mapping that needs several rules; its docstring says which). A
replay (``python -m local replay``) starts ``StartReplay`` from this archive onto the bus with
``Destination.FilterArns`` = the ingest rules' ARNs (output ``IngestRuleArns``), so the replayed events
reach this stack's rules only, never the bus's other rules; EventBridge never archives replayed events
again. The ledger remembers a task at least as long as the archive keeps its event
(``stack_values.idempotency_expiry``), so a replay creates nothing new.

EventBridge reads ``RetentionDays`` 0 as "keep forever": 0 means no archive here, never passed on.
"""

from __future__ import annotations

from typing import Any

from aws_cdk import aws_events as events
from constructs import Construct

from infra.stack_values import ARCHIVE_DESCRIPTION


class IngestArchive(Construct):
    """An EventBridge archive on the ingest bus, ``retention_days`` (at least 1) of the events its
    ``event_pattern`` selects (None: every event on the bus)."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        bus: events.IEventBus,
        event_pattern: dict[str, Any] | None,
        retention_days: int,
    ) -> None:
        super().__init__(scope, construct_id)
        if retention_days < 1:
            raise ValueError(f"an archive keeps its events 1 day or more, got {retention_days}")
        # L1 on purpose, as for the bus rules: the L2 EventPattern cannot express "$or", and the
        # pattern must be exactly what archive_event_pattern() derived. No ArchiveName: CloudFormation
        # generates a unique one (the name is at most 48 characters, a stack name up to 60).
        self.archive = events.CfnArchive(
            self,
            "Resource",
            source_arn=bus.event_bus_arn,
            description=ARCHIVE_DESCRIPTION,
            event_pattern=event_pattern,
            retention_days=retention_days,
        )

    @property
    def archive_arn(self) -> str:
        return self.archive.attr_arn
