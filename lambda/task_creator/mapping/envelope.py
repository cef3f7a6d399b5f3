"""Every way an event arrives, normalised into one canonical event with the EventBridge envelope's shape.

- SQS record whose body is an EventBridge envelope (rule with an SQS target delivers the whole event);
- SQS record whose body is an SNS notification (non-raw delivery): ``Message`` is unwrapped, then read
  as an EventBridge envelope or a raw payload;
- SQS record whose body is a raw JSON payload from an upstream system;
- a direct EventBridge invocation.

What the rest of the pipeline cannot handle is refused here as MalformedEvent: a body that is not JSON,
or nested more than ``EVENT_MAX_DEPTH`` levels, or holding an integer with more digits than Python reads
or writes (``sys.get_int_max_str_digits()``, 4,300 by default); an id, source or detail-type that is not
valid Unicode (an unpaired surrogate). The event id is never blank: a blank ``EventId`` attribute or SNS
``MessageId`` falls back to the SQS ``messageId``; a blank envelope ``id`` has nothing to fall back to.
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import Enum
from functools import cached_property
from typing import Any

from task_creator.errors import MalformedEvent
from task_creator.mapping.limits import NOT_UNICODE, is_valid_unicode
from task_creator.mapping.pattern_values import json_type

RAW_DEFAULT_SOURCE = "sqs"
RAW_DEFAULT_DETAIL_TYPE = ""
# The DLQ writes the event id as this message attribute; a message moved back to the ingest queue keeps
# it, so a raw payload keeps its identity (and its ClientTokens) across the round trip.
EVENT_ID_ATTRIBUTE = "EventId"
ENVELOPE_KEYS = frozenset({"source", "detail-type", "detail"})
# What EventBridge's replay of an archived event changes: a new ``id``, and ``replay-name`` added (moto
# also adds ``account``, missing from its live deliveries, and its own ``ingestion-time``). The default
# event identity (``CanonicalEvent.identity``) is the envelope's content, hashed: these fields only.
REPLAY_NAME_KEY = "replay-name"
FINGERPRINT_KEYS = ("version", "source", "detail-type", "time", "region", "resources", "detail")
FINGERPRINT_VERSION = "eb1"
# Nesting (objects and arrays) allowed in a body, an SNS Message or a direct invocation: far beyond any
# business event, and well inside what matching and rendering can walk without exhausting the stack.
EVENT_MAX_DEPTH = 128


class InvocationKind(Enum):
    SQS = "sqs"
    SQS_FIFO = "sqs-fifo"
    EVENTBRIDGE = "eventbridge"


@dataclass(frozen=True)
class CanonicalEvent:
    """One event, whatever way it arrived, in the EventBridge envelope's shape."""

    id: str
    source: str
    detail_type: str
    detail: Any
    time: str = ""
    account: str = ""
    region: str = ""
    resources: tuple[str, ...] = field(default_factory=tuple)
    replay_name: str = ""
    # The EventBridge envelope it came in, if it came in one: its fingerprint is the identity.
    envelope: Mapping[str, Any] | None = field(default=None, compare=False, repr=False)

    @cached_property
    def identity(self) -> str:
        """What a rule without ``eventId`` derives its ClientToken from: the envelope's content
        fingerprint (it survives a replay, which gives the event a new ``id``), else the id. Computed
        when first asked: a mapping whose rules all name their ``eventId`` never hashes the envelope."""
        return envelope_fingerprint(self.envelope) if self.envelope is not None else self.id

    def as_dict(self) -> dict[str, Any]:
        """The envelope as EventBridge spells it: what mapping patterns and templates see."""
        return {
            "version": "0",
            "id": self.id,
            "detail-type": self.detail_type,
            "source": self.source,
            "account": self.account,
            "time": self.time,
            "region": self.region,
            "resources": list(self.resources),
            "detail": self.detail,
        }


def invocation_kind(event: Any) -> InvocationKind:
    """Recognise the shape of a Lambda invocation; raise MalformedEvent for anything else."""
    if isinstance(event, Mapping):
        records = event.get("Records")
        if isinstance(records, list) and records and all(_is_sqs_record(r) for r in records):
            return InvocationKind.SQS_FIFO if _is_fifo_record(records[0]) else InvocationKind.SQS
        if looks_like_envelope(event):
            return InvocationKind.EVENTBRIDGE
    raise MalformedEvent("invocation is neither an SQS batch nor an EventBridge event")


def event_from_eventbridge(event: Mapping[str, Any]) -> CanonicalEvent:
    """A direct EventBridge invocation (rule targeting the function)."""
    _check_walkable(event, what="EventBridge event")
    return _event_from_envelope(event, fallback_account="", fallback_region="")


