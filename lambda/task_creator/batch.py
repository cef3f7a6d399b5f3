"""SQS batches with partial batch responses: every record is answered on its own, never the whole batch.

Standard queues: records run concurrently on the container's thread pool (``max_parallel_calls``
threads, so at most that many at a time). FIFO queues: in order, one at a time; a failed message fails
the rest of its message group in this batch unprocessed (they must not overtake it) and holds back no
other group. A batch in which every record failed is still answered with a partial response, never an
exception. (A thread pool and a loop, rather than Powertools' batch processors: its async processor
went through an asyncio loop and a thread hop per record, ~0.1 ms of CPU a record and 20 ms of imports
at cold start, for what ``submit`` does.)

The done records' outcome events are published together once the batch has run (PutEvents takes 10
entries a call); a record whose events EventBridge did not accept is retried, like any transient failure.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypedDict

from task_creator.creator import TaskCreator
from task_creator.errors import OutcomePublishFailed, TaskCreatorError, UnexpectedError
from task_creator.mapping.envelope import event_from_sqs_record, sqs_string_attributes
from task_creator.observability import log_unexpected
from task_creator.outcome_publisher import PendingOutcomes
from task_creator.records import DELIVERY_ID_ATTRIBUTE, PRIOR_ATTEMPTS_ATTRIBUTE, Delivery, EventReport

NOT_FINISHED = OutcomePublishFailed("the record's outcome events or its deferral were not accepted")

type SqsRecord = dict[str, Any]


class ItemFailure(TypedDict):
    itemIdentifier: str


class PartialBatchResponse(TypedDict):
    """What Lambda's SQS event source reads back (``ReportBatchItemFailures``): the failed message ids."""

    batchItemFailures: list[ItemFailure]


class SqsBatchRunner:
    def __init__(self, creator: TaskCreator, executor: ThreadPoolExecutor) -> None:
        self.creator = creator
        self.executor = executor

    def run(self, event: dict[str, Any], *, deadline: float, fifo: bool) -> PartialBatchResponse:
        records: list[SqsRecord] = list(event.get("Records") or [])
        settled: list[tuple[Delivery, EventReport]] = []
        process_record = self._record_processor(deadline, settled)
        run = _in_group_order if fifo else self._concurrently
        failed = run(records, process_record)
        return self._finish(failed, settled)

    def _concurrently(
        self, records: Sequence[SqsRecord], process_record: Callable[[SqsRecord], object]
    ) -> list[str]:
        futures = [(record, self.executor.submit(process_record, record)) for record in records]
        return [_message_id(record) for record, future in futures if future.exception() is not None]

    def _finish(self, failed: list[str], settled: list[tuple[Delivery, EventReport]]) -> PartialBatchResponse:
        """After the batch: send the deferred records back to their queues, and publish the done records'
        outcome events. A record that could not be sent back, or whose events were not accepted, is
        reported failed (its retry pushed back), so nothing is lost."""
        deferred = [(delivery, report) for delivery, report in settled if report.deferred_seconds is not None]
        retry = self.creator.send_back(deferred) if deferred else []
        publisher = self.creator.outcomes
        pending = [(delivery, report) for delivery, report in settled if report.outcomes]
        if publisher is not None and pending:
            not_accepted = publisher.publish([PendingOutcomes(r.event_id, r.outcomes) for _, r in pending])
            retry += [pending[index][0] for index in not_accepted]
        reported = set(failed)
        for delivery in retry:
            self.creator.retry_later(delivery, NOT_FINISHED)
            if delivery.message_id not in reported:
                reported.add(delivery.message_id)
                failed.append(delivery.message_id)
        return {"batchItemFailures": [{"itemIdentifier": message_id} for message_id in failed]}

    def _record_processor(
        self, deadline: float, settled: list[tuple[Delivery, EventReport]]
    ) -> Callable[[SqsRecord], EventReport]:
        def process_record(record: SqsRecord) -> EventReport:
            delivery = sqs_delivery(record)
            try:
                report = self.creator.process(
                    delivery, lambda: event_from_sqs_record(record), deadline=deadline
                )
                settled.append((delivery, report))
                return report
            except TaskCreatorError:
                raise  # logged and counted by the creator
            except Exception as error:
                # The batch utility would swallow it silently: say what it was, then let it be retried.
                log_unexpected(delivery.message_id, "", error)
                raise UnexpectedError(f"{type(error).__name__} while processing the record") from None

        return process_record


def _in_group_order(records: Sequence[SqsRecord], process_record: Callable[[SqsRecord], object]) -> list[str]:
    """FIFO: one record at a time, in order; after a failure, the rest of its group fails unprocessed."""
    failed: list[str] = []
    failed_groups: set[str] = set()
    for record in records:
        group = (record.get("attributes") or {}).get("MessageGroupId")
        if group is not None and group in failed_groups:
            failed.append(_message_id(record))
            continue
        try:
            process_record(record)
        except Exception:  # logged and counted where it was raised; answered as failed
            failed.append(_message_id(record))
            if group is not None:
                failed_groups.add(group)
    return failed


def _message_id(record: SqsRecord) -> str:
    return str(record.get("messageId", ""))


def sqs_delivery(record: dict[str, Any]) -> Delivery:
    attributes = record.get("attributes") or {}
    try:
        receive_count = int(attributes.get("ApproximateReceiveCount", 1))
    except (TypeError, ValueError):
        receive_count = 1
    message_attributes = record.get("messageAttributes") or {}
    strings = sqs_string_attributes(record)
    return Delivery(
        body=str(record.get("body", "")),
        message_id=str(record.get("messageId", "")),
        source_arn=str(record.get("eventSourceARN", "")),
        message_attributes=message_attributes,
        receipt_handle=record.get("receiptHandle"),
        receive_count=receive_count,
        message_group_id=attributes.get("MessageGroupId"),
        prior_attempts=_whole_number(strings.get(PRIOR_ATTEMPTS_ATTRIBUTE)),
        original_id=strings.get(DELIVERY_ID_ATTRIBUTE) or None,
    )


def _whole_number(text: str | None) -> int:
    try:
        return max(0, int(text or 0))
    except ValueError:
        return 0
