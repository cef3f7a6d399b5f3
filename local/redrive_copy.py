"""Redrive by copying (where StartMessageMoveTask is missing, or asked for): receive, send, delete.

- **Pace**: with ``rate``, sends are spaced ``1/rate`` seconds apart (no catching up after a wait), so
  the function downstream sees at most ``rate`` redriven messages a second.
- **Long polling**: each receive waits up to ``wait_seconds`` for a message (SQS allows 20).
- **When it stops**: after an empty receive, it asks the DLQ for its approximate counts and stops when
  nothing is visible, delayed or in flight (besides what this run holds, below): a momentarily empty
  receive (delayed messages, messages another reader holds for a moment) does not end it. The counts
  lag deletes by up to a minute on SQS, so it also stops after ``empty_receives`` empty receives in a
  row, and then reports what the counts still said (``left``).
- **No loop**: a message that is the same event (body and ``EventId``) as one this run already moved
  is not moved again: the function dead-lettered it again (the fix did not work), or it is a duplicate.
  It is held invisible until the copy stops, then made visible again, and counted (``returned``).
  (A queue redriven into itself is refused before this: ``local.redrive``.)

A message is deleted from the DLQ only after its copy was accepted.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient
    from mypy_boto3_sqs.type_defs import MessageTypeDef

COPY_VISIBILITY_SECONDS = 60
DEFAULT_WAIT_SECONDS = 5
DEFAULT_EMPTY_RECEIVES = 3
MAX_WAIT_SECONDS = 20  # SQS's longest long poll


class CopyError(RuntimeError):
    """The copy could not go on; the message says how far it got and where each message is."""


@dataclass(frozen=True)
class CopyOptions:
    rate: int | None = None  # messages per second; None: as fast as SQS takes them
    wait_seconds: int = DEFAULT_WAIT_SECONDS
    empty_receives: int = DEFAULT_EMPTY_RECEIVES

    def __post_init__(self) -> None:
        if self.rate is not None and self.rate < 1:
            raise ValueError("rate must be at least 1 message per second")
        if not 0 <= self.wait_seconds <= MAX_WAIT_SECONDS:
            raise ValueError(f"wait_seconds must be from 0 to {MAX_WAIT_SECONDS}")
        if self.empty_receives < 1:
            raise ValueError("empty_receives must be at least 1")


@dataclass(frozen=True)
class QueueCounts:
    """A queue's approximate counts (``ApproximateNumberOfMessages*``)."""

    visible: int
    in_flight: int
    delayed: int

    def empty_but(self, held: int) -> bool:
        """Nothing left but the ``held`` messages this run keeps in flight itself."""
        return self.visible == 0 and self.delayed == 0 and self.in_flight <= held


@dataclass(frozen=True)
class CopyResult:
    moved: int
    returned: int = 0  # same event as one moved in this run: left in the DLQ, not moved again
    left: QueueCounts | None = None  # stopped after empty receives while the counts said this was left