def event_from_sqs_record(record: Mapping[str, Any]) -> CanonicalEvent:
    """One SQS record: EventBridge envelope, SNS notification or raw JSON payload."""
    message_id = _identity(record.get("messageId"), what="SQS messageId")
    if message_id is None:
        raise MalformedEvent("SQS record has no messageId")
    body = _parse_json(record.get("body"), what="SQS message body")
    account, region = _account_and_region(record)
    if looks_like_sns_notification(body):
        return _event_from_sns(body, record, message_id, account=account, region=region)
    if looks_like_envelope(body):
        return _event_from_envelope(body, fallback_account=account, fallback_region=region)
    attributes = sqs_string_attributes(record)
    return _raw_event(
        body,
        event_id=_identity(attributes.get(EVENT_ID_ATTRIBUTE), what=f"{EVENT_ID_ATTRIBUTE} message attribute")
        or message_id,
        attributes=attributes,
        time=_epoch_millis_to_iso(_dict(record.get("attributes")).get("SentTimestamp")),
        account=account,
        region=region,
        resources=(),
    )


def _event_from_sns(
    notification: Mapping[str, Any], record: Mapping[str, Any], message_id: str, *, account: str, region: str
) -> CanonicalEvent:
    message = _parse_json(notification.get("Message"), what="SNS Message")
    if looks_like_envelope(message):
        return _event_from_envelope(message, fallback_account=account, fallback_region=region)
    attributes = {**sqs_string_attributes(record), **_sns_string_attributes(notification)}
    topic_arn = notification.get("TopicArn")
    return _raw_event(
        message,
        # The SNS MessageId survives SNS's own redelivery to the queue; the SQS messageId does not.
        event_id=_identity(notification.get("MessageId"), what="SNS MessageId") or message_id,
        attributes=attributes,
        time=str(notification.get("Timestamp") or ""),
        account=account,
        region=region,
        resources=(topic_arn,) if isinstance(topic_arn, str) else (),
    )


def _raw_event(
    payload: Any,
    *,
    event_id: str,
    attributes: Mapping[str, str],
    time: str,
    account: str,
    region: str,
    resources: tuple[str, ...],
) -> CanonicalEvent:
    if not isinstance(payload, dict):
        raise MalformedEvent(f"raw payload must be a JSON object, got {_json_type(payload)}")
    source = attributes.get("source", RAW_DEFAULT_SOURCE)
    detail_type = attributes.get("detail-type", RAW_DEFAULT_DETAIL_TYPE)
    _check_names(source, detail_type, where="message attribute")
    return CanonicalEvent(
        id=event_id,
        source=source,
        detail_type=detail_type,
        detail=payload,
        time=time,
        account=account,
        region=region,
        resources=resources,
    )


def _event_from_envelope(
    envelope: Mapping[str, Any], *, fallback_account: str, fallback_region: str
) -> CanonicalEvent:
    event_id = _identity(envelope.get("id"), what="EventBridge event id")
    source = envelope.get("source")
    detail_type = envelope.get("detail-type")
    detail = envelope.get("detail")
    if event_id is None:
        # Nothing to fall back to: the SQS messageId changes on every redrive.
        raise MalformedEvent("EventBridge event has no id (missing, empty or blank)")
    if not isinstance(source, str) or not isinstance(detail_type, str):
        raise MalformedEvent("EventBridge event source and detail-type must be strings")
    _check_names(source, detail_type, where="EventBridge event")
    if not isinstance(detail, dict):
        raise MalformedEvent(f"EventBridge event detail must be a JSON object, got {_json_type(detail)}")
    resources = envelope.get("resources") or []
    if not isinstance(resources, list) or not all(isinstance(r, str) for r in resources):
        raise MalformedEvent("EventBridge event resources must be a list of strings")
    replay_name = envelope.get(REPLAY_NAME_KEY)
    return CanonicalEvent(
        id=event_id,
        source=source,
        detail_type=detail_type,
        detail=detail,
        time=str(envelope.get("time") or ""),
        account=str(envelope.get("account") or fallback_account),
        region=str(envelope.get("region") or fallback_region),
        resources=tuple(resources),
        replay_name=replay_name if isinstance(replay_name, str) else "",
        envelope=envelope,
    )


