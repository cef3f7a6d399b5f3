"""The emulated Connect operations, as the service runs them, from raw body to answer (no HTTP here).

Order of a call, for every operation: count it, require a SigV4 Authorization header, then the
operation's injected latency, its rate quota and its injected errors, decode the JSON body, the botocore
model (body and URI members), Connect's request rules, then (atomically, in `TaskStore`) the stateful
rules and the change; last, for a call that took effect, the lost-response fault (raised as
`LostResponse`: the change stays, the HTTP layer loses the answer). StartTaskContact's stateful rules
are idempotency, the linked-task chain and the active-task quota; a duplicate's answer is never lost.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from local.connect_emulator import lifecycle
from local.connect_emulator.config import EmulatorConfig, FaultConfig
from local.connect_emulator.describe import describe_task
from local.connect_emulator.errors import (
    EmulatorError,
    IncompleteSignature,
    MissingAuthenticationToken,
    ProtocolError,
    Serialization,
)
from local.connect_emulator.faults import FaultInjector
from local.connect_emulator.model_validation import ErrorStatuses, RequestValidator
from local.connect_emulator.operations import (
    DESCRIBE_CONTACT,
    EMULATED_OPERATIONS,
    START_TASK_CONTACT,
    STOP_CONTACT,
    UPDATE_CONTACT,
    UPDATE_CONTACT_ATTRIBUTES,
    UPDATE_CONTACT_SCHEDULE,
    operation_model,
)
from local.connect_emulator.semantics import RuleContext, check_request_rules
from local.connect_emulator.state import TaskStore

SIGNING_SERVICE = "connect"
_SIGV4_AUTHORIZATION = re.compile(
    r"AWS4-HMAC-SHA256 Credential=[^/\s]+/\d{8}/(?P<region>[a-z0-9-]+)/(?P<service>[a-z0-9-]+)"
    r"/aws4_request,\s*"
    r"SignedHeaders=[a-z0-9;-]+,\s*Signature=[0-9a-f]{64}"
)
Request = Mapping[str, Any]


def require_sigv4(authorization: str | None) -> str:
    """A well-formed SigV4 Authorization header for the Connect signing name (signature not verified);
    returns the region of its credential scope."""
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
    return signed.group("region")


def decode_json_body(raw_body: bytes) -> Mapping[str, Any]:
    try:
        body = json.loads(raw_body or b"{}")
    except (ValueError, RecursionError):  # bad UTF-8, bad JSON, absurd nesting or integer size
        raise Serialization("Request body is not valid JSON", rule="json_body") from None
    if not isinstance(body, dict):
        raise Serialization("Request body must be a JSON object", rule="json_body")
    return body


@dataclass(frozen=True)
class Call:
    """One validated call: the request (body and URI members), when it arrived, who signed it where."""

    request: Request
    now: float
    region: str
    faults: FaultInjector


@dataclass(frozen=True)
class Answer:
    """What a call returns; `contact_id` is set when its answer may be lost (it took effect)."""

    document: Mapping[str, Any]
    contact_id: str | None = None


class ConnectService:
    def __init__(
        self,
        config: EmulatorConfig,
        *,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.config = config
        self.store = TaskStore(max_linked_tasks=config.max_linked_tasks)
        self._statuses = ErrorStatuses()
        self._validators = {name: RequestValidator(operation_model(name)) for name in EMULATED_OPERATIONS}
        self._handlers: dict[str, Callable[[Call], Answer]] = {
            START_TASK_CONTACT: self._start_task_contact,
            UPDATE_CONTACT: self._update_contact,
            UPDATE_CONTACT_ATTRIBUTES: self._update_contact_attributes,
            UPDATE_CONTACT_SCHEDULE: self._update_contact_schedule,
            STOP_CONTACT: self._stop_contact,
            DESCRIBE_CONTACT: self._describe_contact,
        }
        self._clock = clock
        self._sleep = sleep
        self._faults = FaultInjector(config.faults)

    @property
    def faults(self) -> FaultConfig:
        return self._faults.config

    def set_faults(self, faults: FaultConfig) -> None:
        """Replace the injected faults: full token buckets, RNGs reseeded from `faults.seed`."""
        self._faults = FaultInjector(faults)

    def reset(self) -> None:
        """Forget tasks, tokens, chains and counters; faults go back to the configured ones."""
        self.store.reset()
        self.set_faults(self.config.faults)

    def now(self) -> float:
        return self._clock()

    def http_status(self, error: EmulatorError) -> int:
        if isinstance(error, ProtocolError):
            return error.http_status
        return self._statuses.status_for(error.error_type)

    def call(
        self,
        operation: str,
        raw_body: bytes,
        *,
        uri_labels: Mapping[str, str] | None = None,
        authorization: str | None,
    ) -> Mapping[str, Any]:
        """The answer document of one HTTP call, or the EmulatorError to answer with (counted either way).
        Raises LostResponse when the call took effect but its answer is to be lost."""
        self.store.record_call(operation)
        try:
            return self._call(operation, raw_body, uri_labels or {}, authorization)
        except EmulatorError as error:
            self.store.record_rejection(error, operation)
            raise

    def complete_task(self, contact_id: str) -> None:
        self.store.complete(contact_id, now=self._clock())

    def _call(
        self, operation: str, raw_body: bytes, uri_labels: Mapping[str, str], authorization: str | None
    ) -> Mapping[str, Any]:
        region = require_sigv4(authorization)
        faults = self._faults  # one call sees one fault configuration, even if it is replaced meanwhile
        injector = faults.operation(operation)
        delay = injector.next_delay()
        if delay > 0:
            self.store.record_latency(delay, operation)
            self._sleep(delay)
        injector.admit()
        injected = injector.injected_error()
        if injected is not None:
            raise injected
        request = self._validators[operation].validate(decode_json_body(raw_body), uri_labels)
        answer = self._handlers[operation](Call(request, self._clock(), region, faults))
        if answer.contact_id is not None:
            lost = injector.lost_response(answer.contact_id)
            if lost is not None:
                self.store.record_lost_response(lost.kind, operation)
                raise lost
        return answer.document

    def _rules(self, call: Call) -> RuleContext:
        return RuleContext(config=self.config, now=call.now)

    def _start_task_contact(self, call: Call) -> Answer:
        check_request_rules(call.request, self._rules(call))
        outcome = self.store.create(
            call.request,
            client_token=call.request.get("ClientToken") or None,
            now=call.now,
            active_task_quota=call.faults.active_task_quota,
        )
        document = {"ContactId": outcome.contact_id}
        return Answer(document, contact_id=None if outcome.duplicate else outcome.contact_id)

    def _update_contact(self, call: Call) -> Answer:
        lifecycle.check_update_contact_request(call.request, self._rules(call))
        task = self.store.update_contact(call.request, now=call.now)
        return Answer({}, contact_id=task.contact_id)

    def _update_contact_attributes(self, call: Call) -> Answer:
        lifecycle.check_update_attributes_request(call.request, self._rules(call))
        self.store.update_attributes(call.request, now=call.now)
        return Answer({}, contact_id=call.request["InitialContactId"])

    def _update_contact_schedule(self, call: Call) -> Answer:
        lifecycle.check_update_schedule_request(call.request, self._rules(call))
        task = self.store.update_schedule(call.request, now=call.now)
        return Answer({}, contact_id=task.contact_id)

    def _stop_contact(self, call: Call) -> Answer:
        lifecycle.check_contact_request(call.request, self._rules(call))
        task = self.store.stop(call.request, now=call.now)
        return Answer({}, contact_id=task.contact_id)

    def _describe_contact(self, call: Call) -> Answer:
        lifecycle.check_contact_request(call.request, self._rules(call))
        task = self.store.describe(call.request["InstanceId"], call.request["ContactId"])
        contact = describe_task(task, region=call.region, account_id=self.config.account_id)
        return Answer({"Contact": contact}, contact_id=task.contact_id)
