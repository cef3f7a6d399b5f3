"""The only code that calls Amazon Connect: StartTaskContact and a task's lifecycle (UpdateContact,
UpdateContactAttributes, UpdateContactSchedule, StopContact, DescribeContact), every error sorted into
types by one function, ``classify_client_error``.

The client is the production boto3 client: bounded ``standard`` retries, and the standard
``AWS_ENDPOINT_URL_CONNECT`` variable honoured by botocore itself (the offline emulator uses it).

Every message that comes from Connect or botocore is cleaned by ``redact_service_message`` before it
becomes an error's message (hence a log line or the DLQ's ``ErrorMessage``): services quote the offending
value ("Value 'Order 42 for Alice' at 'name' failed to satisfy constraint: ..."), and that value is task
content. Quoted text goes, field paths after "at" stay, the error code is kept apart and untouched.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError, ParamValidationError

from task_creator.errors import ConnectRejected, ConnectThrottled, ConnectUnavailable, clip

if TYPE_CHECKING:
    from mypy_boto3_connect import ConnectClient

PERMANENT_ERROR_CODES = frozenset(
    {
        "InvalidParameterException",
        "InvalidRequestException",
        "ResourceNotFoundException",
        # StopContact's 410: the contact is not active or does not exist (stop_task tells "ended" apart).
        "ContactNotFoundException",
        "AccessDeniedException",
        # A Global Resiliency instance whose active region is not ours: every call from this region fails
        # until an operator moves traffic back; the DLQ and a redrive are the way, not blind retries.
        "InvalidActiveRegionException",
        # Not among StartTaskContact's declared errors; Connect raises it (409) elsewhere when a token or
        # name is already taken. Should it come, the same request with the same ClientToken cannot succeed.
        "IdempotencyException",
    }
)
# UpdateContactSchedule's LimitExceededException comes as a 429 too: read as a rate limit.
THROTTLING_ERROR_CODES = frozenset(
    {"ThrottlingException", "TooManyRequestsException", "LimitExceededException"}
)
QUOTA_ERROR_CODE = "ServiceQuotaExceededException"
# Any other code is transient: InternalServiceException and any 5xx, expired credentials, and
# UpdateContact's ConflictException ("cannot be performed at this time": another operation in flight).

# A StopContact refused with one of these may mean the task had ended already: stop_task checks.
MAYBE_ALREADY_STOPPED_CODES = frozenset(
    {"ContactNotFoundException", "InvalidRequestException", "ResourceNotFoundException"}
)
MAX_ERROR_MESSAGE_CHARS = 300
MAX_SCANNED_CHARS = 4096  # a service message is cut to this before it is cleaned: bounded work
REDACTED = "***"
_QUOTES = "'\"`"
# Each operation's members (botocore's model; a test keeps them in step). A quoted path after "at" stays
# only if it starts with one of them: "at 'name'", "at 'references.1.member.value'", "at 'contactId'".
START_TASK_CONTACT_MEMBERS = (
    "Attachments",
    "Attributes",
    "ClientToken",
    "ContactFlowId",
    "Description",
    "InstanceId",
    "Name",
    "PreviousContactId",
    "QuickConnectId",
    "References",
    "RelatedContactId",
    "ScheduledTime",
    "SegmentAttributes",
    "TaskTemplateId",
)
OPERATION_MEMBERS: Mapping[str, tuple[str, ...]] = {
    "StartTaskContact": START_TASK_CONTACT_MEMBERS,
    "UpdateContact": (
        *("AdditionalRecipients", "ContactId", "CustomerEndpoint", "Description", "InstanceId", "Name"),
        *("QueueInfo", "References", "SegmentAttributes", "SystemEndpoint", "UserInfo"),
    ),
    "UpdateContactAttributes": ("Attributes", "InitialContactId", "InstanceId"),
    "UpdateContactSchedule": ("ContactId", "InstanceId", "ScheduledTime"),
    "StopContact": ("ContactId", "DisconnectReason", "InstanceId"),
    "DescribeContact": ("ContactId", "InstanceId"),
}
# In a fixed order (longest first): the same pattern on every cold start.
_MEMBERS = sorted(
    {member for members in OPERATION_MEMBERS.values() for member in members}, key=len, reverse=True
)
_SAFE_PATH = rf"(?i:{'|'.join(_MEMBERS)})(?:[.\[][A-Za-z0-9_.:\-\[\]/]{{0,127}})?"
_AT_PATH = rf"\s+at\s+(?P<q>['\"`])(?P<path>{_SAFE_PATH})(?P=q)"
_VALUE_AT_PATH_FAILED = re.compile(rf"\bValue\s+(?P<value>.*?){_AT_PATH}(?=\s+failed to satisfy)", re.DOTALL)
# The same without the sentence after it, when the value itself is quoted.
_QUOTED_VALUE_AT_PATH = re.compile(rf"\bValue\s+(?P<v>['\"`]).*?(?P=v){_AT_PATH}", re.DOTALL)
_KEPT_SPANS = re.compile(
    rf"\bat\s+(?P<q>['\"`]){_SAFE_PATH}(?P=q)"  # at 'name'
    r"|<class '[\w.]+'>"  # botocore's type names
    r'|Missing required parameter in [\w.:\[\]-]+: "\w+"',  # a member name from the service model
    re.IGNORECASE,
)
_PLACEHOLDER = re.compile("\x00(\\d+)\x00")
# botocore's ParamValidationError report (botocore/validate.py): one line per error, the value unquoted.
_BOTOCORE_LINES = (
    "Parameter validation failed",
    "Missing required parameter",
    "Unknown parameter",
    "Invalid type for",
    "Invalid value for",
    "Invalid length for",
    "Invalid parameter",
    "Invalid number of parameters",
    "Must set one of",
)
_BOTOCORE_VALUE = ", value: "
_BOTOCORE_AFTER_VALUE = re.compile(
    r", (?:type: <class '[\w.]+'>, valid types: |valid min (?:value|length): )"
)


def make_connect_client(base: Config, *, max_pool_connections: int = 10) -> ConnectClient:
    """One client per container: ``base``'s bounded retries and timeouts, a pool as wide as our
    parallelism."""
    config = base.merge(
        Config(max_pool_connections=max(max_pool_connections, 1), user_agent_extra="task-creator")
    )
    return boto3.client("connect", config=config)


class StopOutcome(StrEnum):
    """What ``stop_task`` found: it ended the task, or the task had ended already (nothing to do)."""

    STOPPED = "stopped"
    ALREADY_STOPPED = "already-stopped"


@dataclass(frozen=True, slots=True)
class TaskContact:
    """What DescribeContact says about a task's lifecycle: ids, timestamps and codes, never its content
    (no Name, Description, Attributes or References), so it can be logged as it is."""

    contact_id: str
    channel: str | None
    initiation_method: str | None
    initiation_timestamp: datetime | None
    scheduled_time: datetime | None
    last_update_timestamp: datetime | None
    disconnect_timestamp: datetime | None
    disconnect_reason: str | None

    @property
    def stopped(self) -> bool:
        """The task has ended (completed, stopped, expired): Connect set its DisconnectTimestamp."""
        return self.disconnect_timestamp is not None


class ConnectTasks:
    """Starts tasks and manages their lifecycle; every method raises ConnectRejected (permanent) or
    ConnectThrottled/ConnectUnavailable (transient), sorted by ``classify_client_error``, and refuses
    (ValueError) to call without the ids its operation requires."""

    def __init__(self, client: ConnectClient) -> None:
        self._client = client

    def start_task(self, request: Mapping[str, Any]) -> str:
        """Create the task and return its ContactId. ``request`` must carry our ClientToken."""
        if not request.get("ClientToken"):
            raise ValueError("refusing to call StartTaskContact without a ClientToken")
        return _send(self._client.start_task_contact, request)["ContactId"]

    def update_task(self, instance_id: str, contact_id: str, fields: Mapping[str, Any]) -> None:
        """UpdateContact: set ``fields`` (Name, Description, References, SegmentAttributes, or any other
        member botocore's model allows; an unknown one is a ParamValidationError rejection)."""
        _require("UpdateContact", InstanceId=instance_id, ContactId=contact_id)
        if not fields:
            raise ValueError("refusing to call UpdateContact without a field to update")
        if taken := sorted({"InstanceId", "ContactId"} & set(fields)):
            raise ValueError(f"UpdateContact fields must not repeat the ids: {', '.join(taken)}")
        _send(self._client.update_contact, {**fields, "InstanceId": instance_id, "ContactId": contact_id})

    def update_task_attributes(
        self, instance_id: str, contact_id: str, attributes: Mapping[str, str]
    ) -> None:
        """UpdateContactAttributes: create or overwrite these attributes (others are kept) of the task
        ``contact_id`` (its InitialContactId). Connect accepts it on ended tasks too."""
        _require("UpdateContactAttributes", InstanceId=instance_id, InitialContactId=contact_id)
        request = {"InstanceId": instance_id, "InitialContactId": contact_id, "Attributes": dict(attributes)}
        _send(self._client.update_contact_attributes, request)

    def reschedule_task(self, instance_id: str, contact_id: str, scheduled_time: datetime) -> None:
        """UpdateContactSchedule: move a scheduled task to ``scheduled_time`` (timezone-aware). A task
        that has already started or ended is Connect's to refuse (ConnectRejected, permanent)."""
        _require("UpdateContactSchedule", InstanceId=instance_id, ContactId=contact_id)
        if scheduled_time.utcoffset() is None:
            raise ValueError("refusing to call UpdateContactSchedule with a naive ScheduledTime")
        request = {"InstanceId": instance_id, "ContactId": contact_id, "ScheduledTime": scheduled_time}
        _send(self._client.update_contact_schedule, request)

    def stop_task(
        self, instance_id: str, contact_id: str, *, disconnect_reason: str | None = None
    ) -> StopOutcome:
        """StopContact, idempotent: returns STOPPED, or ALREADY_STOPPED when the task had ended already.

        Connect's answer to stopping an ended contact is not pinned down by its model (ContactNotFound-
        Exception is documented "not active or does not exist", for voice; tasks may get InvalidRequest-
        or ResourceNotFoundException), so on any of these three the adapter asks DescribeContact instead
        of reading a message: a contact Connect still has, with a DisconnectTimestamp, is ALREADY_STOPPED.
        Otherwise the StopContact rejection is raised as it came (ConnectRejected, permanent); a transient
        failure of that DescribeContact is raised as it came (retry later)."""
        _require("StopContact", InstanceId=instance_id, ContactId=contact_id)
        request: dict[str, Any] = {"InstanceId": instance_id, "ContactId": contact_id}
        if disconnect_reason is not None:
            request["DisconnectReason"] = {"Code": disconnect_reason}
        try:
            _send(self._client.stop_contact, request)
        except ConnectRejected as error:
            rejected = error
        else:
            return StopOutcome.STOPPED
        if rejected.code in MAYBE_ALREADY_STOPPED_CODES and self._has_ended(instance_id, contact_id):
            return StopOutcome.ALREADY_STOPPED
        raise rejected

    def describe_task(self, instance_id: str, contact_id: str) -> TaskContact:
        """DescribeContact, reduced to the lifecycle view callers need (is it open, scheduled, ended)."""
        _require("DescribeContact", InstanceId=instance_id, ContactId=contact_id)
        request = {"InstanceId": instance_id, "ContactId": contact_id}
        contact = _send(self._client.describe_contact, request).get("Contact", {})
        return TaskContact(
            contact_id=contact.get("Id") or contact_id,
            channel=contact.get("Channel"),
            initiation_method=contact.get("InitiationMethod"),
            initiation_timestamp=contact.get("InitiationTimestamp"),
            scheduled_time=contact.get("ScheduledTimestamp"),
            last_update_timestamp=contact.get("LastUpdateTimestamp"),
            disconnect_timestamp=contact.get("DisconnectTimestamp"),
            disconnect_reason=contact.get("DisconnectReason"),
        )

    def _has_ended(self, instance_id: str, contact_id: str) -> bool:
        try:
            return self.describe_task(instance_id, contact_id).stopped
        except ConnectRejected:  # Connect does not have it (or will not say): not "already stopped"
            return False


def _require(operation: str, **ids: str) -> None:
    """Refuse to call ``operation`` without each of its required ids."""
    for member, value in ids.items():
        if not value:
            raise ValueError(f"refusing to call {operation} without a {member}")


def _send[T](call: Callable[..., T], request: Mapping[str, Any]) -> T:
    """One Connect call, every failure turned into our types: the one path all operations share."""
    try:
        return call(**request)
    except ClientError as error:
        raise classify_client_error(error, request) from None
    except ParamValidationError as error:
        # botocore refused our request before sending it: the same request always will.
        raise ConnectRejected(
            "ParamValidationError", redact_service_message(_without_values(str(error)))
        ) from None
    except BotoCoreError as error:
        # Timeouts, connection errors, retries exhausted on a network fault: worth retrying later.
        raise ConnectUnavailable(type(error).__name__, "Connect could not be reached") from None


def classify_client_error(
    error: ClientError, request: Mapping[str, Any]
) -> ConnectRejected | ConnectThrottled | ConnectUnavailable:
    """Sort a Connect error response into a permanent or a transient failure."""
    details = error.response.get("Error", {})
    code = str(details.get("Code") or "Unknown")
    message = redact_service_message(str(details.get("Message") or ""))
    if code in PERMANENT_ERROR_CODES:
        return ConnectRejected(code, message)
    if code in THROTTLING_ERROR_CODES:
        return ConnectThrottled(f"{code}: {message}")
    if code == QUOTA_ERROR_CODE and request.get("PreviousContactId"):
        # Only linked tasks can hit the 12-contact chain limit; that one never clears on retry.
        return ConnectRejected(code, f"{message} (PreviousContactId chain limit)")
    # Everything else (5xx, the active-task quota, expired credentials...) may clear: retry later.
    return ConnectUnavailable(code, message)


def redact_service_message(message: str, limit: int = MAX_ERROR_MESSAGE_CHARS) -> str:
    """A service's error message without the values it quotes, on one line, clipped to ``limit``.

    Removed: the value of "Value ... at '<path>'", and any text in single, double or back quotes
    (from the first quote of a kind to the last; a lone quote to the end, as a clipped value would be).
    Kept: field paths after "at" (``at 'name'``), botocore's ``<class 'str'>``, apostrophes inside words."""
    text = message[:MAX_SCANNED_CHARS].replace("\x00", "")
    text = _VALUE_AT_PATH_FAILED.sub(_value_redacted, text)
    text = _QUOTED_VALUE_AT_PATH.sub(_value_redacted, text)
    kept: list[str] = []

    def keep(match: re.Match[str]) -> str:
        kept.append(match.group(0))
        return f"\x00{len(kept) - 1}\x00"

    protected = _KEPT_SPANS.sub(keep, text)
    segments = _PLACEHOLDER.split(protected)  # text, index, text, index, ..., text
    cleaned = "".join(
        kept[int(part)] if position % 2 else _without_quoted(part) for position, part in enumerate(segments)
    )
    return clip(_one_line(cleaned), limit)


def _one_line(text: str) -> str:
    lines = [" ".join(line.split()) for line in text.splitlines()]
    joined = ""
    for line in filter(None, lines):
        joined += line if not joined else (" " if joined.endswith(":") else "; ") + line
    return joined


def _value_redacted(match: re.Match[str]) -> str:
    value = match.groupdict().get("value")
    shown = "null" if value is not None and value.strip().lower() == "null" else REDACTED
    return f"Value {shown} at {match.group('q')}{match.group('path')}{match.group('q')}"


def _without_quoted(text: str) -> str:
    for quote in _QUOTES:
        delimiters = [i for i, char in enumerate(text) if char == quote and not _inside_word(text, i)]
        if not delimiters:
            continue
        end = delimiters[-1] + 1 if len(delimiters) > 1 else len(text)
        text = text[: delimiters[0]] + REDACTED + text[end:]
    return text


def _inside_word(text: str, index: int) -> bool:
    """An apostrophe between two letters (can't, O'Brien) delimits nothing."""
    return (
        text[index] == "'"
        and 0 < index < len(text) - 1
        and text[index - 1].isalnum()
        and text[index + 1].isalnum()
    )


def _without_values(report: str) -> str:
    """botocore's validation report prints the offending values unquoted (", value: <value>, type: ...");
    they are cut out, continuation lines of a multi-line value with them."""
    lines: list[str] = []
    in_value = False
    for line in report.splitlines():
        if in_value and not line.startswith(_BOTOCORE_LINES):
            tail = _last_after_value(line)
            if tail is not None:
                lines[-1] += tail
                in_value = False
            continue
        head, found, rest = line.partition(_BOTOCORE_VALUE)
        tail = _last_after_value(rest) if found else ""
        in_value = tail is None
        lines.append(head + (tail or ""))
    return "\n".join(lines)


def _last_after_value(text: str) -> str | None:
    matches = list(_BOTOCORE_AFTER_VALUE.finditer(text))
    return text[matches[-1].start() :] if matches else None
