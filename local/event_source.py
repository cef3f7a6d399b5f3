"""The SQS event source loop: what Lambda's SQS event source mapping does, on embedded AWS.

Each poll receives up to ``batch_size`` messages (``AttributeNames=All``, ``MessageAttributeNames=All``,
the mapping's visibility timeout), gathering more for up to ``maximum_batching_window_seconds`` after
the first while the batch is not full (``MaximumBatchingWindowInSeconds``), builds the SQS event exactly
as Lambda does, invokes the handler with a fresh Lambda context, and deletes only the records the
response does not list in ``batchItemFailures`` (ReportBatchItemFailures). When the invocation raises,
or the response names a record that was not in the batch, the whole batch counts as failed and nothing
is deleted, as on AWS. Failed records stay on the queue, reappear when their visibility expires (or
later, when the function extended it for backoff), and the queue's redrive policy moves them to the DLQ
after ``maxReceiveCount`` receives: through SQS itself, as in production.
"""

from __future__ import annotations

import base64
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from local.identifiers import LOCAL_REGION
from local.lambda_context import LocalLambdaContext

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient
    from mypy_boto3_sqs.type_defs import MessageTypeDef

GATHER_POLL_SECONDS = 0.05  # how often a batching window looks for more messages
QUEUE_DEPTH_ATTRIBUTES = (
    "ApproximateNumberOfMessages",
    "ApproximateNumberOfMessagesNotVisible",
    "ApproximateNumberOfMessagesDelayed",
)


class Invoker(Protocol):
    """Runs the function on one event: ``lambda_handler(event, context, dependencies=...)``."""

    def __call__(self, event: dict[str, Any], context: LocalLambdaContext) -> Any: ...


@dataclass(frozen=True)
class EventSourceMapping:
    """One queue feeding the function: the ESM's settings."""

    queue_url: str
    queue_arn: str
    batch_size: int = 10
    visibility_timeout_seconds: int | None = None  # None: the queue's own
    region: str = LOCAL_REGION
    maximum_batching_window_seconds: float = 0.0


@dataclass(frozen=True)
class BatchResult:
    """What one poll did."""

    queue_arn: str
    received: int
    deleted: int
    failed: int
    invocation_error: str | None = None


@dataclass(frozen=True)
class QueueDepth:
    visible: int
    in_flight: int
    delayed: int

    @property
    def empty(self) -> bool:
        return self.visible == 0 and self.in_flight == 0 and self.delayed == 0


