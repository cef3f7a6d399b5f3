"""The idempotency ledger: one DynamoDB table the function's Powertools idempotency layer writes to.

Powertools' DynamoDB persistence layer uses ``id`` as the partition key and ``expiration`` (epoch
seconds) as the record's expiry, which the table's TTL honours. On-demand billing (traffic is bursty),
point-in-time recovery, encryption at rest with the AWS managed key. The table is retained when the
stack is deleted: it is what stops a replay of old events from creating their tasks a second time.
"""

from __future__ import annotations

from aws_cdk import RemovalPolicy
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from constructs import Construct

from infra.stack_values import LEDGER_PARTITION_KEY, LEDGER_TTL_ATTRIBUTE

# What the idempotency layer does with its records: nothing more (no Scan, no Query, no batch calls).
ITEM_ACTIONS = ("dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem")


class IdempotencyLedger(Construct):
    """The ledger table, and the one grant the function needs on it."""

    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        self.table = dynamodb.Table(
            self,
            "Table",
            partition_key=dynamodb.Attribute(name=LEDGER_PARTITION_KEY, type=dynamodb.AttributeType.STRING),
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            time_to_live_attribute=LEDGER_TTL_ATTRIBUTE,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            encryption=dynamodb.TableEncryption.AWS_MANAGED,
            removal_policy=RemovalPolicy.RETAIN,
        )

    def grant_item_access(self, grantee: iam.IGrantable) -> None:
        """Exactly the four item actions of the idempotency layer, on this table only."""
        grantee.grant_principal.add_to_principal_policy(
            iam.PolicyStatement(actions=list(ITEM_ACTIONS), resources=[self.table.table_arn])
        )
