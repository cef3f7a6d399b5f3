"""The only code that calls Amazon Connect: StartTaskContact, with its errors sorted into types.

The client is the production boto3 client: bounded ``standard`` retries, and the standard
``AWS_ENDPOINT_URL_CONNECT`` variable honoured by botocore itself (the offline emulator uses it).
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
    }
)
THROTTLING_ERROR_CODES = frozenset({"ThrottlingException", "TooManyRequestsException"})
QUOTA_ERROR_CODE = "ServiceQuotaExceededException"
MAX_ERROR_MESSAGE_CHARS = 300
_QUOTED_VALUE = re.compile(r", value: .*?(?=, type:|$)", re.MULTILINE)


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
                "ParamValidationError", clip(_without_values(str(error)), MAX_ERROR_MESSAGE_CHARS)
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
    message = clip(str(details.get("Message") or ""), MAX_ERROR_MESSAGE_CHARS)
    if code in PERMANENT_ERROR_CODES:
        return ConnectRejected(code, message)
    if code in THROTTLING_ERROR_CODES:
        return ConnectThrottled(f"{code}: {message}")
    if code == QUOTA_ERROR_CODE and request.get("PreviousContactId"):
        # Only linked tasks can hit the 12-contact chain limit; that one never clears on retry.
        return ConnectRejected(code, f"{message} (PreviousContactId chain limit)")
    # Everything else (5xx, the active-task quota, expired credentials...) may clear: retry later.
    return ConnectUnavailable(code, message)


def _without_values(report: str) -> str:
    """botocore's validation report quotes the offending values; task content must not be echoed."""
    return _QUOTED_VALUE.sub("", report)
