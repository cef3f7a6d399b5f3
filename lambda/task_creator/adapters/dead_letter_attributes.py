"""A dead letter's message attributes, fitted to SQS's limits. Pure: no AWS, no I/O.

SQS's rules (Amazon SQS Developer Guide, "Amazon SQS message attributes"; API reference of
``SendMessage``, ``MessageAttributeValue`` and ``SetQueueAttributes``):

- a message carries at most 10 message attributes;
- its size is the body's UTF-8 bytes plus, for every attribute, the bytes of its name, of its data type
  and of its value (``StringValue`` as UTF-8, ``BinaryValue`` as raw bytes), and it must not exceed the
  queue's ``MaximumMessageSize`` (1,024 to 1,048,576 bytes; 1,048,576 when not set).

How a dead letter is fitted (see docs/operations.md, "The DLQ message, byte by byte"):

1. Required, always: ``ErrorType`` (clipped), ``ErrorMessage`` (clipped to a floor), ``EventId`` (whole:
   it is the event's identity on redrive).
2. The record's original attributes, all of them if they fit. If not, originals are dropped (largest
   first, ``detail-type`` and ``source`` last, since a redriven raw message is read by them) and their
   names listed in ``DroppedAttributes``.
3. With what room is left: ``ErrorMessage`` longer, ``Rule``, ``SourceArn``, ``FailedAt``, short forms first.

Our own attributes are thus compacted before any original is dropped. A body that fits the ingest queue,
sized ``DLQ maximum - DEAD_LETTER_ATTRIBUTE_HEADROOM_BYTES``, always fits, whatever its attributes.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Required, TypedDict

from task_creator.errors import DeadLetterUnavailable

SQS_MAX_MESSAGE_ATTRIBUTES = 10
SQS_MIN_MAXIMUM_MESSAGE_SIZE = 1_024
SQS_MAX_MAXIMUM_MESSAGE_SIZE = 1_048_576
# SetQueueAttributes' documented default: what a queue holds when MaximumMessageSize was never set.
SQS_DEFAULT_MAXIMUM_MESSAGE_SIZE = 1_048_576

ERROR_TYPE = "ErrorType"
ERROR_MESSAGE = "ErrorMessage"
RULE = "Rule"
EVENT_ID = "EventId"  # the same name the envelope reads back (task_creator.mapping.envelope)
SOURCE_ARN = "SourceArn"
FAILED_AT = "FailedAt"
DROPPED_ATTRIBUTES = "DroppedAttributes"
OUR_ATTRIBUTES = (ERROR_TYPE, ERROR_MESSAGE, RULE, EVENT_ID, SOURCE_ARN, FAILED_AT, DROPPED_ATTRIBUTES)
PRESERVED_FIRST = ("source", "detail-type")

STRING = "String"
NO_VALUE = "-"
ELLIPSIS = "…"
DROPPED_SEPARATOR = ","

MAX_ERROR_MESSAGE_CHARS = 1024
ERROR_TYPE_MAX_BYTES = 128
ERROR_MESSAGE_MIN_BYTES = 256
ERROR_MESSAGE_SHORT_BYTES = 512
RULE_SHORT_BYTES = 64
RULE_MAX_BYTES = 1024
SOURCE_ARN_SHORT_BYTES = 128  # the queue's name (SQS allows 80 characters) is the short form
# Event ids we make up or read from a body are UUIDs or SQS/SNS message ids (36 characters); a longer one
# comes from the record's own EventId attribute, whose bytes the ingest queue has already counted.
EVENT_ID_BUDGET_BYTES = 128


def _attribute_overhead(name: str) -> int:
    return len(name.encode("utf-8")) + len(STRING)


# What the required attributes can take beyond what the ingest queue already counted: ErrorType and
# ErrorMessage at their caps, an EventId within its budget, DroppedAttributes' name and type (its value
# lists names whose bytes the dropped attributes freed) and the one separator a merged list adds.
MINIMUM_ATTRIBUTE_BYTES = (
    _attribute_overhead(ERROR_TYPE)
    + ERROR_TYPE_MAX_BYTES
    + _attribute_overhead(ERROR_MESSAGE)
    + ERROR_MESSAGE_MIN_BYTES
    + _attribute_overhead(EVENT_ID)
    + EVENT_ID_BUDGET_BYTES
    + _attribute_overhead(DROPPED_ATTRIBUTES)
    + len(DROPPED_SEPARATOR)
)
# The room to keep free on the DLQ for our attributes: size the ingest queue's MaximumMessageSize as the
# DLQ's minus this. Rounded up from MINIMUM_ATTRIBUTE_BYTES (582) to leave some for Rule and SourceArn.
DEAD_LETTER_ATTRIBUTE_HEADROOM_BYTES = 1_024


class AttributeValue(TypedDict, total=False):
    """One message attribute as SendMessage takes it (the list members SQS has not implemented left out)."""

    DataType: Required[str]
    StringValue: str
    BinaryValue: bytes


Attributes = dict[str, AttributeValue]


@dataclass(frozen=True)
class DeadLetterReason:
    """Why a record failed, as our attributes say it. No task content: see task_creator.errors."""

    error_type: str
    error_message: str
    rule: str
    event_id: str
    source_arn: str
    failed_at: datetime


@dataclass(frozen=True)
class FittedAttributes:
    """The attributes to send, the original names left out, and the message's size as SQS counts it."""

    attributes: Attributes
    dropped: tuple[str, ...]
    size_bytes: int


