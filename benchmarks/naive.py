"""The naive peer: what a hand-written task creator does.

One ``boto3.client("connect")`` with botocore's default configuration (legacy retry mode: 5 attempts,
random exponential backoff up to 8 s between them, throttles retried like 5xx), and a plain loop that
sends one ``StartTaskContact`` per record, with the order's fields copied into the request and the event
id as its ClientToken. A record whose call still fails is named in ``batchItemFailures`` (the generous
reading: many hand-written creators raise and fail the whole batch); SQS's redrive policy dead-letters
it after ``maxReceiveCount`` receives. No ledger, no logs, no metrics, no rate control.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import boto3

from local.aws import offline_environment, patched_environ
from local.identifiers import LOCAL_CONTACT_FLOW_ID, LOCAL_INSTANCE_ID

if TYPE_CHECKING:
    from mypy_boto3_connect import ConnectClient

# Variables that would change botocore's defaults: the naive peer runs without them, whatever is set.
RETRY_VARIABLES = ("AWS_RETRY_MODE", "AWS_MAX_ATTEMPTS")


def naive_client(aws_endpoint_url: str, connect_endpoint_url: str) -> ConnectClient:
    """``boto3.client("connect")``, default configuration, in the offline environment (emulator, dummy
    credentials, local region)."""
    environment: dict[str, str | None] = {
        **offline_environment(aws_endpoint_url, connect_endpoint_url),
        **dict.fromkeys(RETRY_VARIABLES),
    }
    with patched_environ(environment):
        return boto3.client("connect")


class NaiveTaskCreator:
    """``NaiveTaskCreator(client)(event, context)``: the event-source loop's invoker for the naive peer."""

    def __init__(
        self,
        client: ConnectClient,
        instance_id: str = LOCAL_INSTANCE_ID,
        contact_flow_id: str = LOCAL_CONTACT_FLOW_ID,
    ) -> None:
        self._client = client
        self._instance_id = instance_id
        self._contact_flow_id = contact_flow_id

    def __call__(self, event: Mapping[str, Any], context: object) -> dict[str, Any]:
        failures = []
        for record in event["Records"]:
            try:
                self.start_task(json.loads(record["body"]))
            except Exception:
                failures.append({"itemIdentifier": record["messageId"]})
        return {"batchItemFailures": failures}

    def start_task(self, event: Mapping[str, Any]) -> str:
        detail = event["detail"]
        order_id = detail["orderId"]
        response = self._client.start_task_contact(
            InstanceId=self._instance_id,
            ContactFlowId=self._contact_flow_id,
            Name=f"Order {order_id} is delayed",
            Description=detail.get("reason") or "No reason given",
            Attributes={
                "orderId": order_id,
                "customer": detail["customer"]["id"],
                "priority": detail["priority"],
                "delayDays": str(detail["delayDays"]),
            },
            References={
                "Order": {"Type": "URL", "Value": f"https://shop.example.com/orders/{order_id}"},
                "Customer email": {"Type": "EMAIL", "Value": detail["customer"]["email"]},
            },
            ClientToken=event["id"],
        )
        return response["ContactId"]
