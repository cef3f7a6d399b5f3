"""Outcome events in the template: the function's settings, events:PutEvents on the outcome bus only,
the alarm and the dashboard row, the outputs, and bus rules that never feed them back to the function."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from infra.application import build_app
from infra.config import DeploymentConfigError
from infra.event_pattern import OUTCOME_DETAIL_TYPES
from task_creator.mapping.patterns import EventPattern
from tests.infra.pattern_samples import outcome_event as sample_outcome_event
from tests.infra.synthesis import (
    BASE_CONTEXT,
    OUTCOME_SOURCE,
    SKIP_BUNDLING,
    SynthesizedApp,
    alarm,
    as_list,
    dashboard_widgets,
    json_key,
    statements_for,
)


def variables(app: SynthesizedApp) -> dict[str, Any]:
    found: dict[str, Any] = app.properties_of(app.stack.task_function.function)["Environment"]["Variables"]
    return found


def bus_arn(name: str) -> dict[str, Any]:
    """How the template writes the ARN of a bus named ``name`` in the stack's account and region."""
    parts = ["arn:", {"Ref": "AWS::Partition"}, ":events:", {"Ref": "AWS::Region"}, ":"]
    return {"Fn::Join": ["", [*parts, {"Ref": "AWS::AccountId"}, f":event-bus/{name}"]]}


def outcome_event(detail_type: str) -> dict[str, Any]:
    """An outcome event of the outcomes app as EventBridge delivers it."""
    return sample_outcome_event(detail_type, OUTCOME_SOURCE)


def upstream_event(source: str, detail_type: str, detail: dict[str, Any]) -> dict[str, Any]:
    return {**outcome_event(detail_type), "source": source, "detail": detail}


def test_function_is_told_the_outcome_bus_and_source(
    default_app: SynthesizedApp, selectors_app: SynthesizedApp, outcomes_app: SynthesizedApp
) -> None:
    assert (variables(default_app)["OUTCOME_EVENT_BUS"], variables(default_app)["OUTCOME_SOURCE"]) == (
        "default",  # the ingest bus
        "TaskCreator.outcomes",  # "<stackName>.outcomes"
    )
    assert variables(selectors_app)["OUTCOME_EVENT_BUS"] == "task-outcomes"  # outcomeEventBus
    assert (variables(outcomes_app)["OUTCOME_EVENT_BUS"], variables(outcomes_app)["OUTCOME_SOURCE"]) == (
        "Outcomes-events",  # the bus the stack creates, which the bus rule listens on
        OUTCOME_SOURCE,
    )


def test_put_events_is_granted_on_the_outcome_bus_only(
    default_app: SynthesizedApp, selectors_app: SynthesizedApp, outcomes_app: SynthesizedApp
) -> None:
    bus_id, _ = outcomes_app.only("AWS::Events::EventBus")
    expected = [
        (default_app, bus_arn("default")),
        (selectors_app, bus_arn("task-outcomes")),
        (outcomes_app, {"Fn::GetAtt": [bus_id, "Arn"]}),
    ]

    for app, resource in expected:
        assert statements_for(app, "events:") == [
            {"Action": "events:PutEvents", "Effect": "Allow", "Resource": resource}
        ]


def test_the_ledger_remembers_a_task_as_long_as_the_archive_keeps_its_event(
    default_app: SynthesizedApp, outcomes_app: SynthesizedApp
) -> None:
    assert variables(default_app)["IDEMPOTENCY_EXPIRY_DAYS"] == "21"  # 7-day archive: DLQ's 14 + 7
    assert variables(outcomes_app)["IDEMPOTENCY_EXPIRY_DAYS"] == "37"  # 30-day archive + 7 to replay


def test_without_outcome_events_there_is_no_setting_no_permission_no_alarm_no_graph(
    fifo_app: SynthesizedApp,
) -> None:
    assert not {"OUTCOME_EVENT_BUS", "OUTCOME_SOURCE"} & set(variables(fifo_app))
    assert not statements_for(fifo_app, "events:")
    assert "OutcomeEvents" not in json_key(fifo_app.resources("AWS::CloudWatch::Alarm"))
    assert "OutcomeEvents" not in json_key(dashboard_widgets(fifo_app))
    assert not {"OutcomeSource", "OutcomeEventBusName"} & set(fifo_app.template_json["Outputs"])


