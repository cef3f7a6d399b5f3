"""StartTaskContact, as the emulated service runs it, from raw body to ContactId (no HTTP here).

Order of a call: count it, require a SigV4 Authorization header, injected latency, the rate quota,
injected errors, decode the JSON body, the botocore model, Connect's request rules, then (atomically)
idempotency, the linked-task chain and the active-task quota, and creation; last, for a task just
created, the lost-response fault (raised as `LostResponse`: the task stays created, the HTTP layer loses
the answer).
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Mapping
from typing import Any

from local.connect_emulator.config import EmulatorConfig, FaultConfig
from local.connect_emulator.errors import (
    EmulatorError,
    IncompleteSignature,
    MissingAuthenticationToken,
    ProtocolError,
    Serialization,
)
from local.connect_emulator.faults import FaultInjector
from local.connect_emulator.model_validation import ErrorStatuses, RequestValidator, start_task_contact_model
from local.connect_emulator.semantics import RuleContext, check_request_rules
from local.connect_emulator.state import TaskStore

SIGNING_SERVICE = "connect"
_SIGV4_AUTHORIZATION = re.compile(
    r"AWS4-HMAC-SHA256 Credential=[^/\s]+/\d{8}/[a-z0-9-]+/(?P<service>[a-z0-9-]+)/aws4_request,\s*"
    r"SignedHeaders=[a-z0-9;-]+,\s*Signature=[0-9a-f]{64}"
)


def require_sigv4(authorization: str | None) -> None:
    """A well-formed SigV4 Authorization header for the Connect signing name (signature not verified)."""
    if not authorization:
        raise MissingAuthenticationToken(
            "Missing Authentication Token: sign requests with AWS Signature Version 4 "
            "(an Authorization header is required)",
            rule="sigv4",
        )
    signed = _SIGV4_AUTHORIZATION.fullmatch(authorization.strip())
    if signed is None:
        raise IncompleteSignature(
            "Authorization header is not a well-formed AWS4-HMAC-SHA256 signature "
            "(Credential=<key>/<date>/<region>/connect/aws4_request, SignedHeaders=..., Signature=...)",
            rule="sigv4",
        )
    if signed.group("service") != SIGNING_SERVICE:
        raise IncompleteSignature(
            f"Credential should be scoped to service {SIGNING_SERVICE!r}, not {signed.group('service')!r}",
            rule="sigv4",
        )


def decode_json_body(raw_body: bytes) -> Mapping[str, Any]:
    try:
        body = json.loads(raw_body or b"{}")
    except (ValueError, RecursionError):  # bad UTF-8, bad JSON, absurd nesting or integer size
        raise Serialization("Request body is not valid JSON", rule="json_body") from None
    if not isinstance(body, dict):
        raise Serialization("Request body must be a JSON object", rule="json_body")
    return body


class StartTaskContactService:
    def __init__(
        self,
        config: EmulatorConfig,
        *,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        operation = start_task_contact_model()
        self.config = config
        self.store = TaskStore(max_linked_tasks=config.max_linked_tasks)
        self._statuses = ErrorStatuses(operation)
        self._validator = RequestValidator(operation)
        self._clock = clock
        self._sleep = sleep
        self._faults = FaultInjector(config.faults)

    @property
    def faults(self) -> FaultConfig:
        return self._faults.config

    def set_faults(self, faults: FaultConfig) -> None:
        """Replace the injected faults: a full token bucket, RNGs reseeded from `faults.seed`."""
        self._faults = FaultInjector(faults)

    def reset(self) -> None:
        """Forget tasks, tokens, chains and counters; faults go back to the configured ones."""
        self.store.reset()
        self.set_faults(self.config.faults)

    def http_status(self, error: EmulatorError) -> int:
        if isinstance(error, ProtocolError):
            return error.http_status
        return self._statuses.status_for(error.error_type)

    def start_task_contact(self, raw_body: bytes, *, authorization: str | None) -> str:
        """The ContactId for one HTTP call, or the EmulatorError to answer with (counted either way).
        Raises LostResponse when the task was created but its answer is to be lost."""
        self.store.record_call()
        try:
            return self._start_task_contact(raw_body, authorization)
        except EmulatorError as error:
            self.store.record_rejection(error)
            raise

    def _start_task_contact(self, raw_body: bytes, authorization: str | None) -> str:
        require_sigv4(authorization)
        faults = self._faults  # one call sees one fault configuration, even if it is replaced meanwhile
        delay = faults.next_delay()
        if delay > 0:
            self.store.record_latency(delay)
            self._sleep(delay)
        faults.admit()
        injected = faults.injected_error()
        if injected is not None:
            raise injected
        request = decode_json_body(raw_body)
        self._validator.validate(request)
        now = self._clock()
        check_request_rules(request, RuleContext(config=self.config, now=now))
        outcome = self.store.create(
            request,
            client_token=request.get("ClientToken") or None,
            now=now,
            active_task_quota=faults.active_task_quota,
        )
        if not outcome.duplicate:
            lost = faults.lost_response(outcome.contact_id)
            if lost is not None:
                self.store.record_lost_response(lost.kind)
                raise lost
        return outcome.contact_id

    def complete_task(self, contact_id: str) -> None:
        self.store.complete(contact_id, now=self._clock())