class SqsEventSource:
    """Polls one queue and invokes the function, one batch at a time."""

    def __init__(
        self,
        sqs: SQSClient,
        mapping: EventSourceMapping,
        invoke: Invoker,
        *,
        new_context: Callable[[], LocalLambdaContext] = LocalLambdaContext,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._sqs = sqs
        self.mapping = mapping
        self._invoke = invoke
        self._new_context = new_context
        self._clock = clock
        self._sleep = sleep

    def poll_once(self) -> BatchResult | None:
        """Receive one batch and run the function on it; None when no message was received."""
        messages = self._gather()
        if not messages:
            return None
        event = lambda_sqs_event(messages, self.mapping.queue_arn, self.mapping.region)
        try:
            response = self._invoke(event, self._new_context())
        except Exception as error:
            return self._result(messages, deleted=0, error=f"{type(error).__name__}: {error}")
        succeeded = succeeded_messages(messages, response)
        self._delete(succeeded)
        invalid = None if succeeded is not None else "invalid batchItemFailures in the response"
        return self._result(messages, deleted=len(succeeded or []), error=invalid)

    def _gather(self) -> list[MessageTypeDef]:
        """A batch: what one receive gives, then, within the batching window from then, more receives
        until the batch is full (ReceiveMessage returns at most 10 messages a call)."""
        messages = self._receive(self.mapping.batch_size)
        if not messages:
            return []
        closes = self._clock() + self.mapping.maximum_batching_window_seconds
        while len(messages) < self.mapping.batch_size and self._clock() < closes:
            more = self._receive(self.mapping.batch_size - len(messages))
            if not more:
                self._sleep(min(GATHER_POLL_SECONDS, max(0.0, closes - self._clock())))
            messages += more
        return messages

    def _receive(self, wanted: int) -> list[MessageTypeDef]:
        request: dict[str, Any] = {
            "QueueUrl": self.mapping.queue_url,
            "MaxNumberOfMessages": min(wanted, 10),
            "AttributeNames": ["All"],
            "MessageAttributeNames": ["All"],
            "WaitTimeSeconds": 0,
        }
        if self.mapping.visibility_timeout_seconds is not None:
            request["VisibilityTimeout"] = self.mapping.visibility_timeout_seconds
        return list(self._sqs.receive_message(**request).get("Messages", []))

    def depth(self) -> QueueDepth:
        attributes = self._sqs.get_queue_attributes(
            QueueUrl=self.mapping.queue_url,
            AttributeNames=list(QUEUE_DEPTH_ATTRIBUTES),  # type: ignore[arg-type]
        )["Attributes"]
        return QueueDepth(
            visible=int(attributes.get("ApproximateNumberOfMessages", 0)),
            in_flight=int(attributes.get("ApproximateNumberOfMessagesNotVisible", 0)),
            delayed=int(attributes.get("ApproximateNumberOfMessagesDelayed", 0)),
        )

    def _delete(self, messages: Sequence[MessageTypeDef] | None) -> None:
        if not messages:
            return
        entries = [
            {"Id": str(index), "ReceiptHandle": message["ReceiptHandle"]}
            for index, message in enumerate(messages)
        ]
        self._sqs.delete_message_batch(QueueUrl=self.mapping.queue_url, Entries=entries)  # type: ignore[arg-type]

    def _result(self, messages: Sequence[MessageTypeDef], *, deleted: int, error: str | None) -> BatchResult:
        return BatchResult(
            queue_arn=self.mapping.queue_arn,
            received=len(messages),
            deleted=deleted,
            failed=len(messages) - deleted,
            invocation_error=error,
        )


def succeeded_messages(messages: Sequence[MessageTypeDef], response: Any) -> list[MessageTypeDef] | None:
    """The messages to delete after a partial batch response; None when the response is invalid (the
    whole batch failed): not an object, or a failure naming no record of this batch."""
    if response is None:
        return list(messages)
    if not isinstance(response, Mapping):
        return None
    failures = response.get("batchItemFailures") or []
    if not isinstance(failures, list):
        return None
    batch_ids = {message["MessageId"] for message in messages}
    failed_ids: set[str] = set()
    for failure in failures:
        identifier = failure.get("itemIdentifier") if isinstance(failure, Mapping) else None
        if not isinstance(identifier, str) or identifier not in batch_ids:
            return None
        failed_ids.add(identifier)
    return [message for message in messages if message["MessageId"] not in failed_ids]


def lambda_sqs_event(messages: Sequence[MessageTypeDef], queue_arn: str, region: str) -> dict[str, Any]:
    """The event Lambda builds for a batch: ``{"Records": [...]}``, one record per message."""
    return {"Records": [lambda_sqs_record(message, queue_arn, region) for message in messages]}


def lambda_sqs_record(message: MessageTypeDef, queue_arn: str, region: str) -> dict[str, Any]:
    """One message as Lambda delivers it (camelCase keys, attributes as strings, message attributes in
    the stringValue/binaryValue shape with base64 binaries)."""
    record: dict[str, Any] = {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message.get("Body", ""),
        "attributes": dict(message.get("Attributes", {})),
        "messageAttributes": {
            name: lambda_message_attribute(value)
            for name, value in message.get("MessageAttributes", {}).items()
        },
        "md5OfBody": message.get("MD5OfBody", ""),
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": region,
    }
    if message.get("MD5OfMessageAttributes"):
        record["md5OfMessageAttributes"] = message["MD5OfMessageAttributes"]
    return record


def lambda_message_attribute(value: Mapping[str, Any]) -> dict[str, Any]:
    """SQS's MessageAttributeValue -> Lambda's record shape."""
    attribute: dict[str, Any] = {
        "stringListValues": list(value.get("StringListValues", [])),
        "binaryListValues": [_base64(item) for item in value.get("BinaryListValues", [])],
        "dataType": value.get("DataType", "String"),
    }
    if "StringValue" in value:
        attribute["stringValue"] = value["StringValue"]
    if "BinaryValue" in value:
        attribute["binaryValue"] = _base64(value["BinaryValue"])
    return attribute


def _base64(value: Any) -> str:
    raw = value if isinstance(value, bytes) else str(value).encode("utf-8")
    return base64.b64encode(raw).decode("ascii")


@dataclass(frozen=True)
class DrainReport:
    batches: int
    received: int
    deleted: int
    failed: int
    invocation_errors: tuple[str, ...]
    seconds: float


class DrainTimeout(RuntimeError):
    """The queues still held messages when the drain's time ran out."""


def drain(
    sources: Sequence[SqsEventSource],
    *,
    timeout_seconds: float,
    idle_sleep_seconds: float = 0.1,
    on_batch: Callable[[BatchResult], None] | None = None,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> DrainReport:
    """Poll every source until all their queues are empty with nothing in flight or delayed.

    Raises DrainTimeout after ``timeout_seconds`` (saying what is left where)."""
    started = clock()
    results: list[BatchResult] = []
    while True:
        polled = [result for source in sources if (result := source.poll_once()) is not None]
        for result in polled:
            results.append(result)
            if on_batch is not None:
                on_batch(result)
        if not polled:
            depths = {source.mapping.queue_arn: source.depth() for source in sources}
            if all(depth.empty for depth in depths.values()):
                return _drain_report(results, clock() - started)
            if clock() - started > timeout_seconds:
                raise DrainTimeout(_leftover(depths, timeout_seconds))
            sleep(idle_sleep_seconds)
        elif clock() - started > timeout_seconds:
            depths = {source.mapping.queue_arn: source.depth() for source in sources}
            raise DrainTimeout(_leftover(depths, timeout_seconds))


def _drain_report(results: Sequence[BatchResult], seconds: float) -> DrainReport:
    return DrainReport(
        batches=len(results),
        received=sum(result.received for result in results),
        deleted=sum(result.deleted for result in results),
        failed=sum(result.failed for result in results),
        invocation_errors=tuple(result.invocation_error for result in results if result.invocation_error),
        seconds=seconds,
    )


def _leftover(depths: Mapping[str, QueueDepth], timeout_seconds: float) -> str:
    left = ", ".join(
        f"{arn.rsplit(':', 1)[-1]}: {depth.visible} waiting, {depth.in_flight} in flight, "
        f"{depth.delayed} delayed"
        for arn, depth in depths.items()
        if not depth.empty
    )
    return f"the pipeline did not drain within {timeout_seconds:g} s ({left or 'queues emptied just now'})"
