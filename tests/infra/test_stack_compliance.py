"""cdk-nag (AwsSolutions and Serverless) runs at every synth: nothing unacknowledged, every
acknowledgement specific, and a finding nobody acknowledged fails the synth."""

from __future__ import annotations

import json
from pathlib import Path

from aws_cdk import aws_sqs as sqs

from infra.application import build_app, synthesize
from infra.compliance import NAG_REPORT_FILE
from tests.infra.synthesis import BASE_CONTEXT, INSTANCE_ID, SKIP_BUNDLING, SynthesizedApp

NAG_CONNECT = (
    "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:connect:<AWS::Region>:<AWS::AccountId>:instance/"
)


def acknowledged(app: SynthesizedApp) -> set[tuple[str, str]]:
    return {(entry["rule"], entry["construct"]) for entry in app.nag.acknowledged}


def test_default_deployment_has_no_unacknowledged_findings(default_app: SynthesizedApp) -> None:
    assert default_app.nag.unacknowledged == []
    assert default_app.nag.passed


def test_default_deployment_acknowledges_exactly_the_findings_its_design_causes(
    default_app: SynthesizedApp,
) -> None:
    assert acknowledged(default_app) == {
        ("Serverless-SQSRedrivePolicy", "TaskCreator/Ingest/DeadLetterQueue"),
        (f"{NAG_CONNECT}{INSTANCE_ID}/contact/*]", "TaskCreator/TaskCreator/Role"),
        ("AwsSolutions-IAM5[Resource::*]", "TaskCreator/TaskCreator/Role"),
        ("Serverless-LambdaDLQ", "TaskCreator/TaskCreator/Function"),
        ("Serverless-LambdaEventSourceMappingDestination", "TaskCreator/TaskCreator/Function"),
        ("AwsSolutions-L1", "TaskCreator/TaskCreator/Function"),
        ("Serverless-LambdaLatestVersion", "TaskCreator/TaskCreator/Function"),
    }


def test_rendered_flow_wildcard_is_acknowledged_with_the_rules_that_need_it(
    selectors_app: SynthesizedApp,
) -> None:
    (entry,) = [e for e in selectors_app.nag.acknowledged if e["rule"].endswith("/contact-flow/*]")]

    assert entry["rule"] == f"{NAG_CONNECT}{INSTANCE_ID}/contact-flow/*]"
    assert "routed-by-event" in entry["reason"]
    assert INSTANCE_ID in entry["reason"]


def test_fifo_deployment_options_are_acknowledged_where_they_apply(fifo_app: SynthesizedApp) -> None:
    rules = acknowledged(fifo_app)

    assert fifo_app.nag.passed
    assert fifo_app.nag.unacknowledged == []
    assert ("Serverless-SQSRedrivePolicy", "OrdersTasks/Ingest/DeadLetterQueue") in rules
    assert ("Serverless-SQSRedrivePolicy", "OrdersTasks/Ingest/FifoDeadLetterQueue") in rules
    assert not [rule for rule, _ in rules if rule.startswith("AwsSolutions-SQS")]  # every queue has a DLQ
    assert ("Serverless-SNSRedrivePolicy", "OrdersTasks/Monitoring/AlarmTopic") in rules
    assert ("Serverless-LambdaTracing", "OrdersTasks/TaskCreator/Function") in rules
    assert ("AwsSolutions-IAM5[Resource::*]", "OrdersTasks/TaskCreator/Role") not in rules  # no X-Ray


def test_every_acknowledgement_gives_its_own_specific_reason(
    default_app: SynthesizedApp,
    selectors_app: SynthesizedApp,
    fifo_app: SynthesizedApp,
    lifecycle_app: SynthesizedApp,
) -> None:
    apps = (default_app, selectors_app, fifo_app, lifecycle_app)
    entries = [entry for app in apps for entry in app.nag.acknowledged]
    rules_by_reason: dict[str, set[str]] = {}
    for entry in entries:
        rules_by_reason.setdefault(entry["reason"], set()).add(entry["rule"])

    assert all(len(entry["reason"]) >= 80 for entry in entries)
    assert all(len(rules) == 1 for rules in rules_by_reason.values())  # no reason copied onto another rule


def test_report_and_template_record_the_acknowledgements(default_app: SynthesizedApp) -> None:
    report = json.loads((default_app.assembly_dir / NAG_REPORT_FILE).read_text(encoding="utf-8"))
    _, function = default_app.only("AWS::Lambda::Function")

    assert report["packs"] == ["AwsSolutions", "Serverless"]
    assert (report["passed"], report["unacknowledged"]) == (True, [])
    assert len(report["acknowledged"]) == len(default_app.nag.acknowledged)
    suppressed = {rule["id"] for rule in function["Metadata"]["cdk_nag"]["rules_to_suppress"]}
    assert {"Serverless-LambdaDLQ", "Serverless-LambdaEventSourceMappingDestination"} <= suppressed


def test_an_unacknowledged_finding_fails_the_synth(tmp_path: Path) -> None:
    app, stack = build_app(
        {**BASE_CONTEXT, **SKIP_BUNDLING}, outdir=str(tmp_path), cloudformation_validation=False
    )
    sqs.Queue(
        stack, "Unprotected"
    )  # no DLQ, no TLS policy: AwsSolutions-SQS3/SQS4, Serverless-SQSRedrivePolicy

    report = synthesize(app)

    assert not report.passed
    found = {(finding["pack"], finding["rule"]) for finding in report.unacknowledged}
    assert {("AwsSolutions", "AwsSolutions-SQS3"), ("AwsSolutions", "AwsSolutions-SQS4")} <= found
    assert ("Serverless", "Serverless-SQSRedrivePolicy") in found
    assert all(
        finding["constructs"] == ["TaskCreator/Unprotected/Resource"] for finding in report.unacknowledged
    )
