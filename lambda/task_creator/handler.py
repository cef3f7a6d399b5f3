"""The Lambda entry point: ``task_creator.handler.lambda_handler``. Thin on purpose.

It recognises the invocation (SQS batch, FIFO batch, direct EventBridge event), hands it to the batch
runner or the creator, and flushes metrics. Collaborators are built once per container from the
environment, or handed in by tests through ``dependencies``.
"""

from __future__ import annotations

import gc
import hashlib
import json
import os
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from task_creator.dependencies import Dependencies, build_dependencies
from task_creator.errors import ConfigurationError, MalformedEvent
from task_creator.mapping.envelope import InvocationKind, event_from_eventbridge, invocation_kind
from task_creator.observability import logger
from task_creator.outcome_publisher import PendingOutcomes
from task_creator.records import Delivery
from task_creator.settings import Settings
from task_creator.tracing import traced

DIRECT_SOURCE_ARN = "eventbridge:direct-invocation"

_container: Dependencies | None = None


def container_dependencies() -> Dependencies:
    """Settings, mapping and clients, built at the first invocation and kept for the container's life.

    The garbage collector is paused while they are built: botocore's service models are a few hundred
    thousand objects, none of them garbage, and collections triggered while they load (one full
    collection walks them all) took 25-40 ms of a cold start. What was built is then frozen (moved out
    of the collector's generations), so no later collection walks it again either."""
    global _container  # noqa: PLW0603 - one set of collaborators per container, by design
    if _container is None:
        try:
            with _collector_paused():
                settings = Settings.from_environ(os.environ)
                _container = build_dependencies(settings)
        except ConfigurationError as error:
            logger.error("cannot start: invalid configuration", extra={"error": str(error)})
            raise
        gc.freeze()
    return _container


@contextmanager
def _collector_paused() -> Iterator[None]:
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: Any, context: LambdaContext, dependencies: Dependencies | None = None) -> Any:
    deps = dependencies or container_dependencies()
    return traced(handle_invocation, enabled=deps.settings.tracing_enabled)(event, context, deps)


def handle_invocation(event: Any, context: LambdaContext, deps: Dependencies) -> Any:
    deadline = time.monotonic() + context.get_remaining_time_in_millis() / 1000 - deps.deadline_margin_seconds
    if deps.ledger is not None:
        deps.ledger.register_lambda_context(context)
    try:
        kind = _kind_or_none(event)
        if kind in (InvocationKind.SQS, InvocationKind.SQS_FIFO):
            return deps.batch.run(event, deadline=deadline, fifo=kind is InvocationKind.SQS_FIFO)
        return _handle_direct(event, deps, deadline)
    finally:
        deps.metrics.flush()


def _handle_direct(event: Any, deps: Dependencies, deadline: float) -> dict[str, Any]:
    """A rule targeting the function: return a summary; raise only for a transient failure."""
    event_id = str(event.get("id") or "") if isinstance(event, Mapping) else ""
    body = json.dumps(event, separators=(",", ":"), default=str)
    delivery = Delivery(body=body, message_id=event_id or _body_key(body), source_arn=DIRECT_SOURCE_ARN)

    def read() -> Any:
        if not isinstance(event, Mapping):
            raise MalformedEvent("invocation is neither an SQS batch nor an EventBridge event")
        return event_from_eventbridge(event)

    report = deps.creator.process(delivery, read, deadline=deadline)
    if report.outcomes and deps.creator.outcomes is not None:
        # Not accepted: raise, so Lambda retries the invocation (the ledger makes the retry create nothing).
        deps.creator.outcomes.publish_or_raise(PendingOutcomes(report.event_id, report.outcomes))
    return report.as_dict()


def _kind_or_none(event: Any) -> InvocationKind | None:
    try:
        return invocation_kind(event)
    except MalformedEvent:
        return None


def _body_key(body: str) -> str:
    return hashlib.sha256(body.encode("utf-8")).hexdigest()
