"""Failure types. Code that decides "dead-letter now" or "retry later" reads the type, never a message.

Messages never carry task content (Name, Description, Attributes, References, SegmentAttributes values):
they end up in logs and in the DLQ's ``ErrorMessage`` attribute.
"""

from __future__ import annotations


def clip(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` characters, with an ellipsis when it was longer."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


class TaskCreatorError(Exception):
    """Base of every failure this function raises on purpose."""

    error_type = "TaskCreatorError"

    def __init__(self, message: str, *, rule: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.rule = rule


# --- permanent: the same input will fail the same way; dead-letter at once --------------------------


class PermanentFailure(TaskCreatorError):
    """Retrying cannot help: the record goes to the DLQ with this reason."""

    error_type = "PermanentFailure"


class MalformedEvent(PermanentFailure):
    """The record is not an event we can read (not JSON, not an object, a broken envelope)."""

    error_type = "MalformedEvent"


class UnmatchedEvent(PermanentFailure):
    """No mapping rule matches the event and the mapping says ``"unmatched": "dead-letter"``."""

    error_type = "UnmatchedEvent"


class MappingError(PermanentFailure):
    """A matching rule cannot render a valid request for this event (e.g. Name rendered empty)."""

    error_type = "MappingError"


class LimitViolation(PermanentFailure):
    """The rendered request breaks one of Connect's documented limits."""

    error_type = "LimitViolation"

    def __init__(self, field: str, message: str, *, rule: str | None = None) -> None:
        super().__init__(f"{field}: {message}", rule=rule)
        self.field = field


class ConnectRejected(PermanentFailure):
    """Connect refused the request for a reason that will not change on retry."""

    def __init__(self, code: str, message: str, *, rule: str | None = None) -> None:
        super().__init__(f"{code}: {message}", rule=rule)
        self.code = code
        self.error_type = code


# --- transient: worth retrying later --------------------------------------------------------------


class TransientFailure(TaskCreatorError):
    """May succeed later: the record is reported in ``batchItemFailures`` and retried.

    ``exhausted_type``: the dead letter's ErrorType when only this kind of failure is left on the record's
    last attempt (None: ``RetriesExhausted``)."""

    error_type = "TransientFailure"
    exhausted_type: str | None = None


class NoTaskForKey(TransientFailure):
    """A follow-up event (update, reschedule) for a task key that has no task yet: its create may still
    be on its way. Retried; on the last attempt dead-lettered as ``NoTaskForKey``."""

    error_type = "NoTaskForKey"
    exhausted_type = "NoTaskForKey"


class ConnectThrottled(TransientFailure):
    """Connect (or our own rate limit) said "slow down". ``retry_after_seconds``: when this container's
    share of the quota expects a slot for it (None: not known)."""

    error_type = "ThrottlingException"
    retry_after_seconds: float | None = None


class ConnectUnavailable(TransientFailure):
    """Connect failed on its side, timed out, could not be reached, or the active-task quota is full."""

    def __init__(self, code: str, message: str, *, rule: str | None = None) -> None:
        super().__init__(f"{code}: {message}", rule=rule)
        self.code = code
        self.error_type = code


class InvocationDeadline(TransientFailure):
    """The invocation is about to time out: the task is left for the record's next attempt."""

    error_type = "InvocationDeadline"


class RateDeferred(TransientFailure):
    """No Connect call slot in this container's share of the quota soon enough: the record is deferred
    (sent back to its queue with a delay) rather than waited for, and the deferral is not an attempt."""

    error_type = "RateDeferred"

    def __init__(self, message: str, *, retry_after_seconds: float, rule: str | None = None) -> None:
        super().__init__(message, rule=rule)
        self.retry_after_seconds = retry_after_seconds


class OutcomePublishFailed(TransientFailure):
    """EventBridge did not accept the record's outcome events: the record is retried to announce them."""

    error_type = "OutcomePublishFailed"


class LedgerUnavailable(TransientFailure):
    """The idempotency ledger could not be read or written."""

    error_type = "LedgerUnavailable"


class TaskInProgress(TransientFailure):
    """Another invocation is creating the same task (same ClientToken) right now: ask again later."""

    error_type = "TaskInProgress"


class TaskKeyBusy(TransientFailure):
    """Another event for the same task key is being applied right now (the key's lease is taken)."""

    error_type = "TaskKeyBusy"


class LifecycleUnavailable(PermanentFailure):
    """A lifecycle rule ran without the task registry (no IDEMPOTENCY_TABLE): refused at cold start, so
    only reached by a wiring mistake."""

    error_type = "ConfigurationError"


class UnexpectedError(TransientFailure):
    """An exception no code path expected while calling out (a bug, or a library's surprise). Retried;
    on the record's last attempt it is dead-lettered as RetriesExhausted with this as the reason."""

    error_type = "UnexpectedError"


class DeadLetterUnavailable(TransientFailure):
    """Writing to the DLQ failed: the record stays on its source queue so nothing is lost."""

    error_type = "DeadLetterUnavailable"


# --- configuration: the function cannot start; raised at cold start --------------------------------


class ConfigurationError(TaskCreatorError):
    """Settings or the mapping file are invalid. Raised once, at cold start or at synth."""

    error_type = "ConfigurationError"


class SettingsError(ConfigurationError):
    """Environment variables are missing or invalid. ``problems`` maps each variable to what is wrong."""

    error_type = "SettingsError"

    def __init__(self, problems: dict[str, str]) -> None:
        super().__init__("invalid settings: " + "; ".join(problems.values()))
        self.problems = dict(problems)


class MappingFileError(ConfigurationError):
    """The mapping file is invalid. ``problems`` lists every problem, each naming the rule and field."""

    error_type = "MappingFileError"

    def __init__(self, origin: str, problems: list[str]) -> None:
        listing = "\n".join(f"  - {problem}" for problem in problems)
        super().__init__(f"invalid mapping file {origin}:\n{listing}")
        self.origin = origin
        self.problems = list(problems)
