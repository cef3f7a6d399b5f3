"""Deferring a record that was not attempted: how long it waits, and sending it back to its queue.

A record whose rules got no Connect call slot soon enough, were throttled, or ran out of invocation time
did nothing: it is sent to its queue again as a **new** message, delayed to the slot its rules were
promised, and the old one is reported done. A new message starts at receive 1, so waiting spends neither
the attempt budget (``MAX_RECEIVE_COUNT``) nor the redrive backstop; what the new message must keep
travels in its attributes: the attempts made so far (``TaskCreatorAttempts``), the first message's id
(``TaskCreatorDeliveryId``: whose work the ledger holds) and the event id (``EventId``: a raw payload's
identity). Standard queues only: on a FIFO queue a new message would lose its place in its group.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from task_creator.adapters.ingest_queue import IngestQueue, MessageAgain
from task_creator.decision import Decision
from task_creator.errors import ConnectThrottled
from task_creator.mapping.envelope import EVENT_ID_ATTRIBUTE
from task_creator.records import DELIVERY_ID_ATTRIBUTE, PRIOR_ATTEMPTS_ATTRIBUTE, Delivery, EventReport

MIN_DEFERRAL_SECONDS = 1.0


def deferral_seconds(decision: Decision, *, throttled_default: float) -> float:
    """How long a deferred record waits: until the slot its rules were promised (the latest); a throttle
    with no rate budget to ask waits ``throttled_default`` (the retry backoff); at least a second (an
    invocation that ran out of time leaves its record for the next one)."""
    promised: list[float] = [MIN_DEFERRAL_SECONDS]
    for failure in decision.reasons:
        seconds = getattr(failure.error, "retry_after_seconds", None)
        if isinstance(seconds, int | float):
            promised.append(float(seconds))
        elif isinstance(failure.error, ConnectThrottled):
            promised.append(throttled_default)
    return max(promised)


def send_back(queue: IngestQueue, deferred: Sequence[tuple[Delivery, EventReport]]) -> list[Delivery]:
    """Send each deferred record to its queue again, delayed; the deliveries that could not be sent
    back (the caller retries them the ordinary way)."""
    by_queue: dict[str, list[tuple[Delivery, MessageAgain]]] = {}
    for delivery, report in deferred:
        again = MessageAgain(
            message_id=delivery.message_id,
            body=delivery.body,
            attributes=delivery.message_attributes,
            extra_attributes={
                PRIOR_ATTEMPTS_ATTRIBUTE: str(delivery.attempt_number - 1),
                DELIVERY_ID_ATTRIBUTE: delivery.delivery_id,
                EVENT_ID_ATTRIBUTE: report.event_id,
            },
            delay_seconds=math.ceil(report.deferred_seconds or 0),
        )
        by_queue.setdefault(delivery.source_arn, []).append((delivery, again))
    not_sent: list[Delivery] = []
    for source_arn, items in by_queue.items():
        failed = queue.send_again(source_arn, [again for _, again in items])
        not_sent += [delivery for delivery, again in items if again.message_id in failed]
    return not_sent
