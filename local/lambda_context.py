"""The Lambda context the offline runtime hands the real handler, shaped like the one AWS passes.

The handler reads the invocation's remaining time from it (its own deadline, and Powertools
idempotency's bound on IN_PROGRESS records) and logs the function name, ARN, memory and request id.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field

from infra.stack_values import FUNCTION_MEMORY_MB, FUNCTION_TIMEOUT_SECONDS
from local.identifiers import LOCAL_ACCOUNT_ID, LOCAL_REGION

LOCAL_FUNCTION_NAME = "task-creator-local"


@dataclass(frozen=True)
class LocalLambdaContext:
    """One invocation's context; the clock starts when it is created, as Lambda's does at invoke."""

    function_name: str = LOCAL_FUNCTION_NAME
    timeout_seconds: float = FUNCTION_TIMEOUT_SECONDS
    function_version: str = "$LATEST"
    memory_limit_in_mb: int = FUNCTION_MEMORY_MB
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    started_at: float = field(default_factory=time.monotonic, repr=False)  # time.monotonic() seconds

    @property
    def invoked_function_arn(self) -> str:
        return f"arn:aws:lambda:{LOCAL_REGION}:{LOCAL_ACCOUNT_ID}:function:{self.function_name}"

    @property
    def log_group_name(self) -> str:
        return f"/aws/lambda/{self.function_name}"

    @property
    def log_stream_name(self) -> str:
        return f"local/[{self.function_version}]{self.aws_request_id}"

    def get_remaining_time_in_millis(self) -> int:
        elapsed = time.monotonic() - self.started_at
        return max(0, int((self.timeout_seconds - elapsed) * 1000))
