"""TaskCreatorConfig.from_context: every setting parsed once, every problem named with its fix."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from infra.config import DeploymentConfigError, TaskCreatorConfig

pytestmark = pytest.mark.unit

INSTANCE = "11111111-2222-3333-4444-555555555555"


def parse(**context: Any) -> TaskCreatorConfig:
    return TaskCreatorConfig.from_context(context.get, base_dir=Path("/project"))


def problems(**context: Any) -> list[str]:
    with pytest.raises(DeploymentConfigError) as raised:
        parse(**context)
    return raised.value.problems


def test_missing_instance_id_says_how_to_pass_it() -> None:
    (problem,) = problems()

    assert "connectInstanceId is required" in problem
    assert "-c connectInstanceId=" in problem


def test_instance_arn_instead_of_id_is_rejected_with_the_expected_form() -> None:
    (problem,) = problems(connectInstanceId=f"arn:aws:connect:us-east-1:123456789012:instance/{INSTANCE}")

    assert problem.startswith("connectInstanceId must be the instance ID")


def test_defaults_follow_the_issue() -> None:
    config = parse(connectInstanceId=INSTANCE)

    assert config.stack_name == "TaskCreator"
    assert config.token_namespace == "TaskCreator"
    assert config.mapping_file == Path("/project/lambda/mapping.json")
    assert (config.event_bus_name, config.uses_default_bus) == ("default", True)
    assert (config.fifo, config.batch_size, config.max_concurrency, config.max_receive_count) == (
        False,
        10,
        2,
        5,
    )
    assert (config.idempotency, config.tracing, config.connect_calls_per_second) == (True, True, None)
    assert (config.alarm_email, config.producer_principals, config.contact_flow_id) == (None, (), None)


def test_command_line_strings_are_converted() -> None:
    config = parse(
        connectInstanceId=INSTANCE,
        fifo="true",
        idempotency="false",
        batchSize="8",
        connectCallsPerSecond="2.5",
        producerPrincipals="arn:aws:iam::123456789012:role/a, arn:aws:iam::123456789012:role/b",
    )

    assert (config.fifo, config.idempotency, config.batch_size, config.connect_calls_per_second) == (
        True,
        False,
        8,
        2.5,
    )
    assert config.producer_principals == (
        "arn:aws:iam::123456789012:role/a",
        "arn:aws:iam::123456789012:role/b",
    )


def test_json_values_from_cdk_json_are_accepted() -> None:
    config = parse(connectInstanceId=INSTANCE, fifo=False, batchSize=10, producerPrincipals=[])

    assert (config.fifo, config.batch_size, config.producer_principals) == (False, 10, ())


def test_every_problem_is_reported_at_once() -> None:
    found = problems(batchSize="0", maxConcurrency="1", alarmEmail="ops", fifo="maybe")

    assert sorted(problem.split(" ")[0] for problem in found) == [
        "alarmEmail",
        "batchSize",
        "connectInstanceId",
        "fifo",
        "maxConcurrency",
    ]
    assert all("-c " in problem for problem in found)


def test_fifo_queue_cannot_have_a_batching_window() -> None:
    (problem,) = problems(connectInstanceId=INSTANCE, fifo="true", maxBatchingWindowSeconds="5")

    assert "maxBatchingWindowSeconds is not supported with fifo=true" in problem


def test_batches_above_ten_need_a_batching_window() -> None:
    (problem,) = problems(connectInstanceId=INSTANCE, batchSize="100")

    assert "-c maxBatchingWindowSeconds=1" in problem
    assert parse(connectInstanceId=INSTANCE, batchSize="100", maxBatchingWindowSeconds="1").batch_size == 100


def test_producer_principals_must_be_iam_arns() -> None:
    (problem,) = problems(connectInstanceId=INSTANCE, producerPrincipals="123456789012")

    assert problem.startswith("producerPrincipals must be IAM principal ARNs")


def test_created_bus_is_named_after_the_stack_unless_named() -> None:
    created = parse(connectInstanceId=INSTANCE, createEventBus="true", stackName="Orders")

    assert (created.event_bus_name, created.uses_default_bus) == ("Orders-events", False)
    assert problems(connectInstanceId=INSTANCE, createEventBus="true", eventBusName="default")


def test_existing_named_bus_is_used_as_is() -> None:
    config = parse(connectInstanceId=INSTANCE, eventBusName="orders")

    assert (config.event_bus_name, config.create_event_bus, config.uses_default_bus) == (
        "orders",
        False,
        False,
    )


def test_relative_mapping_file_is_resolved_against_the_project() -> None:
    assert parse(connectInstanceId=INSTANCE, mappingFile="config/rules.json").mapping_file == Path(
        "/project/config/rules.json"
    )
    assert parse(connectInstanceId=INSTANCE, mappingFile="/etc/rules.json").mapping_file == Path(
        "/etc/rules.json"
    )


def test_token_namespace_can_be_pinned_independently_of_the_stack_name() -> None:
    config = parse(connectInstanceId=INSTANCE, stackName="Blue", tokenNamespace="orders")

    assert (config.stack_name, config.token_namespace) == ("Blue", "orders")


@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "1e400", "ten", True])
def test_numbers_must_be_finite_numbers(value: Any) -> None:
    found = problems(connectInstanceId=INSTANCE, connectCallsPerSecond=value, batchSize=value)

    assert [problem.split(" ")[0] for problem in found] == ["batchSize", "connectCallsPerSecond"]
    assert all("must be a" in problem for problem in found)


def test_empty_values_mean_not_set() -> None:
    config = parse(connectInstanceId=INSTANCE, connectCallsPerSecond="", batchSize=" ")

    assert (config.connect_calls_per_second, config.batch_size) == (None, 10)


def test_stack_name_must_leave_room_for_the_queue_names() -> None:
    (problem,) = problems(connectInstanceId=INSTANCE, stackName="S" * 61)

    assert problem.startswith("stackName must be 1-60 letters, digits and '-'")
    assert parse(connectInstanceId=INSTANCE, stackName="S" * 60).stack_name == "S" * 60


def test_outcome_events_default_to_the_ingest_bus_under_a_source_named_after_the_stack() -> None:
    config = parse(connectInstanceId=INSTANCE, stackName="Orders")

    assert (config.outcome_events, config.outcome_event_bus_name, config.outcome_source) == (
        True,
        "default",
        "Orders.outcomes",
    )
    assert (config.published_outcome_source, config.outcomes_on_ingest_bus) == ("Orders.outcomes", True)
    created = parse(connectInstanceId=INSTANCE, stackName="Orders", createEventBus="true")
    assert created.outcome_event_bus_name == "Orders-events"  # the bus the stack creates


def test_outcome_events_can_go_to_another_bus_under_another_source_or_be_turned_off() -> None:
    config = parse(connectInstanceId=INSTANCE, outcomeEventBus="task-outcomes", outcomeSource="acme.tasks")
    off = parse(connectInstanceId=INSTANCE, outcomeEvents="false")

    assert (config.outcome_event_bus_name, config.outcome_source) == ("task-outcomes", "acme.tasks")
    assert (config.outcomes_on_ingest_bus, off.outcome_events, off.published_outcome_source) == (
        False,
        False,
        None,
    )


@pytest.mark.parametrize(
    ("value", "shown"),
    [("aws.taskcreator", "'aws.taskcreator'"), ("s" * 257, "(257 characters)"), (7, "7")],
)
def test_outcome_source_reserved_for_aws_or_too_long_is_refused_in_one_line(value: Any, shown: str) -> None:
    (problem,) = problems(connectInstanceId=INSTANCE, outcomeSource=value)

    assert problem.startswith("outcomeSource must be an EventBridge source of 1-256 characters")
    assert "not starting with 'aws.'" in problem
    assert shown in problem
    assert "-c outcomeSource=<your own source, e.g. TaskCreator.outcomes>" in problem
    assert "\n" not in problem
    assert parse(connectInstanceId=INSTANCE, outcomeSource="s" * 256).outcome_source == "s" * 256


def test_outcome_bus_must_be_a_bus_name() -> None:
    (problem,) = problems(connectInstanceId=INSTANCE, outcomeEventBus="orders bus")

    assert problem.startswith("outcomeEventBus must be an EventBridge bus name")


def test_archive_keeps_a_week_by_default_and_zero_turns_it_off() -> None:
    assert parse(connectInstanceId=INSTANCE).archive_days == 7
    assert parse(connectInstanceId=INSTANCE, archiveDays="0").archive_days == 0
    assert parse(connectInstanceId=INSTANCE, archiveDays=3643).archive_days == 3643


@pytest.mark.parametrize("value", ["-1", "3644", "1.5", "forever"])
def test_archive_days_outside_what_the_ledger_can_outlive_are_refused(value: str) -> None:
    (problem,) = problems(connectInstanceId=INSTANCE, archiveDays=value)

    assert (
        problem
        == f"archiveDays must be a whole number from 0 to 3643, got {value!r} (pass -c archiveDays=...)"
    )
