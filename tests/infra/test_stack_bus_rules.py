"""A mapping too large for one EventBridge rule synthesizes into several, each within the limits and
each targeting the standard ingest queue; one that cannot fit never synthesizes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from infra.application import build_app
from infra.bus_rule_combinations import pattern_chars
from infra.config import DeploymentConfigError
from infra.event_pattern import EVENT_PATTERN_MAX_CHARS, plan_bus_rules
from task_creator.mapping.rules import load_mapping
from tests.infra.synthesis import BASE_CONTEXT, SKIP_BUNDLING, SynthesizedApp, get_att


def bus_rules(app: SynthesizedApp) -> list[tuple[str, dict[str, Any]]]:
    return sorted(app.resources("AWS::Events::Rule").items())


def test_each_planned_pattern_is_one_rule_within_eventbridges_limit(
    generated_app: SynthesizedApp, generated_mapping_file: Path
) -> None:
    outcome_source = generated_app.stack.config.published_outcome_source
    plan = plan_bus_rules(load_mapping(generated_mapping_file), outcome_source=outcome_source)

    rules = bus_rules(generated_app)

    assert len(plan.patterns) > 1
    assert len(rules) == len(plan.patterns)
    patterns = [rule["Properties"]["EventPattern"] for _, rule in rules]
    assert sorted(map(json.dumps, patterns)) == sorted(map(json.dumps, plan.patterns))
    assert all(pattern_chars(pattern) <= EVENT_PATTERN_MAX_CHARS for pattern in patterns)


def test_every_bus_rule_targets_the_standard_queue_with_its_dlq(generated_app: SynthesizedApp) -> None:
    queues = generated_app.stack.queues

    for _, rule in bus_rules(generated_app):
        (target,) = rule["Properties"]["Targets"]
        assert target["Arn"] == get_att(generated_app, queues.queue)
        assert target["DeadLetterConfig"] == {"Arn": get_att(generated_app, queues.dead_letter_queue)}
        assert "SqsParameters" not in target
        assert rule["Properties"]["EventBusName"] == "default"


def test_queue_policies_let_every_bus_rule_send_and_nothing_else_from_eventbridge(
    generated_app: SynthesizedApp,
) -> None:
    queues = generated_app.stack.queues
    rule_arns = sorted(
        json.dumps({"Fn::GetAtt": [logical_id, "Arn"]}) for logical_id, _ in bus_rules(generated_app)
    )

    for queue in (queues.queue, queues.dead_letter_queue):
        policy = next(
            resource["Properties"]["PolicyDocument"]
            for resource in generated_app.resources("AWS::SQS::QueuePolicy").values()
            if {"Ref": generated_app.logical_id(queue)} in resource["Properties"]["Queues"]
        )
        (statement,) = [each for each in policy["Statement"] if each.get("Sid") == "AllowBusRuleToSend"]
        allowed = statement["Condition"]["ArnEquals"]["aws:SourceArn"]
        assert sorted(json.dumps(arn) for arn in allowed) == rule_arns


def test_the_first_bus_rule_keeps_the_single_rules_logical_id(
    generated_app: SynthesizedApp, default_app: SynthesizedApp
) -> None:
    (single_id, _) = default_app.only("AWS::Events::Rule")

    assert single_id in dict(bus_rules(generated_app))


def test_cdk_nag_stays_clean_with_many_bus_rules(generated_app: SynthesizedApp) -> None:
    assert generated_app.nag.passed, generated_app.nag.unacknowledged


def test_mapping_whose_bus_rules_cannot_fit_fails_synth_with_one_line(tmp_path: Path) -> None:
    mapping_file = tmp_path / "too-long.mapping.json"
    rule = {"name": "endless-source", "match": {"source": ["acme." + "x" * 2100]}, "task": {"Name": "t"}}
    mapping_file.write_text(json.dumps({"rules": [rule]}), encoding="utf-8")

    with pytest.raises(DeploymentConfigError) as raised:
        build_app({**BASE_CONTEXT, **SKIP_BUNDLING, "mappingFile": str(mapping_file)}, outdir=str(tmp_path))

    (problem,) = raised.value.problems
    assert problem.startswith(f"mappingFile {mapping_file}: mapping rule 'endless-source': ")
    assert "2,048-character limit" in problem
    assert "use a prefix filter" in problem


def test_mapping_that_would_feed_tasks_back_fails_synth_with_one_line(tmp_path: Path) -> None:
    mapping_file = tmp_path / "loop.mapping.json"
    match = {"source": ["aws.connect"], "detail-type": ["Amazon Connect Contact Event"]}
    rule = {"name": "every-contact", "match": match, "task": {"Name": "t"}}
    mapping_file.write_text(json.dumps({"rules": [rule]}), encoding="utf-8")

    with pytest.raises(DeploymentConfigError) as raised:
        build_app({**BASE_CONTEXT, **SKIP_BUNDLING, "mappingFile": str(mapping_file)}, outdir=str(tmp_path))

    (problem,) = raised.value.problems
    assert "mapping rule 'every-contact': it matches the events Amazon Connect puts on the bus" in problem
