"""The cdk-nag findings this design causes on purpose, each acknowledged on its construct with its reason.

Only what is listed here is acknowledged; any other finding fails the synth (infra/compliance.py).
Reasons say why the finding is right for Task Creator, not what the rule says.
"""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import Acknowledgment, Validations
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sns as sns
from constructs import IConstruct

from infra.connect_permissions import CONTACTS_RESOURCE, ConnectGrant, LifecycleGrant
from infra.ingest import IngestQueues

# How cdk-nag renders an ARN built from the partition/region/account pseudo parameters.
NAG_CONNECT_ARN_PREFIX = "arn:<AWS::Partition>:connect:<AWS::Region>:<AWS::AccountId>:"

NEW_CONTACTS_REASON = (
    "StartTaskContact is authorized on the contact it creates (resource type 'contact' in the Service "
    "Authorization Reference); Connect assigns its ID, so the grant covers the contacts of instance "
    "{instance} only, never another instance"
)
LIFECYCLE_CONTACTS_REASON = (
    "the lifecycle rules act on the task registered under their taskKey, whose contact ID Connect "
    "assigned when it created the task and the function looks up at run time, with actions authorized on "
    "resource type 'contact' only, so they share this wildcard within instance {instance}: {calls}"
)
RENDERED_SELECTOR_REASON = (
    "mapping rule(s) {rules} render task.{field} from the event, so which one is unknown at deploy time; "
    "the wildcard stays within instance {instance}"
)
XRAY_REASON = (
    "only xray:PutTraceSegments and xray:PutTelemetryRecords (added by active tracing) use Resource '*': "
    "X-Ray supports no resource-level permissions for them"
)
TRACING_OFF_REASON = "the deployer turned tracing off with -c tracing=false (it costs a cold-start import)"
LAMBDA_DLQ_REASON = (
    "failed asynchronous invocations go to the DLQ through the on-failure destination (EventInvokeConfig), "
    "which also records the error; a DeadLetterConfig to the same queue would deliver each failure twice"
)
EVENT_SOURCE_DESTINATION_REASON = (
    "Lambda supports on-failure destinations for stream and Kafka event sources, not SQS: the function "
    "sends permanent failures to its queue's DLQ at once and transient ones on their last attempt "
    "(MAX_RECEIVE_COUNT, ErrorType RetriesExhausted); each ingest queue's redrive policy, a few receives "
    "later, catches what a crash or timeout left behind"
)
DLQ_WITHOUT_REDRIVE_REASON = (
    "this is a dead-letter queue: its messages wait for an operator (14-day retention, alarms on depth and "
    "on age) and go back to their ingest queue by redrive after a fix; a queue behind it would only hide "
    "failures"
)
RUNTIME_REASON = (
    "the function runs on python3.13 on purpose: its tests, linters and the offline demo run on the same "
    "interpreter, so what ships is what was tested; the runtime moves when the test interpreter does"
)
EMAIL_SUBSCRIPTION_REASON = (
    "the subscription only e-mails alarm notifications: SNS retries e-mail delivery itself, and a lost "
    "e-mail loses no data (the alarm state stays on the alarm and on the dashboard)"
)


@dataclass(frozen=True)
class DesignFindings:
    """The constructs whose findings are acknowledged, and the facts the reasons depend on."""

    role: iam.Role
    function: lambda_.Function
    queues: IngestQueues
    alarm_topic: sns.Topic
    connect_grant: ConnectGrant
    lifecycle_grants: tuple[LifecycleGrant, ...]
    tracing: bool
    alarm_email: bool


def acknowledge_design_findings(findings: DesignFindings) -> None:
    """Acknowledge, on each construct, the findings its design causes on purpose."""
    _acknowledge_connect_wildcards(findings.role, findings.connect_grant, findings.lifecycle_grants)
    if findings.tracing:
        _acknowledge(findings.role, "AwsSolutions-IAM5[Resource::*]", XRAY_REASON)
    else:
        _acknowledge(findings.function, "Serverless-LambdaTracing", TRACING_OFF_REASON)
    _acknowledge(findings.function, "Serverless-LambdaDLQ", LAMBDA_DLQ_REASON)
    _acknowledge(findings.function, "AwsSolutions-L1", f"{RUNTIME_REASON} (AwsSolutions pack)")
    _acknowledge(findings.function, "Serverless-LambdaLatestVersion", f"{RUNTIME_REASON} (Serverless pack)")
    _acknowledge(
        findings.function, "Serverless-LambdaEventSourceMappingDestination", EVENT_SOURCE_DESTINATION_REASON
    )
    for queue in findings.queues.dead_letter_queues:
        _acknowledge(queue, "Serverless-SQSRedrivePolicy", DLQ_WITHOUT_REDRIVE_REASON)
    if findings.alarm_email:
        _acknowledge(findings.alarm_topic, "Serverless-SNSRedrivePolicy", EMAIL_SUBSCRIPTION_REASON)


def _acknowledge_connect_wildcards(
    role: iam.Role, grant: ConnectGrant, lifecycle: tuple[LifecycleGrant, ...]
) -> None:
    """One acknowledgement per wildcard resource, its reason naming every statement that needs it."""
    reasons: dict[str, list[str]] = {}
    for path in grant.resources:
        if path.endswith("/" + CONTACTS_RESOURCE):
            reasons.setdefault(path, []).append(NEW_CONTACTS_REASON.format(instance=_instance_of(path)))
    calls_by_resource: dict[str, list[str]] = {}
    for each in lifecycle:
        calls = f"{', '.join(each.connect_actions)} for {each.action} rule(s) {', '.join(each.rules)}"
        calls_by_resource.setdefault(each.resource, []).append(calls)
    for path, calls_on_path in calls_by_resource.items():
        reasons.setdefault(path, []).append(
            LIFECYCLE_CONTACTS_REASON.format(instance=_instance_of(path), calls="; ".join(calls_on_path))
        )
    for path, parts in reasons.items():
        _acknowledge(role, _wildcard_finding(path), "; ".join(parts))
    for wildcard in grant.wildcards:
        reason = RENDERED_SELECTOR_REASON.format(
            rules=", ".join(wildcard.rules), field=wildcard.field, instance=_instance_of(wildcard.resource)
        )
        _acknowledge(role, _wildcard_finding(wildcard.resource), reason)


def _instance_of(path: str) -> str:
    """The instance ID of a path like instance/<id>/contact/*."""
    return path.split("/")[1]


def _wildcard_finding(path: str) -> str:
    return f"AwsSolutions-IAM5[Resource::{NAG_CONNECT_ARN_PREFIX}{path}]"


def _acknowledge(construct: IConstruct, rule_id: str, reason: str) -> None:
    Validations.of(construct).acknowledge(Acknowledgment(id=rule_id, reason=reason))
