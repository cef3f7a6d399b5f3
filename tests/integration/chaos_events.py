"""The events of a chaos run, and what should become of each.

:func:`chaos_events` renders distinct events from the samples in ``events/`` and ``events/payloads/``
with unique ids: good kinds (weighted) that should each become one task per matching rule, and poison
kinds that should each become one dead letter of an expected ErrorType. :func:`expected_tasks` plans
the ClientTokens of the good ones with the function's own planning (``plan_event``), applied to each
message as it was sent.
"""

from __future__ import annotations

import copy
import functools
import json
import random
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from local.event_source import lambda_message_attribute
from local.identifiers import LOCAL_REGION
from local.pipeline import LocalPipeline
from task_creator.mapping.envelope import event_from_sqs_record
from task_creator.mapping.planning import PlanningContext, plan_event
from task_creator.mapping.render import TaskDefaults
from tests.integration.chaos_faults import ChaosFaults
from tests.support import EVENTS_DIR

if TYPE_CHECKING:
    from mypy_boto3_sqs.type_defs import MessageAttributeValueTypeDef


class HarnessError(RuntimeError):
    """The chaos run itself is set up wrong (not a finding about the function)."""


@dataclass(frozen=True)
class ChaosEvent:
    """One distinct event: the message body and attributes it is sent with, and what should become of it.
    A good event expects one task per rule in ``rules``; a poison one a dead letter typed as one of
    ``dead_letter_types``, whose EventId is ``event_id`` (None: the SQS message id)."""

    key: str
    kind: str
    body: str
    attributes: Mapping[str, MessageAttributeValueTypeDef] = field(default_factory=dict)
    rules: frozenset[str] = frozenset()
    dead_letter_types: frozenset[str] = frozenset()
    event_id: str | None = None
    copies: int = 1

    @property
    def poison(self) -> bool:
        return bool(self.dead_letter_types)


@functools.cache
def _sample_text(name: str) -> str:
    return (EVENTS_DIR / name).read_text(encoding="utf-8")


def _sample(name: str) -> Any:
    return json.loads(_sample_text(name))


def _sample_body(name: str, index: int) -> Any:
    return json.loads(_sample(name)["Records"][index]["body"])


def _string_attributes(**values: str) -> dict[str, MessageAttributeValueTypeDef]:
    return {name.replace("_", "-"): {"DataType": "String", "StringValue": v} for name, v in values.items()}


def _envelope(template: Any, rng: random.Random) -> dict[str, Any]:
    event: dict[str, Any] = copy.deepcopy(template)
    event["id"] = str(uuid.UUID(int=rng.getrandbits(128), version=4))
    return event


def _order(key: str, rng: random.Random, *, vip: bool = False, email: str | None = None) -> dict[str, Any]:
    template = (
        _sample_body("sqs-eventbridge-batch.json", 2) if vip else _sample("eventbridge-order-delayed.json")
    )
    event = _envelope(template, rng)
    event["detail"]["orderId"] = key
    event["detail"]["customer"]["id"] = f"C-{key}"
    event["detail"]["customer"]["email"] = email or f"{key.lower()}@example.com"
    return event


def order_delayed(key: str, rng: random.Random) -> ChaosEvent:
    return ChaosEvent(key, "order-delayed", json.dumps(_order(key, rng)), rules=frozenset({"order-delayed"}))


def vip_order_delayed(key: str, rng: random.Random) -> ChaosEvent:
    body = json.dumps(_order(key, rng, vip=True))
    return ChaosEvent(key, "vip-order-delayed", body, rules=frozenset({"order-delayed", "vip-escalation"}))


def payment_failed(key: str, rng: random.Random) -> ChaosEvent:
    event = _envelope(_sample("eventbridge-payment-failed.json"), rng)
    event["detail"]["paymentId"] = key
    return ChaosEvent(key, "payment-failed", json.dumps(event), rules=frozenset({"payment-failed"}))


def callback_request(key: str, rng: random.Random) -> ChaosEvent:
    payload = {**_sample("payloads/callback-request.json"), "requestId": key, "customerName": f"Client {key}"}
    return ChaosEvent(
        key,
        "callback-request",
        json.dumps(payload),
        attributes=_string_attributes(source="crm.legacy", detail_type="CallbackRequested"),
        rules=frozenset({"callback-request"}),
    )


def support_ticket(key: str, rng: random.Random) -> ChaosEvent:
    payload = {**_sample_body("sqs-raw-payloads.json", 1), "ticketId": key, "subject": f"Ticket {key}"}
    return ChaosEvent(key, "support-ticket", json.dumps(payload), rules=frozenset({"support-ticket"}))


def stock_low(key: str, rng: random.Random) -> ChaosEvent:
    notification = _sample_body("sqs-sns-notification.json", 0)
    message = {**json.loads(notification["Message"]), "sku": key}
    notification.update(MessageId=str(uuid.UUID(int=rng.getrandbits(128))), Message=json.dumps(message))
    return ChaosEvent(key, "stock-low", json.dumps(notification), rules=frozenset({"stock-low"}))


