"""The answers the emulator gives instead of a ContactId, as types.

Modelled errors carry the name of an error shape of an emulated operation in botocore's Connect model;
their HTTP status is read from that model (see `operations.error_status`), never written here. Protocol
errors (unsigned request, unreadable body, unknown route) are not in the operation model, so they carry
the status AWS front doors answer with.

Every error also names the `rule` that produced it, so counters and tests can tell two rejections of the
same type apart without parsing messages. Messages never contain request values.
"""

from __future__ import annotations

from typing import ClassVar


class EmulatorError(Exception):
    """Any rejection the emulator answers over HTTP."""

    error_type: ClassVar[str]

    def __init__(self, message: str, *, rule: str) -> None:
        super().__init__(message)
        self.message = message
        self.rule = rule


class ModelledError(EmulatorError):
    """An error shape of the Connect model: botocore raises it as `client.exceptions.<error_type>`."""


class InvalidParameter(ModelledError):
    error_type = "InvalidParameterException"


class InvalidRequest(ModelledError):
    error_type = "InvalidRequestException"


class ResourceNotFound(ModelledError):
    error_type = "ResourceNotFoundException"


class Throttling(ModelledError):
    error_type = "ThrottlingException"


class ServiceQuotaExceeded(ModelledError):
    error_type = "ServiceQuotaExceededException"


class InternalServiceError(ModelledError):
    error_type = "InternalServiceException"


class ContactNotFound(ModelledError):
    error_type = "ContactNotFoundException"


class Conflict(ModelledError):
    error_type = "ConflictException"


class AccessDenied(ModelledError):
    error_type = "AccessDeniedException"


class InvalidActiveRegion(ModelledError):
    error_type = "InvalidActiveRegionException"


class LimitExceeded(ModelledError):
    error_type = "LimitExceededException"


# Every error type an emulated operation can answer with (`operations.operation_errors`). ErrorStatuses
# refuses to start when the model has one missing here, instead of answering it as something else.
MODELLED_ERRORS: dict[str, type[ModelledError]] = {
    cls.error_type: cls
    for cls in (
        InvalidParameter,
        InvalidRequest,
        ResourceNotFound,
        Throttling,
        ServiceQuotaExceeded,
        InternalServiceError,
        ContactNotFound,
        Conflict,
        AccessDenied,
        InvalidActiveRegion,
        LimitExceeded,
    )
}


class ProtocolError(EmulatorError):
    """A request the service front door refuses before the operation sees it."""

    http_status: ClassVar[int]


class MissingAuthenticationToken(ProtocolError):
    error_type = "MissingAuthenticationTokenException"
    http_status = 403


class IncompleteSignature(ProtocolError):
    error_type = "IncompleteSignatureException"
    http_status = 403


class Serialization(ProtocolError):
    error_type = "SerializationException"
    http_status = 400


class UnknownOperation(ProtocolError):
    error_type = "UnknownOperationException"
    http_status = 404


class UnknownContact(KeyError):
    """`complete_task` or `task` was given a ContactId the emulator never created."""

    def __init__(self, contact_id: str) -> None:
        super().__init__(contact_id)
        self.contact_id = contact_id

    def __str__(self) -> str:
        return f"no task with ContactId {self.contact_id!r}"


# Ways an answer can be lost after the call took effect (FaultConfig.lost_response_rates): the task exists
# (or the change is applied), the caller does not learn it and retries (with the same ClientToken).
LOST_RESPONSE_ERROR = InternalServiceError.error_type  # a 500 with the modelled error, as a failing front end
CONNECTION_DROPPED = "ConnectionDropped"  # the connection closes before the first byte of the response
LOST_RESPONSE_KINDS = frozenset({LOST_RESPONSE_ERROR, CONNECTION_DROPPED})


class LostResponse(Exception):
    """The call on task `contact_id` took effect (for StartTaskContact: the task was created), but its
    answer is lost: the HTTP layer sends `answer` instead, or (`answer` None) closes the connection
    without a response."""

    def __init__(self, contact_id: str, kind: str, *, operation: str = "StartTaskContact") -> None:
        super().__init__(f"the answer of {operation} for {contact_id} is lost ({kind})")
        self.contact_id = contact_id
        self.kind = kind
        self.operation = operation
        what = "the task was created" if operation == "StartTaskContact" else f"{operation} took effect"
        retry = "; retry with the same ClientToken" if operation == "StartTaskContact" else ""
        self.answer: EmulatorError | None = (
            None
            if kind == CONNECTION_DROPPED
            else InternalServiceError(
                f"Injected fault: {what} but the response was lost (emulator lost_response_rates){retry}",
                rule="lost_response",
            )
        )