def envelope_fingerprint(envelope: Mapping[str, Any]) -> str:
    """The identity of an EventBridge event that survives a replay: a hash of its content (the
    ``FINGERPRINT_KEYS``), not of the fields a replay changes. Version-prefixed, like the ClientToken."""
    kept = {key: envelope[key] for key in FINGERPRINT_KEYS if key in envelope}
    canonical = json.dumps(kept, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    digest = hashlib.sha256(canonical.encode("utf-8", "surrogatepass")).hexdigest()
    return f"{FINGERPRINT_VERSION}:{digest}"


def _identity(value: Any, *, what: str) -> str | None:
    """``value`` if it can identify an event (text, not blank); MalformedEvent if it is not valid Unicode."""
    if not isinstance(value, str) or not value.strip():
        return None
    if not is_valid_unicode(value):
        raise MalformedEvent(f"{what} {NOT_UNICODE}")
    return value


def _check_names(source: str, detail_type: str, *, where: str) -> None:
    for name, text in (("source", source), ("detail-type", detail_type)):
        if not is_valid_unicode(text):
            raise MalformedEvent(f"{where} {name} {NOT_UNICODE}")


def _parse_json(text: Any, *, what: str) -> Any:
    if not isinstance(text, str):
        raise MalformedEvent(f"{what} is missing or not text")
    try:
        value = json.loads(text)
    except json.JSONDecodeError as error:
        raise MalformedEvent(
            f"{what} is not valid JSON ({error.msg} at line {error.lineno} column {error.colno})"
        ) from None
    except RecursionError:
        raise MalformedEvent(f"{what} is nested more than {EVENT_MAX_DEPTH} levels deep") from None
    except ValueError:  # what json.loads raises besides JSONDecodeError: an integer too long to read
        raise MalformedEvent(f"{what} holds an integer of more than {_max_digits()} digits") from None
    _check_walkable(value, what=what)
    return value


def _check_walkable(value: Any, *, what: str) -> None:
    """MalformedEvent for a value nested more than EVENT_MAX_DEPTH levels or holding an integer with more
    digits than Python writes as text. Iterative: the value may be nested far deeper than the stack."""
    pending: list[tuple[Any, int]] = [(value, 0)]
    while pending:
        item, above = pending.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            if isinstance(item, int) and _too_many_digits(item):
                raise MalformedEvent(f"{what} holds an integer of more than {_max_digits()} digits")
            continue
        if above >= EVENT_MAX_DEPTH:
            raise MalformedEvent(f"{what} is nested more than {EVENT_MAX_DEPTH} levels deep")
        pending.extend((child, above + 1) for child in children)


def _max_digits() -> int:
    return sys.get_int_max_str_digits()


def _too_many_digits(number: int) -> bool:
    limit = _max_digits()
    # 3 bits per digit is fewer than log2(10): an int this short cannot reach the limit; skip the power.
    return limit > 0 and number.bit_length() > 3 * limit and abs(number) >= 10**limit


def _is_sqs_record(record: Any) -> bool:
    return isinstance(record, Mapping) and record.get("eventSource") == "aws:sqs"


def _is_fifo_record(record: Mapping[str, Any]) -> bool:
    # Only a FIFO queue's ARN says FIFO: SQS fair queues put MessageGroupId on standard-queue messages.
    return str(record.get("eventSourceARN") or "").endswith(".fifo")


def looks_like_envelope(value: Any) -> bool:
    """An EventBridge event: has source, detail-type and detail."""
    return isinstance(value, Mapping) and value.keys() >= ENVELOPE_KEYS


def looks_like_sns_notification(value: Any) -> bool:
    """An SNS notification delivered to SQS without raw message delivery."""
    return (
        isinstance(value, Mapping)
        and value.get("Type") == "Notification"
        and "Message" in value
        and "TopicArn" in value
    )


def sqs_string_attributes(record: Mapping[str, Any]) -> dict[str, str]:
    """The record's message attributes that have a string value, by name."""
    attributes: dict[str, str] = {}
    for name, value in _dict(record.get("messageAttributes")).items():
        if isinstance(value, Mapping) and isinstance(value.get("stringValue"), str):
            attributes[name] = value["stringValue"]
    return attributes


def _sns_string_attributes(notification: Mapping[str, Any]) -> dict[str, str]:
    attributes: dict[str, str] = {}
    for name, value in _dict(notification.get("MessageAttributes")).items():
        text = value.get("Value") if isinstance(value, Mapping) and value.get("Type") == "String" else None
        if isinstance(text, str):
            attributes[name] = text
    return attributes


def _account_and_region(record: Mapping[str, Any]) -> tuple[str, str]:
    """arn:aws:sqs:<region>:<account>:<queue> -> (account, region)."""
    parts = str(record.get("eventSourceARN") or "").split(":")
    if len(parts) >= 6:
        return parts[4], parts[3]
    return "", str(record.get("awsRegion") or "")


def _epoch_millis_to_iso(value: Any) -> str:
    try:
        moment = datetime.fromtimestamp(int(value) / 1000, tz=UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return ""
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _dict(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _json_type(value: Any) -> str:
    """'null', 'a number', 'an object', ... for messages about what a body or field holds."""
    name = json_type(value)
    return name if name == "null" else ("an " if name[0] in "aeiou" else "a ") + name