def utf8_bytes(text: str) -> int:
    return len(text.encode("utf-8"))


def attribute_bytes(name: str, value: AttributeValue) -> int:
    """What one attribute adds to a message's size: its name, its data type and its value."""
    data = value.get("BinaryValue")
    value_bytes = len(data) if data is not None else utf8_bytes(value.get("StringValue", ""))
    return utf8_bytes(name) + utf8_bytes(value["DataType"]) + value_bytes


def message_bytes(body: str, attributes: Mapping[str, AttributeValue]) -> int:
    """A message's size as SQS counts it against MaximumMessageSize."""
    return utf8_bytes(body) + sum(attribute_bytes(name, value) for name, value in attributes.items())


def clip_utf8(text: str, max_bytes: int) -> str:
    """``text`` cut on a character boundary to at most ``max_bytes`` UTF-8 bytes, ellipsis included."""
    encoded = text.encode("utf-8")
    if len(encoded) <= max_bytes:
        return text
    room = max_bytes - utf8_bytes(ELLIPSIS)
    if room <= 0:
        return encoded[:max_bytes].decode("utf-8", errors="ignore")
    return encoded[:room].decode("utf-8", errors="ignore") + ELLIPSIS


def validate_maximum_message_size(size: int) -> int:
    if not SQS_MIN_MAXIMUM_MESSAGE_SIZE <= size <= SQS_MAX_MAXIMUM_MESSAGE_SIZE:
        raise ValueError(
            f"MaximumMessageSize must be {SQS_MIN_MAXIMUM_MESSAGE_SIZE}..{SQS_MAX_MAXIMUM_MESSAGE_SIZE}"
            f" bytes, got {size}"
        )
    return size


def from_lambda_attributes(lambda_attributes: Mapping[str, Any]) -> Attributes:
    """A record's message attributes as Lambda delivers them (stringValue/binaryValue in base64) ->
    SendMessage's shape. Attributes without a value are left out: SQS refuses empty values."""
    converted = {name: _from_lambda_attribute(value) for name, value in lambda_attributes.items()}
    return {name: value for name, value in converted.items() if value is not None}


def _from_lambda_attribute(value: Any) -> AttributeValue | None:
    if not isinstance(value, Mapping):
        return None
    data_type = str(value.get("dataType") or value.get("DataType") or STRING)
    string_value = value.get("stringValue", value.get("StringValue"))
    if isinstance(string_value, str) and string_value:
        return {"DataType": data_type, "StringValue": string_value}
    binary_value = value.get("binaryValue", value.get("BinaryValue"))
    if isinstance(binary_value, str) and binary_value:
        return {"DataType": data_type, "BinaryValue": base64.b64decode(binary_value)}
    if isinstance(binary_value, bytes) and binary_value:
        return {"DataType": data_type, "BinaryValue": binary_value}
    return None


def fit_attributes(
    body: str,
    reason: DeadLetterReason,
    originals: Mapping[str, AttributeValue],
    *,
    maximum_message_size: int,
) -> FittedAttributes:
    """Our attributes and the record's, fitted to 10 attributes and ``maximum_message_size`` bytes.

    Raises DeadLetterUnavailable when even the body with the required attributes is too large."""
    validate_maximum_message_size(maximum_message_size)
    carried, previously_dropped = _carried_originals(originals)
    required = _required(reason)

    def fits(attributes: Mapping[str, AttributeValue]) -> bool:
        return (
            len(attributes) <= SQS_MAX_MESSAGE_ATTRIBUTES
            and message_bytes(body, attributes) <= maximum_message_size
        )

    kept, dropped = dict(carried), list(previously_dropped)
    for name in _drop_order(carried):
        if fits(_assemble(required, dropped, kept)):
            break
        del kept[name]
        dropped.append(name)
    attributes = _assemble(required, dropped, kept)
    if not fits(attributes):
        excess = message_bytes(body, attributes) - maximum_message_size
        attributes = _squeeze_dropped_list(attributes, excess)
    if not fits(attributes):
        raise DeadLetterUnavailable(
            f"the dead letter cannot fit the DLQ: a {utf8_bytes(body)}-byte body and "
            f"{message_bytes('', attributes)} bytes of required attributes exceed its MaximumMessageSize "
            f"of {maximum_message_size} bytes; size the ingest queue at most "
            f"{maximum_message_size - DEAD_LETTER_ATTRIBUTE_HEADROOM_BYTES} bytes"
        )
    for name, value in _upgrades(reason):
        candidate = {**attributes, name: value}
        if fits(candidate):
            attributes = candidate
    ordered = _in_canonical_order(attributes)
    return FittedAttributes(
        attributes=ordered,
        dropped=tuple(name for name in dropped if name not in previously_dropped),
        size_bytes=message_bytes(body, ordered),
    )


