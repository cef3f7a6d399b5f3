"""SQS batches through the Powertools batch utility, with partial batch responses.

Standard queues: records run concurrently, at most ``max_parallel_calls`` at a time (an async processor
whose record handler hands the blocking work to a bounded thread pool). FIFO queues: the FIFO processor,
in order, and a failed message holds back only its own message group. A batch in which every record
failed is still answered with a partial response, never an exception.

The done records' outcome events are published together once the batch has run (PutEvents takes 10
entries a call); a record whose events EventBridge did not accept is retried, like any transient failure.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from aws_lambda_powertools.utilities.batch import (
    AsyncBatchProcessor,
    EventType,
    SqsFifoPartialProcessor,
    async_process_partial_response,
    process_partial_response,
)
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from task_creator.creator import TaskCreator
from task_creator.errors import OutcomePublishFailed, TaskCreatorError, UnexpectedError
from task_creator.mapping.envelope import event_from_sqs_record, sqs_string_attributes
from task_creator.observability import log_unexpected
from task_creator.outcome_publisher import PendingOutcomes
from task_creator.records import DELIVERY_ID_ATTRIBUTE, PRIOR_ATTEMPTS_ATTRIBUTE, Delivery, EventReport

NOT_FINISHED = OutcomePublishFailed("the record's outcome events or its deferral were not accepted")


class SqsBatchRunner:
    def __init__(self, creator: TaskCreator, executor: ThreadPoolExecutor) -> None:
        self.creator = creator
        self.executor = executor

    def run(
        self, event: dict[str, Any], context: LambdaContext, *, deadline: float, fifo: bool
    ) -> PartialItemFailureResponse:
        settled: list[tuple[Delivery, EventReport]] = []
        process_record = self._record_processor(deadline, settled)
        if fifo:
            fifo_processor = SqsFifoPartialProcessor(skip_group_on_error=True)
            fifo_processor.raise_on_entire_batch_failure = False
            response = process_partial_response(
                event=event, record_handler=process_record, processor=fifo_processor, context=context
            )
            return self._finish(response, settled)

        loop_executor = self.executor

        async def process_record_async(record: SQSRecord) -> EventReport:
            return await asyncio.get_running_loop().run_in_executor(loop_executor, process_record, record)

        processor = AsyncBatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)
        response = async_process_partial_response(
            event=event, record_handler=process_record_async, processor=processor, context=context
        )
        return self._finish(response, settled)

    def _finish(
        self, response: PartialItemFailureResponse, settled: list[tuple[Delivery, EventReport]]
    ) -> PartialItemFailureResponse:
        """After the batch: send the deferred records back to their queues, and publish the done records'
        outcome events. A record that could not be sent back, or whose events were not accepted, is
        reported failed (its retry pushed back), so nothing is lost."""
        deferred = [(delivery, report) for delivery, report in settled if report.deferred_seconds is not None]
        retry = self.creator.send_back(deferred) if deferred else []
        publisher = self.creator.outcomes
        pending = [(delivery, report) for delivery, report in settled if report.outcomes]
        if publisher is not None and pending:
            failed = publisher.publish([PendingOutcomes(r.event_id, r.outcomes) for _, r in pending])
            retry += [pending[index][0] for index in failed]
        if not retry:
            return response
        failures = list(response.get("batchItemFailures", []))
        reported = {failure["itemIdentifier"] for failure in failures}
        for delivery in retry:
            self.creator.retry_later(delivery, NOT_FINISHED)
            if delivery.message_id not in reported:
                reported.add(delivery.message_id)
                failures.append({"itemIdentifier": delivery.message_id})
        return {"batchItemFailures": failures}

    def _record_processor(
        self, deadline: float, settled: list[tuple[Delivery, EventReport]]
    ) -> Callable[[SQSRecord], EventReport]:
        def process_record(record: SQSRecord) -> EventReport:
            raw = record.raw_event
            delivery = sqs_delivery(raw)
            try:
                report = self.creator.process(delivery, lambda: event_from_sqs_record(raw), deadline=deadline)
                settled.append((delivery, report))
                return report
            except TaskCreatorError:
                raise  # logged and counted by the creator
            except Exception as error:
                # The batch utility would swallow it silently: say what it was, then let it be retried.
                log_unexpected(delivery.message_id, "", error)
                raise UnexpectedError(f"{type(error).__name__} while processing the record") from None

        return process_record


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
