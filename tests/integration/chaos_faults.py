"""The faults of a chaos run: what goes wrong, as probabilities, and the invoker that loses responses.

:class:`ChaosFaults` holds every rate (the Connect emulator's throttles, 5xx and answers lost after a
task was created; batch responses lost after the handler ran; duplicate publishes; the share of poison
events) and turns the emulator's share into its :class:`~local.connect_emulator.FaultConfig`.
:class:`ChaosInvoker` wraps each container's invoker and discards a seeded share of batch responses
after the handler ran, recording what each invocation was given.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from typing import Any

from local.connect_emulator import CONNECTION_DROPPED, FaultConfig
from local.event_source import Invoker
from local.lambda_context import LocalLambdaContext


class InvocationResponseLost(RuntimeError):
    """Raised by the chaos invoker after the handler ran: its batch response never reaches the loop."""


@dataclass(frozen=True)
class ChaosFaults:
    """What goes wrong, as probabilities. The emulator's rates are per StartTaskContact call (the lost
    answers per call that created a task); ``lost_batch_responses`` per invocation;
    ``duplicate_publishes`` per good event; ``poison`` is the share of events that can never succeed."""

    throttles: float = 0.12
    server_errors: float = 0.08
    lost_after_create: float = 0.04  # a 500 after the task was created
    dropped_after_create: float = 0.04  # the connection closed after the task was created
    lost_batch_responses: float = 0.1
    duplicate_publishes: float = 0.1
    poison: float = 0.1

    def emulator_faults(self, seed: int) -> FaultConfig:
        return FaultConfig(
            error_rates={
                "ThrottlingException": self.throttles,
                "InternalServiceException": self.server_errors,
            },
            lost_response_rates={
                "InternalServiceException": self.lost_after_create,
                CONNECTION_DROPPED: self.dropped_after_create,
            },
            seed=seed,
        )


class ChaosInvoker:
    """Runs the real handler; discards the response of a seeded share of invocations afterwards (the
    event-source loop then deletes nothing), and always that of the first invocation given a record of
    ``always_lose_first`` (e.g. the poison records: their dead letter is written, then the response is
    lost), so every run covers it. Records what each invocation was given. One instance serves every
    container (``wrap`` one invoker per container); thread-safe."""

    def __init__(
        self, *, lost_response_rate: float, seed: int, always_lose_first: AbstractSet[str] = frozenset()
    ) -> None:
        self._rate = lost_response_rate
        self._always_lose_first = always_lose_first
        self._rng = random.Random(f"{seed}:lost-batch-responses")
        self._lock = threading.Lock()
        self.invocations = 0
        self.lost_responses = 0
        self.receive_counts: dict[str, int] = {}  # messageId -> highest ApproximateReceiveCount seen
        self.handler_errors: list[str] = []  # what the handler itself raised
        self.lost_message_ids: set[str] = set()  # the records of the invocations whose response was lost
        self.slowest_invocation_seconds = 0.0

    def wrap(self, invoke: Invoker) -> Invoker:
        def chaos_invoke(event: dict[str, Any], context: LocalLambdaContext) -> Any:
            return self._invoke(invoke, event, context)

        return chaos_invoke

    def _invoke(self, invoke: Invoker, event: dict[str, Any], context: LocalLambdaContext) -> Any:
        records = event.get("Records", [])
        message_ids = [record["messageId"] for record in records]
        with self._lock:
            self.invocations += 1
            for record in records:
                count = int(record.get("attributes", {}).get("ApproximateReceiveCount", 1))
                message_id = record["messageId"]
                self.receive_counts[message_id] = max(count, self.receive_counts.get(message_id, 0))
        started = time.monotonic()
        try:
            response = invoke(event, context)
        except Exception as error:
            with self._lock:
                self.handler_errors.append(f"{type(error).__name__}: {error}")
            raise
        finally:
            with self._lock:
                self.slowest_invocation_seconds = max(
                    self.slowest_invocation_seconds, time.monotonic() - started
                )
        with self._lock:
            lost = self._rng.random() < self._rate
            if self._always_lose_first and not lost and self._always_lose_first & set(message_ids):
                lost, self._always_lose_first = True, frozenset()
            if lost:
                self.lost_responses += 1
                self.lost_message_ids.update(record["messageId"] for record in records)
        if lost:
            raise InvocationResponseLost("the invocation's batch response was lost after the handler ran")
        return response
