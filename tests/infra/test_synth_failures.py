"""A deployment that cannot work never synthesizes: the error names the setting and how to fix it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any, cast

import pytest

from infra.application import build_app
from infra.config import DeploymentConfigError, TaskCreatorConfig
from infra.function_settings import DEPLOY_TIME_PLACEHOLDER, check_function_settings
from infra.mapping_source import load_deployment_mapping
from infra.paths import REPO_ROOT
from infra.stack_values import MAX_ATTEMPT_BUDGET, function_environment
from task_creator.dependencies import AwsClients, build_dependencies
from task_creator.errors import SettingsError
from task_creator.settings import Settings
from tests.infra.synthesis import (
    BASE_CONTEXT,
    BROKEN_MAPPING,
    INSTANCE_ID,
    LIFECYCLE_MAPPING,
    SKIP_BUNDLING,
)

LIFECYCLE_RULES = "order-delayed, order-delay-changed, order-follow-up-moved, order-delivered"


def test_missing_instance_id_fails_before_anything_is_built(tmp_path: Path) -> None:
    with pytest.raises(DeploymentConfigError, match=r"-c connectInstanceId=") as raised:
        build_app(SKIP_BUNDLING, outdir=str(tmp_path))

    assert raised.value.problems[0].startswith("connectInstanceId is required")
    assert list(tmp_path.iterdir()) == []


def test_broken_mapping_fails_synth_listing_every_problem(tmp_path: Path) -> None:
    context = {**BASE_CONTEXT, **SKIP_BUNDLING, "mappingFile": str(BROKEN_MAPPING)}

    with pytest.raises(DeploymentConfigError) as raised:
        build_app(context, outdir=str(tmp_path))

    message = str(raised.value)
    assert f"mappingFile {BROKEN_MAPPING}" in message
    assert "rule 'no-task'" in message
    assert "rule 'bad-expression'" in message
    assert "-c mappingFile=" in message


def test_missing_mapping_file_fails_synth_naming_it(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.json"

    with pytest.raises(DeploymentConfigError, match=r"cannot read the file"):
        build_app({**BASE_CONTEXT, **SKIP_BUNDLING, "mappingFile": str(missing)}, outdir=str(tmp_path))


def test_rule_needing_a_default_flow_fails_synth_without_contact_flow_id(tmp_path: Path) -> None:
    context = {"connectInstanceId": INSTANCE_ID, **SKIP_BUNDLING}

    with pytest.raises(DeploymentConfigError, match=r"-c contactFlowId="):
        build_app(context, outdir=str(tmp_path))


def test_app_entry_point_prints_one_clear_line_and_exits_non_zero(tmp_path: Path) -> None:
    environment = {
        **os.environ,
        "CDK_OUTDIR": str(tmp_path),
        "CDK_CONTEXT_JSON": json.dumps({"mappingFile": "lambda/mapping.json"}),
    }

    completed = subprocess.run(
        [sys.executable, "app.py"],
        cwd=REPO_ROOT,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )

    assert completed.returncode == 1
    assert completed.stderr.startswith("error: invalid Task Creator deployment settings:")
    assert "-c connectInstanceId=" in completed.stderr
    assert "Traceback" not in completed.stderr


@pytest.mark.parametrize(
    ("context_key", "value", "function_says"),
    [
        ("connectCallsPerSecond", "0.0005", "CONNECT_CALLS_PER_SECOND must be between 0.001 and 10000"),
        ("connectCallsPerSecond", 20000, "CONNECT_CALLS_PER_SECOND must be between 0.001 and 10000"),
    ],
)
def test_setting_the_function_would_refuse_fails_synth_naming_the_context_key(
    tmp_path: Path, context_key: str, value: object, function_says: str
) -> None:
    context = {**BASE_CONTEXT, **SKIP_BUNDLING, context_key: value}

    with pytest.raises(DeploymentConfigError) as raised:
        build_app(context, outdir=str(tmp_path))

    (problem,) = raised.value.problems
    assert problem.startswith(f"{context_key}: the function would refuse it")
    assert function_says in problem
    assert f"-c {context_key}=" in problem
    assert list(tmp_path.iterdir()) == []


def test_too_many_parallel_calls_fails_synth_naming_the_context_key(tmp_path: Path) -> None:
    context = {**BASE_CONTEXT, **SKIP_BUNDLING, "maxParallelCalls": "51"}

    with pytest.raises(DeploymentConfigError, match=r"-c maxParallelCalls=") as raised:
        build_app(context, outdir=str(tmp_path))

    assert raised.value.problems[0].startswith("maxParallelCalls must be a whole number from 1 to 50")


def test_attempt_budget_the_redrive_backstop_cannot_sit_above_fails_synth(tmp_path: Path) -> None:
    context = {**BASE_CONTEXT, **SKIP_BUNDLING, "maxReceiveCount": str(MAX_ATTEMPT_BUDGET + 1)}

    with pytest.raises(DeploymentConfigError, match=r"-c maxReceiveCount=") as raised:
        build_app(context, outdir=str(tmp_path))

    assert raised.value.problems[0].startswith(
        f"maxReceiveCount must be a whole number from 1 to {MAX_ATTEMPT_BUDGET}"
    )


def test_attempt_budget_the_function_would_refuse_is_reported_under_max_receive_count() -> None:
    # The context reader refuses it first; were it to let one through, the function's own parser
    # would, and the error would still name the context key.
    config = TaskCreatorConfig(connect_instance_id=INSTANCE_ID, contact_flow_id="flow", max_receive_count=0)

    with pytest.raises(DeploymentConfigError) as raised:
        check_function_settings(config, load_deployment_mapping(config.mapping_file))

    (problem,) = raised.value.problems
    assert problem.startswith("maxReceiveCount: the function would refuse it")
    assert "MAX_RECEIVE_COUNT must be between 1 and 1000" in problem


def test_lifecycle_rules_without_the_ledger_fail_synth_in_one_line_naming_the_fix(tmp_path: Path) -> None:
    context = {**BASE_CONTEXT, **SKIP_BUNDLING, "mappingFile": str(LIFECYCLE_MAPPING), "idempotency": "false"}

    with pytest.raises(DeploymentConfigError) as raised:
        build_app(context, outdir=str(tmp_path))

    (problem,) = raised.value.problems
    assert problem.startswith("idempotency: the function would refuse it at every cold start")
    assert "IDEMPOTENCY_TABLE is required: the mapping has lifecycle rules" in problem
    assert "pass -c idempotency=true" in problem
    assert f"take the lifecycle rules ({LIFECYCLE_RULES}) out of mappingFile {LIFECYCLE_MAPPING}" in problem
    assert "\n" not in problem
    assert list(tmp_path.iterdir()) == []


def test_stack_refuses_lifecycle_rules_without_the_ledger_in_the_functions_own_words() -> None:
    config = TaskCreatorConfig(
        connect_instance_id=INSTANCE_ID,
        contact_flow_id="flow",
        mapping_file=LIFECYCLE_MAPPING,
        idempotency=False,
    )
    mapping = load_deployment_mapping(LIFECYCLE_MAPPING)
    environment = function_environment(config, dlq_url=DEPLOY_TIME_PLACEHOLDER, ledger_table_name=None)
    unused = cast(Any, None)  # the function refuses before it touches a client

    with pytest.raises(SettingsError) as function_refusal:
        build_dependencies(
            Settings.from_environ(environment),
            clients=AwsClients(connect=unused, sqs=unused, dynamodb=unused),
            mapping=mapping,
        )
    with pytest.raises(DeploymentConfigError) as stack_refusal:
        check_function_settings(config, mapping)

    (function_says,) = function_refusal.value.problems.values()
    (problem,) = stack_refusal.value.problems
    assert f"({function_says})" in problem


def test_lifecycle_rules_pass_the_settings_check_with_the_ledger() -> None:
    config = TaskCreatorConfig(
        connect_instance_id=INSTANCE_ID, contact_flow_id="flow", mapping_file=LIFECYCLE_MAPPING
    )

    settings = check_function_settings(config, load_deployment_mapping(LIFECYCLE_MAPPING))

    assert settings.idempotency_table == DEPLOY_TIME_PLACEHOLDER


def test_app_entry_point_refuses_lifecycle_rules_without_the_ledger_in_one_line(tmp_path: Path) -> None:
    context = {**BASE_CONTEXT, "mappingFile": str(LIFECYCLE_MAPPING), "idempotency": False}
    environment = {**os.environ, "CDK_OUTDIR": str(tmp_path), "CDK_CONTEXT_JSON": json.dumps(context)}

    completed = subprocess.run(
        [sys.executable, "app.py"],
        cwd=REPO_ROOT,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )

    assert completed.returncode == 1
    header, problem = completed.stderr.strip().splitlines()
    assert header == "error: invalid Task Creator deployment settings:"
    assert problem.startswith("  - idempotency: the function would refuse it")
    assert "pass -c idempotency=true" in problem