def _carried_originals(originals: Mapping[str, AttributeValue]) -> tuple[Attributes, list[str]]:
    """The originals we may carry over, and the names an earlier dead-lettering already dropped.

    Our own names are superseded (a message redriven from the DLQ carries our previous attributes: they
    describe the previous failure, not this one); an earlier ``DroppedAttributes`` list is carried on."""
    carried = {name: value for name, value in originals.items() if name not in OUR_ATTRIBUTES}
    listing = originals.get(DROPPED_ATTRIBUTES)
    earlier = listing.get("StringValue", "") if listing is not None else ""
    names = [name.strip() for name in earlier.split(DROPPED_SEPARATOR)]
    return carried, list(dict.fromkeys(name for name in names if name and name != ELLIPSIS))


def _drop_order(carried: Mapping[str, AttributeValue]) -> list[str]:
    """Which originals go first: the largest others (fewest names lost), then detail-type, then source."""
    others = sorted(
        (name for name in carried if name not in PRESERVED_FIRST),
        key=lambda name: (-attribute_bytes(name, carried[name]), name),
    )
    return others + [name for name in reversed(PRESERVED_FIRST) if name in carried]


def _required(reason: DeadLetterReason) -> Attributes:
    return {
        ERROR_TYPE: _string(clip_utf8(reason.error_type, ERROR_TYPE_MAX_BYTES)),
        ERROR_MESSAGE: _string(clip_utf8(_full_error_message(reason), ERROR_MESSAGE_MIN_BYTES)),
        EVENT_ID: _string(reason.event_id),
    }


def _upgrades(reason: DeadLetterReason) -> list[tuple[str, AttributeValue]]:
    """Our optional attributes, in the order they get the room left: short forms, then full ones."""
    full_message = _full_error_message(reason)
    return [
        (ERROR_MESSAGE, _string(clip_utf8(full_message, ERROR_MESSAGE_SHORT_BYTES))),
        (RULE, _string(clip_utf8(reason.rule, RULE_SHORT_BYTES))),
        (SOURCE_ARN, _string(clip_utf8(reason.source_arn.rsplit(":", 1)[-1], SOURCE_ARN_SHORT_BYTES))),
        (FAILED_AT, _string(reason.failed_at.strftime("%Y-%m-%dT%H:%M:%SZ"))),
        (ERROR_MESSAGE, _string(full_message)),
        (RULE, _string(clip_utf8(reason.rule, RULE_MAX_BYTES))),
        (SOURCE_ARN, _string(reason.source_arn)),
        (FAILED_AT, _string(reason.failed_at.strftime("%Y-%m-%dT%H:%M:%S.%fZ"))),
    ]


def _full_error_message(reason: DeadLetterReason) -> str:
    text = reason.error_message
    return text if len(text) <= MAX_ERROR_MESSAGE_CHARS else text[: MAX_ERROR_MESSAGE_CHARS - 1] + ELLIPSIS


def _assemble(required: Attributes, dropped: list[str], kept: Attributes) -> Attributes:
    listing = {DROPPED_ATTRIBUTES: _string(DROPPED_SEPARATOR.join(dropped))} if dropped else {}
    return {**required, **listing, **kept}


def _squeeze_dropped_list(attributes: Attributes, excess_bytes: int) -> Attributes:
    """Last resort before giving up: clip the DroppedAttributes list by ``excess_bytes``, or leave it out."""
    listing = attributes.get(DROPPED_ATTRIBUTES)
    if listing is None:
        return attributes
    without = {name: value for name, value in attributes.items() if name != DROPPED_ATTRIBUTES}
    names = listing.get("StringValue", "")
    budget = utf8_bytes(names) - excess_bytes
    if budget > utf8_bytes(ELLIPSIS):
        return {**without, DROPPED_ATTRIBUTES: _string(clip_utf8(names, budget))}
    return without


def _in_canonical_order(attributes: Attributes) -> Attributes:
    ours = {name: attributes[name] for name in OUR_ATTRIBUTES if name in attributes}
    first = {name: attributes[name] for name in PRESERVED_FIRST if name in attributes}
    rest = {name: attributes[name] for name in sorted(attributes) if name not in ours and name not in first}
    return {**ours, **first, **rest}


def _string(value: str) -> AttributeValue:
    return {"DataType": STRING, "StringValue": value or NO_VALUE}