def copy_messages(
    sqs: SQSClient,
    dlq_url: str,
    destination_url: str,
    options: CopyOptions,
    *,
    on_moved: Callable[[int], None] | None = None,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> CopyResult:
    """Move every message of ``dlq_url`` to ``destination_url``; see the module docstring."""
    run = _CopyRun(
        sqs, dlq_url, destination_url, options, on_moved=on_moved, pacer=_Pacer(options.rate, clock, sleep)
    )
    try:
        return run.until_done()
    finally:
        run.release_held()


class _CopyRun:
    def __init__(
        self,
        sqs: SQSClient,
        dlq_url: str,
        destination_url: str,
        options: CopyOptions,
        *,
        on_moved: Callable[[int], None] | None,
        pacer: _Pacer,
    ) -> None:
        self.sqs, self.dlq_url, self.destination_url = sqs, dlq_url, destination_url
        self.options, self.on_moved, self.pacer = options, on_moved, pacer
        self.fifo_destination = destination_url.endswith(".fifo")
        self.moved = 0
        self.moved_events: set[str] = set()
        self.held: dict[str, MessageTypeDef] = {}  # message id -> the latest receive of it

    def until_done(self) -> CopyResult:
        empty_receives = 0
        while True:
            moved_now = sum(self._move(message) for message in self._receive())
            if moved_now:
                empty_receives = 0
                continue
            empty_receives += 1
            counts = self._counts()
            if counts.empty_but(len(self.held)):
                return CopyResult(moved=self.moved, returned=len(self.held))
            if empty_receives >= self.options.empty_receives:
                return CopyResult(moved=self.moved, returned=len(self.held), left=counts)

    def _move(self, message: MessageTypeDef) -> bool:
        event = event_key(message)
        if event in self.moved_events:
            self.held[message["MessageId"]] = message
            return False
        self.pacer.wait()
        self._send(message)
        self._delete(message)
        self.moved_events.add(event)
        self.moved += 1
        if self.on_moved is not None:
            self.on_moved(self.moved)
        return True

    def _receive(self) -> list[MessageTypeDef]:
        try:
            return self.sqs.receive_message(
                QueueUrl=self.dlq_url,
                MaxNumberOfMessages=10,
                AttributeNames=["All"],
                MessageAttributeNames=["All"],
                VisibilityTimeout=COPY_VISIBILITY_SECONDS,
                WaitTimeSeconds=self.options.wait_seconds,
            ).get("Messages", [])
        except (ClientError, BotoCoreError) as error:
            raise CopyError(f"cannot read the DLQ after moving {self.moved}: {describe(error)}") from None

    def _counts(self) -> QueueCounts:
        try:
            attributes = self.sqs.get_queue_attributes(
                QueueUrl=self.dlq_url,
                AttributeNames=[
                    "ApproximateNumberOfMessages",
                    "ApproximateNumberOfMessagesNotVisible",
                    "ApproximateNumberOfMessagesDelayed",
                ],
            )["Attributes"]
        except (ClientError, BotoCoreError) as error:
            raise CopyError(f"cannot read the DLQ after moving {self.moved}: {describe(error)}") from None
        return QueueCounts(
            visible=int(attributes.get("ApproximateNumberOfMessages", "0")),
            in_flight=int(attributes.get("ApproximateNumberOfMessagesNotVisible", "0")),
            delayed=int(attributes.get("ApproximateNumberOfMessagesDelayed", "0")),
        )

    def _send(self, message: MessageTypeDef) -> None:
        request = copy_request(message, self.destination_url, fifo_destination=self.fifo_destination)
        try:
            self.sqs.send_message(**request)
        except (ClientError, BotoCoreError) as error:
            raise CopyError(
                f"moved {self.moved}, then could not send message {message['MessageId']} to the destination "
                f"({describe(error)}); it stays in the DLQ"
            ) from None

    def _delete(self, message: MessageTypeDef) -> None:
        try:
            self.sqs.delete_message(QueueUrl=self.dlq_url, ReceiptHandle=message["ReceiptHandle"])
        except (ClientError, BotoCoreError) as error:
            raise CopyError(
                f"moved {self.moved + 1}, but message {message['MessageId']} could not be deleted from the "
                f"DLQ ({describe(error)}): it is now in both queues"
            ) from None

    def release_held(self) -> None:
        """Make the held messages visible again now, not when their visibility timeout ends."""
        held = list(self.held.values())
        for start in range(0, len(held), 10):
            entries = [
                {"Id": str(index), "ReceiptHandle": message["ReceiptHandle"], "VisibilityTimeout": 0}
                for index, message in enumerate(held[start : start + 10])
            ]
            try:
                self.sqs.change_message_visibility_batch(QueueUrl=self.dlq_url, Entries=entries)  # type: ignore[arg-type]
            except (ClientError, BotoCoreError):
                return  # they become visible by themselves when their visibility timeout ends


class _Pacer:
    """Spaces calls ``1/rate`` seconds apart; no limit without a rate."""

    def __init__(self, rate: int | None, clock: Callable[[], float], sleep: Callable[[float], None]) -> None:
        self._interval = 1 / rate if rate else 0.0
        self._clock, self._sleep = clock, sleep
        self._next: float | None = None

    def wait(self) -> None:
        if not self._interval:
            return
        now = self._clock()
        if self._next is not None and now < self._next:
            self._sleep(self._next - now)
            now = self._next
        self._next = now + self._interval


def event_key(message: MessageTypeDef) -> str:
    """The event a DLQ message carries: its body and its ``EventId`` attribute (which the function writes
    on every dead letter, and reads back on a redriven raw payload)."""
    attribute = message.get("MessageAttributes", {}).get("EventId")
    event_id = (attribute.get("StringValue") if attribute is not None else None) or ""
    return hashlib.sha256(f"{event_id}\0{message.get('Body', '')}".encode()).hexdigest()


def copy_request(message: MessageTypeDef, destination_url: str, *, fifo_destination: bool) -> dict[str, Any]:
    """SendMessage for a copy of ``message``: the same body and message attributes."""
    request: dict[str, Any] = {"QueueUrl": destination_url, "MessageBody": message.get("Body", "")}
    if message.get("MessageAttributes"):
        request["MessageAttributes"] = dict(message["MessageAttributes"])
    if fifo_destination:
        attributes = message.get("Attributes", {})
        request["MessageGroupId"] = attributes.get("MessageGroupId") or "redrive"
        if attributes.get("MessageDeduplicationId"):
            request["MessageDeduplicationId"] = attributes["MessageDeduplicationId"]
    return request


def describe(error: Exception) -> str:
    """``Code: Message`` of an AWS error, else the error's text."""
    if isinstance(error, ClientError):
        details = error.response.get("Error", {})
        return f"{details.get('Code', 'Error')}: {details.get('Message', '')}".rstrip(": ")
    return str(error)
