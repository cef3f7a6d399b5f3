"""The archive in the template: on the ingest bus, of what the bus rules forward, kept archiveDays; and
the outputs a replay needs (the archive, and the ingest rules it may deliver to)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from aws_cdk import App, Stack
from aws_cdk import aws_events as events

from infra.application import build_app
from infra.archive import IngestArchive
from infra.event_pattern import archive_event_pattern
from infra.stack_values import ARCHIVE_DESCRIPTION
from tests.infra.synthesis import BASE_CONTEXT, SKIP_BUNDLING, SynthesizedApp


def default_bus_arn() -> dict[str, Any]:
    parts = ["arn:", {"Ref": "AWS::Partition"}, ":events:", {"Ref": "AWS::Region"}, ":"]
    return {"Fn::Join": ["", [*parts, {"Ref": "AWS::AccountId"}, ":event-bus/default"]]}


def test_archive_keeps_what_the_bus_rule_forwards_for_archive_days(default_app: SynthesizedApp) -> None:
    _, archive = default_app.only("AWS::Events::Archive")
    _, rule = default_app.only("AWS::Events::Rule")

    assert archive["Properties"]["RetentionDays"] == 7  # cdk.json's archiveDays
    assert archive["Properties"]["SourceArn"] == default_bus_arn()
    assert archive["Properties"]["EventPattern"] == rule["Properties"]["EventPattern"]
    assert archive["Properties"]["Description"] == ARCHIVE_DESCRIPTION
    assert "ArchiveName" not in archive["Properties"]  # CloudFormation names it: no clash between stacks


def test_archive_days_set_the_retention_on_the_stacks_own_bus(outcomes_app: SynthesizedApp) -> None:
    _, archive = outcomes_app.only("AWS::Events::Archive")
    _, rule = outcomes_app.only("AWS::Events::Rule")
    bus_id, _ = outcomes_app.only("AWS::Events::EventBus")

    assert archive["Properties"]["RetentionDays"] == 30
    assert archive["Properties"]["SourceArn"] == {"Fn::GetAtt": [bus_id, "Arn"]}
    assert archive["Properties"]["EventPattern"] == rule["Properties"]["EventPattern"]


def test_archive_days_zero_means_no_archive(fifo_app: SynthesizedApp) -> None:
    assert fifo_app.resources("AWS::Events::Archive") == {}
    assert "ArchiveArn" not in fifo_app.template_json["Outputs"]


def test_with_several_bus_rules_one_archive_keeps_a_superset_of_what_they_forward(
    generated_app: SynthesizedApp,
) -> None:
    _, archive = generated_app.only("AWS::Events::Archive")

    assert len(generated_app.resources("AWS::Events::Rule")) == 3
    assert archive_event_pattern(generated_app.stack.bus_rule_plan) is None  # no superset fits 2,048
    assert "EventPattern" not in archive["Properties"]  # so the archive keeps every event on the bus


def test_outputs_give_the_archive_and_every_ingest_rule_for_a_replay(
    default_app: SynthesizedApp, generated_app: SynthesizedApp
) -> None:
    archive_id, _ = default_app.only("AWS::Events::Archive")
    rule_id, _ = default_app.only("AWS::Events::Rule")
    outputs = default_app.template_json["Outputs"]
    rule_ids = sorted(generated_app.resources("AWS::Events::Rule"))
    generated_rules = generated_app.template_json["Outputs"]["IngestRuleArns"]["Value"]

    assert outputs["ArchiveArn"] == {"Value": {"Fn::GetAtt": [archive_id, "Arn"]}}
    assert outputs["IngestRuleArns"] == {"Value": {"Fn::GetAtt": [rule_id, "Arn"]}}
    assert generated_rules["Fn::Join"][0] == ","
    assert sorted(arn["Fn::GetAtt"][0] for arn in generated_rules["Fn::Join"][1]) == rule_ids


def test_cdk_nag_stays_clean_with_the_archive(outcomes_app: SynthesizedApp) -> None:
    assert outcomes_app.nag.passed, outcomes_app.nag.unacknowledged


def test_an_archive_without_the_ledger_is_deployed_with_a_warning(tmp_path: Path) -> None:
    context = {**BASE_CONTEXT, **SKIP_BUNDLING, "idempotency": "false", "archiveDays": "3"}
    context["mappingFile"] = str(Path(__file__).parent / "data" / "create-only.mapping.json")

    _, stack = build_app(context, outdir=str(tmp_path), cloudformation_validation=False)

    assert stack.archive is not None
    (warning,) = [entry.data for entry in stack.archive.node.metadata if entry.type == "aws:cdk:warning"]
    assert "idempotency=false leaves out the ledger" in str(warning)
    assert "[ack: TaskCreator:ArchiveWithoutLedger]" in str(warning)


def test_an_archive_never_keeps_events_forever() -> None:
    stack = Stack(App(), "Probe")
    bus = events.EventBus.from_event_bus_name(stack, "Bus", "default")

    with pytest.raises(ValueError, match="1 day or more"):
        IngestArchive(stack, "Archive", bus=bus, event_pattern=None, retention_days=0)