def test_failed_outcome_events_alarm_on_the_first_one(default_app: SynthesizedApp) -> None:
    topic_id, _ = default_app.only("AWS::SNS::Topic")
    found = alarm(default_app, "OutcomeEventsFailed")

    assert {key: found[key] for key in found if key != "AlarmDescription"} == {
        "Namespace": "TaskCreator",
        "MetricName": "OutcomeEventsFailed",
        "Dimensions": [{"Name": "service", "Value": "TaskCreator"}],
        "Statistic": "Sum",
        "Period": 300,
        "Threshold": 1,
        "ComparisonOperator": "GreaterThanOrEqualToThreshold",
        "EvaluationPeriods": 1,
        "DatapointsToAlarm": 1,
        "TreatMissingData": "notBreaching",
        "AlarmActions": [{"Ref": topic_id}],
        "OKActions": [{"Ref": topic_id}],
    }
    assert "retried" in found["AlarmDescription"]


def test_dashboard_graphs_outcome_events_published_and_failed(default_app: SynthesizedApp) -> None:
    (widget,) = [
        w for w in dashboard_widgets(default_app) if w["properties"].get("title", "").startswith("Outcome")
    ]

    assert [m[1] for m in widget["properties"]["metrics"]] == [
        "OutcomeEventsPublished",
        "OutcomeEventsFailed",
    ]
    assert all(m[2:] == ["service", "TaskCreator", {"stat": "Sum"}] for m in widget["properties"]["metrics"])


def test_outputs_name_the_outcome_source_and_bus(
    default_app: SynthesizedApp, outcomes_app: SynthesizedApp
) -> None:
    bus_id, _ = outcomes_app.only("AWS::Events::EventBus")

    assert default_app.template_json["Outputs"]["OutcomeSource"] == {"Value": "TaskCreator.outcomes"}
    assert default_app.template_json["Outputs"]["OutcomeEventBusName"] == {"Value": "default"}
    assert outcomes_app.template_json["Outputs"]["OutcomeSource"] == {"Value": OUTCOME_SOURCE}
    assert outcomes_app.template_json["Outputs"]["OutcomeEventBusName"] == {"Value": {"Ref": bus_id}}


def test_the_bus_rule_never_forwards_the_functions_outcome_events(outcomes_app: SynthesizedApp) -> None:
    # every-acme-event's {"prefix": "acme."} covers acme.task-outcomes; any-escalation has no source.
    _, rule = outcomes_app.only("AWS::Events::Rule")
    pattern = rule["Properties"]["EventPattern"]
    compiled = EventPattern.compile(pattern)

    assert pattern == {
        "$or": [
            {"source": [{"prefix": "acme."}], "detail-type": [{"anything-but": list(OUTCOME_DETAIL_TYPES)}]},
            {"source": [{"anything-but": ["aws.connect", OUTCOME_SOURCE]}]},
        ]
    }
    assert not [t for t in OUTCOME_DETAIL_TYPES if compiled.matches(outcome_event(t))]
    assert compiled.matches(upstream_event("acme.orders", "OrderDelayed", {"priority": "high"}))
    assert compiled.matches(upstream_event("crm.legacy", "CallbackRequested", {"escalated": True}))


def test_a_rule_asking_for_the_outcome_source_alone_fails_synth_with_one_line(tmp_path: Path) -> None:
    mapping_file = tmp_path / "echo.mapping.json"
    rule = {"name": "outcome-echo", "match": {"source": ["TaskCreator.outcomes"]}, "task": {"Name": "t"}}
    mapping_file.write_text(json.dumps({"rules": [rule]}), encoding="utf-8")
    context = {**BASE_CONTEXT, **SKIP_BUNDLING, "mappingFile": str(mapping_file)}

    with pytest.raises(DeploymentConfigError) as raised:
        build_app(context, outdir=str(tmp_path))

    (problem,) = raised.value.problems
    assert problem.startswith(f"mappingFile {mapping_file}: mapping rule 'outcome-echo': it names source")
    assert "\n" not in problem
    _, stack = build_app({**context, "outcomeEvents": "false"}, outdir=str(tmp_path / "off"))
    assert stack.bus_rule_plan.patterns == ({"source": ["TaskCreator.outcomes"]},)


def test_no_statement_grants_put_events_on_a_wildcard(
    default_app: SynthesizedApp, outcomes_app: SynthesizedApp
) -> None:
    for app in (default_app, outcomes_app):
        for statement in statements_for(app, "events:"):
            assert as_list(statement["Action"]) == ["events:PutEvents"]
            assert "*" not in json_key(statement["Resource"])
