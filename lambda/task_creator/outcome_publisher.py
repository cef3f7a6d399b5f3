"""Publishes outcome events and says which records must be retried because theirs were not accepted.

A record's outcome events are part of its work: until EventBridge has accepted them the record is not
done, so a failed call or a failed entry fails the record transiently (retried with backoff like any
other; the ledger and the registry make the retry create and apply nothing again, and announce what the
earlier attempt did). Counted as ``OutcomeEventsPublished`` / ``OutcomeEventsFailed``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from task_creator.adapters.event_bus import OutcomeEventBus
from task_creator.errors import OutcomePublishFailed
from task_creator.observability import Metric, TaskMetrics, logger
from task_creator.outcome_events import OutcomeEvent


@dataclass(frozen=True)
class PendingOutcomes:
    """One record's outcome events, waiting to be published."""

    event_id: str
    outcomes: tuple[OutcomeEvent, ...]


class OutcomePublisher:
    def __init__(
        self, bus: OutcomeEventBus, *, source: str, event_bus_name: str, metrics: TaskMetrics
    ) -> None:
        self.bus = bus
        self.source = source
        self.event_bus_name = event_bus_name
        self.metrics = metrics

    def publish(self, records: Sequence[PendingOutcomes]) -> list[int]:
        """Publish every record's outcome events together; the indexes of the records with one or more
        not accepted (those records must be retried)."""
        entries = []
        owners = []
        for index, record in enumerate(records):
            for outcome in record.outcomes:
                entries.append(outcome.entry(source=self.source, event_bus=self.event_bus_name))
                owners.append(index)
        if not entries:
            return []
        result = self.bus.publish(entries)
        self.metrics.count(Metric.OUTCOME_EVENTS_PUBLISHED, None, result.published)
        if not result.failed:
            return []
        self.metrics.count(Metric.OUTCOME_EVENTS_FAILED, None, len(result.failed))
        failed_records = sorted({owners[position] for position in result.failed})
        logger.warning(
            "outcome events not accepted by EventBridge; their records will be retried",
            extra={
                "failed_entries": len(result.failed),
                "error_codes": sorted(set(result.error_codes)),
                "event_ids": [records[index].event_id for index in failed_records],
            },
        )
        return failed_records

    def publish_or_raise(self, record: PendingOutcomes) -> None:
        """One record's outcome events; OutcomePublishFailed (transient) if any was not accepted."""
        if self.publish([record]):
            raise OutcomePublishFailed("EventBridge did not accept the record's outcome events")