def not_json(key: str, rng: random.Random) -> ChaosEvent:
    """A body cut off mid-object, as in the poison sample."""
    sample = _sample("sqs-poison-records.json")["Records"][0]["body"]
    body = sample.replace("ORD-1", key)
    return ChaosEvent(key, "not-json", body, dead_letter_types=_types("MalformedEvent"))


def not_an_object(key: str, rng: random.Random) -> ChaosEvent:
    return ChaosEvent(key, "not-an-object", json.dumps([key, 1]), dead_letter_types=_types("MalformedEvent"))


def unmatched(key: str, rng: random.Random) -> ChaosEvent:
    event = _envelope(_sample_body("sqs-poison-records.json", 1), rng)
    event["detail"]["subscriber"] = key
    return ChaosEvent(
        key, "unmatched", json.dumps(event), dead_letter_types=_types("UnmatchedEvent"), event_id=event["id"]
    )


def name_renders_empty(key: str, rng: random.Random) -> ChaosEvent:
    payload = {**_sample_body("sqs-poison-records.json", 2), "ticketId": key}  # a ticket with no subject
    return ChaosEvent(
        key, "name-renders-empty", json.dumps(payload), dead_letter_types=_types("MappingError")
    )


def rejected_by_connect(key: str, rng: random.Random) -> ChaosEvent:
    """An EMAIL reference Connect refuses (the function may catch it first, as a limit)."""
    event = _order(key, rng, email=f"not-an-email-{key}")
    return ChaosEvent(
        key,
        "rejected-by-connect",
        json.dumps(event),
        dead_letter_types=_types("InvalidParameterException", "LimitViolation"),
        event_id=event["id"],
    )


def _types(*names: str) -> frozenset[str]:
    return frozenset(names)


EventMaker = Callable[[str, random.Random], ChaosEvent]
GOOD_KINDS: Mapping[EventMaker, int] = {  # kind -> weight
    order_delayed: 3,
    vip_order_delayed: 1,
    payment_failed: 2,
    callback_request: 2,
    support_ticket: 2,
    stock_low: 2,
}
POISON_KINDS: Sequence[EventMaker] = (
    not_json,
    not_an_object,
    unmatched,
    name_renders_empty,
    rejected_by_connect,
)


def chaos_events(count: int, seed: int, faults: ChaosFaults) -> list[ChaosEvent]:
    """``count`` distinct events: every poison kind at least once (when ``faults.poison`` > 0), the rest
    good, weighted by kind; a share of the good ones is to be published twice."""
    rng = random.Random(f"{seed}:events")
    poison_count = min(count, max(len(POISON_KINDS), round(count * faults.poison))) if faults.poison else 0
    makers = [POISON_KINDS[index % len(POISON_KINDS)] for index in range(poison_count)]
    makers += rng.choices(list(GOOD_KINDS), weights=list(GOOD_KINDS.values()), k=count - poison_count)
    events = []
    for index, make in enumerate(makers):
        event = make(f"CX{seed}-{index:05d}", rng)
        if not event.poison and rng.random() < faults.duplicate_publishes:
            event = replace(event, copies=2)
        events.append(event)
    return events


@dataclass(frozen=True)
class ExpectedTask:
    key: str
    kind: str
    rule: str
    client_token: str


def expected_tasks(
    pipeline: LocalPipeline, events: Sequence[ChaosEvent], message_ids: Mapping[str, list[str]]
) -> dict[str, ExpectedTask]:
    """ClientToken -> task, for every good event, planned by the function's own code from each copy as
    it was sent (both copies of a duplicate publish must plan the same tokens)."""
    settings = pipeline.dependencies.settings
    context = PlanningContext(
        defaults=TaskDefaults(
            instance_id=settings.connect_instance_id, contact_flow_id=settings.contact_flow_id
        ),
        token_namespace=settings.token_namespace,
    )
    queue = pipeline.topology.ingest_queue
    expected: dict[str, ExpectedTask] = {}
    for event in events:
        if event.poison:
            continue
        plans = []
        for message_id in message_ids[event.key]:
            record = {
                "messageId": message_id,
                "body": event.body,
                "attributes": {"ApproximateReceiveCount": "1"},
                "messageAttributes": {
                    name: lambda_message_attribute(value) for name, value in event.attributes.items()
                },
                "eventSource": "aws:sqs",
                "eventSourceARN": queue.arn,
                "awsRegion": LOCAL_REGION,
            }
            plan = plan_event(event_from_sqs_record(record), pipeline.mapping, context)
            plans.append({task.rule: task.client_token for task in plan.tasks})
            if plan.failures or set(plan.matched_rules) != event.rules:
                raise HarnessError(
                    f"{event.key} ({event.kind}) does not plan as its rules {sorted(event.rules)}"
                )
        if any(plan != plans[0] for plan in plans):
            raise HarnessError(f"the copies of {event.key} ({event.kind}) plan different ClientTokens")
        for rule, token in plans[0].items():
            expected[token] = ExpectedTask(key=event.key, kind=event.kind, rule=rule, client_token=token)
    return expected
