"""The DLQ after a fix: look at what is in it, and move it back to the ingest queue.

On AWS, ``redrive`` starts an SQS message move task (``StartMessageMoveTask``): SQS moves the messages
itself, keeping body and attributes. moto (and some other SQS emulations) lack that API, so when it is
unsupported, or when asked (``copy=True``), messages are copied instead: receive, send to the
destination with the same body and message attributes (FIFO: the same message group and deduplication
id), then delete from the DLQ; paced, long-polled, and with a stop condition that a momentarily empty
receive does not trip (``local.redrive_copy``). A message is deleted only after its copy was accepted.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from local.redrive_copy import CopyError, CopyOptions, QueueCounts, copy_messages, describe

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient
    from mypy_boto3_sqs.type_defs import MessageTypeDef

MOVE_TASK = "StartMessageMoveTask"
COPY = "copy"
UNSUPPORTED_ERROR_CODES = frozenset(
    {"UnsupportedOperation", "AWS.SimpleQueueService.UnsupportedOperation", "InvalidAction", "NotImplemented"}
)
_RULE_TAG = re.compile(r"^\[[^\]]*\] ")  # how a dead letter's ErrorMessage names the rule: "[rule] ..."
INSPECT_VISIBILITY_SECONDS = 30


class RedriveError(RuntimeError):
    """The redrive could not start or could not finish; the message says where it stopped."""


@dataclass(frozen=True)
class QueueMessage:
    """A message as it sits in a queue: body, message attributes (as strings) and SQS attributes."""

    message_id: str
    body: str
    message_attributes: Mapping[str, Any] = field(default_factory=dict)
    attributes: Mapping[str, str] = field(default_factory=dict)

    def attribute(self, name: str) -> str | None:
        value = self.message_attributes.get(name)
        if isinstance(value, Mapping) and isinstance(value.get("StringValue"), str):
            return str(value["StringValue"])
        return None

    @property
    def error_type(self) -> str | None:
        return self.attribute("ErrorType")

    @property
    def error_message(self) -> str | None:
        return self.attribute("ErrorMessage")

    @property
    def reason(self) -> str | None:
        """``ErrorType: ErrorMessage``, saying the type once: a Connect rejection's message names it
        already (``[rule] InvalidParameterException: ...``). None for a message without reason attributes
        (one the redrive backstop moved)."""
        error_type, message = self.error_type, self.error_message
        if error_type is None or message is None:
            return message or error_type
        if _RULE_TAG.sub("", message, count=1).startswith(f"{error_type}:"):
            return message
        return f"{error_type}: {message}"

    @classmethod
    def from_sqs(cls, message: MessageTypeDef) -> QueueMessage:
        return cls(
            message_id=message["MessageId"],
            body=message.get("Body", ""),
            message_attributes=dict(message.get("MessageAttributes", {})),
            attributes={str(name): value for name, value in message.get("Attributes", {}).items()},
        )


def receive_batch(sqs: SQSClient, queue_url: str, *, visibility_timeout: int) -> list[MessageTypeDef]:
    """Up to 10 messages, with every attribute and message attribute, hidden for ``visibility_timeout``
    seconds; no long polling (an empty list means the queue has nothing visible now)."""
    return sqs.receive_message(
        QueueUrl=queue_url,
        MaxNumberOfMessages=10,
        AttributeNames=["All"],
        MessageAttributeNames=["All"],
        VisibilityTimeout=visibility_timeout,
        WaitTimeSeconds=0,
    ).get("Messages", [])


def inspect_queue(sqs: SQSClient, queue_url: str, *, limit: int = 1000) -> list[QueueMessage]:
    """Every message in the queue (up to ``limit``), left in place: each is received once, then made
    visible again at once. Receiving counts as a receive (ApproximateReceiveCount goes up)."""
    received: list[MessageTypeDef] = []
    while len(received) < limit:
        batch = receive_batch(sqs, queue_url, visibility_timeout=INSPECT_VISIBILITY_SECONDS)
        if not batch:
            break
        received.extend(batch)
    for start in range(0, len(received), 10):
        chunk = received[start : start + 10]
        sqs.change_message_visibility_batch(
            QueueUrl=queue_url,
            Entries=[
                {"Id": str(index), "ReceiptHandle": message["ReceiptHandle"], "VisibilityTimeout": 0}
                for index, message in enumerate(chunk)
            ],
        )
    return [QueueMessage.from_sqs(message) for message in received]


@dataclass(frozen=True)
class RedriveResult:
    method: str  # MOVE_TASK or COPY
    moved: int | None = None  # COPY: how many were moved; MOVE_TASK: SQS counts them itself
    task_handle: str | None = None  # MOVE_TASK: follow it with ListMessageMoveTasks
    returned: int = 0  # COPY: the same event as one moved in this run, left in the DLQ (see redrive_copy)
    left: QueueCounts | None = None  # COPY: stopped after empty receives while the DLQ still counted these


def redrive(
    sqs: SQSClient,
    dlq_url: str,
    destination_url: str,
    *,
    copy: bool = False,
    options: CopyOptions | None = None,
    move_task_client: SQSClient | None = None,
    on_moved: Callable[[int], None] | None = None,
) -> RedriveResult:
    """Move every message of ``dlq_url`` to ``destination_url``; see the module docstring. A queue is
    never redriven into itself (it would never end). ``options`` (default ``CopyOptions()``) shape the
    copy; its ``rate`` paces the move task too.

    ``move_task_client`` (default ``sqs``) makes the StartMessageMoveTask call: give one without
    retries so that an SQS emulation without the API is detected at once."""
    options = options or CopyOptions()
    source_arn, destination_arn = _queue_arn(sqs, dlq_url), _queue_arn(sqs, destination_url)
    if source_arn == destination_arn:
        raise RedriveError(
            f"the DLQ and the destination are the same queue ({source_arn}): "
            "moving its messages into itself would never end; give the ingest queue as the destination"
        )
    if not copy:
        started = _start_move_task(move_task_client or sqs, source_arn, destination_arn, options.rate)
        if started is not None:
            return started
    try:
        copied = copy_messages(sqs, dlq_url, destination_url, options, on_moved=on_moved)
    except CopyError as error:
        raise RedriveError(str(error)) from None
    return RedriveResult(method=COPY, moved=copied.moved, returned=copied.returned, left=copied.left)


def _start_move_task(
    sqs: SQSClient, source_arn: str, destination_arn: str, rate: int | None
) -> RedriveResult | None:
    """The move task's result, or None when the endpoint does not support StartMessageMoveTask."""
    pace = {"MaxNumberOfMessagesPerSecond": rate} if rate is not None else {}
    try:
        response = sqs.start_message_move_task(SourceArn=source_arn, DestinationArn=destination_arn, **pace)
    except ClientError as error:
        if is_unsupported(error):
            return None
        raise RedriveError(f"StartMessageMoveTask failed: {describe(error)}") from None
    except BotoCoreError as error:
        raise RedriveError(f"StartMessageMoveTask failed: {error}") from None
    return RedriveResult(method=MOVE_TASK, task_handle=response.get("TaskHandle"))


def is_unsupported(error: ClientError) -> bool:
    """The endpoint does not implement the call: a documented "unsupported" code, or a server error
    that is not an AWS error document at all (botocore then reports the bare HTTP status as the code)."""
    code = str(error.response.get("Error", {}).get("Code") or "")
    status = int(error.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)
    return code in UNSUPPORTED_ERROR_CODES or (code.isdigit() and status in {404, 500, 501})


def _queue_arn(sqs: SQSClient, queue_url: str) -> str:
    try:
        attributes = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]
    except (ClientError, BotoCoreError) as error:
        raise RedriveError(f"cannot find queue {queue_url}: {describe(error)}") from None
    return attributes["QueueArn"]
