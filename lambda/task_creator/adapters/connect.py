"""The only code that calls Amazon Connect: StartTaskContact, with its errors sorted into types.

The client is the production boto3 client: bounded ``standard`` retries, and the standard
``AWS_ENDPOINT_URL_CONNECT`` variable honoured by botocore itself (the offline emulator uses it).

Every message that comes from Connect or botocore is cleaned by ``redact_service_message`` before it
becomes an error's message (hence a log line or the DLQ's ``ErrorMessage``): services quote the offending
value ("Value 'Order 42 for Alice' at 'name' failed to satisfy constraint: ..."), and that value is task
content. Quoted text goes, field paths after "at" stay, the error code is kept apart and untouched.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
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
        "AccessDeniedException",
        # Not among StartTaskContact's declared errors; Connect raises it (409) elsewhere when a token or
        # name is already taken. Should it come, the same request with the same ClientToken cannot succeed.
        "IdempotencyException",
    }
)
THROTTLING_ERROR_CODES = frozenset({"ThrottlingException", "TooManyRequestsException"})
QUOTA_ERROR_CODE = "ServiceQuotaExceededException"
MAX_ERROR_MESSAGE_CHARS = 300
MAX_SCANNED_CHARS = 4096  # a service message is cut to this before it is cleaned: bounded work
REDACTED = "***"
_QUOTES = "'\"`"
# StartTaskContact's members (botocore's model; a test keeps the two in step). A quoted path after "at"
# stays only if it starts with one of them: "at 'name'", "at 'references.1.member.value'".
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
_SAFE_PATH = rf"(?i:{'|'.join(START_TASK_CONTACT_MEMBERS)})(?:[.\[][A-Za-z0-9_.:\-\[\]/]{{0,127}})?"
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


class ConnectTasks:
    """Starts tasks; raises ConnectRejected (permanent) or ConnectThrottled/ConnectUnavailable (transient)."""

    def __init__(self, client: ConnectClient) -> None:
        self._client = client

    def start_task(self, request: Mapping[str, Any]) -> str:
        """Create the task and return its ContactId. ``request`` must carry our ClientToken."""
        if not request.get("ClientToken"):
            raise ValueError("refusing to call StartTaskContact without a ClientToken")
        try:
            response = self._client.start_task_contact(**request)
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
        return response["ContactId"]


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
