"""Environment settings: parsed once, defaults for what is optional, and errors that name the variable."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from task_creator.errors import ConfigurationError, SettingsError
from task_creator.settings import Settings
from tests.support import SHIPPED_MAPPING_FILE

INSTANCE_ID = "11111111-2222-3333-4444-555555555555"
MINIMAL = {"CONNECT_INSTANCE_ID": INSTANCE_ID}


def settings_error(**environ: str) -> str:
    with pytest.raises(SettingsError) as raised:
        Settings.from_environ({**MINIMAL, **environ})
    return raised.value.message


def test_minimal_environment_takes_every_default() -> None:
    settings = Settings.from_environ(MINIMAL)

    assert settings == Settings(connect_instance_id=INSTANCE_ID)
    assert settings.mapping_file == SHIPPED_MAPPING_FILE
    assert settings.contact_flow_id is None
    assert settings.dlq_url is None
    assert settings.idempotency_table is None
    assert settings.idempotency_expiry == timedelta(days=14)
    assert settings.max_parallel_calls == 5
    assert settings.connect_calls_per_second is None
    assert settings.token_namespace == "task-creator"
    assert settings.schedule_window == timedelta(days=6)
    assert settings.tracing_enabled is False


def test_every_variable_is_read() -> None:
    environ = {
        "CONNECT_INSTANCE_ID": f"  {INSTANCE_ID}  ",
        "CONNECT_CONTACT_FLOW_ID": "flow-1",
        "DLQ_URL": "https://sqs.us-east-1.amazonaws.com/123456789012/task-creator-dlq",
        "MAPPING_FILE": "/opt/mapping.json",
        "IDEMPOTENCY_TABLE": "task-creator-ledger",
        "IDEMPOTENCY_EXPIRY_DAYS": "30",
        "MAX_PARALLEL_CALLS": "10",
        "CONNECT_CALLS_PER_SECOND": "2.5",
        "TOKEN_NAMESPACE": "prod-eu",
        "SCHEDULED_TIME_WINDOW_DAYS": "0.5",
        "POWERTOOLS_SERVICE_NAME": "tasks",
        "POWERTOOLS_METRICS_NAMESPACE": "Acme/Tasks",
        "POWERTOOLS_TRACE_DISABLED": "false",
    }

    assert Settings.from_environ(environ) == Settings(
        connect_instance_id=INSTANCE_ID,
        contact_flow_id="flow-1",
        dlq_url="https://sqs.us-east-1.amazonaws.com/123456789012/task-creator-dlq",
        mapping_file=Path("/opt/mapping.json"),
        idempotency_table="task-creator-ledger",
        idempotency_expiry=timedelta(days=30),
        max_parallel_calls=10,
        connect_calls_per_second=2.5,
        token_namespace="prod-eu",
        schedule_window=timedelta(hours=12),
        service_name="tasks",
        metrics_namespace="Acme/Tasks",
        tracing_enabled=True,
    )


@pytest.mark.parametrize("value", [None, "", "   "], ids=["unset", "empty", "blank"])
def test_missing_instance_id_is_an_error_naming_the_variable(value: str | None) -> None:
    environ = {} if value is None else {"CONNECT_INSTANCE_ID": value}

    with pytest.raises(SettingsError, match="CONNECT_INSTANCE_ID is required") as raised:
        Settings.from_environ(environ)

    assert isinstance(raised.value, ConfigurationError)


def test_blank_optional_variables_count_as_unset() -> None:
    settings = Settings.from_environ(
        {**MINIMAL, "DLQ_URL": "", "TOKEN_NAMESPACE": " ", "MAX_PARALLEL_CALLS": ""}
    )

    assert (settings.dlq_url, settings.token_namespace, settings.max_parallel_calls) == (
        None,
        "task-creator",
        5,
    )


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("MAX_PARALLEL_CALLS", "0", "MAX_PARALLEL_CALLS must be between 1 and 50, got '0'"),
        ("MAX_PARALLEL_CALLS", "51", "MAX_PARALLEL_CALLS must be between 1 and 50, got '51'"),
        ("MAX_PARALLEL_CALLS", "2.5", "MAX_PARALLEL_CALLS must be a whole number, got '2.5'"),
        ("MAX_PARALLEL_CALLS", "five", "MAX_PARALLEL_CALLS must be a whole number, got 'five'"),
        (
            "CONNECT_CALLS_PER_SECOND",
            "0",
            "CONNECT_CALLS_PER_SECOND must be between 0.001 and 10000, got '0'",
        ),
        ("CONNECT_CALLS_PER_SECOND", "fast", "CONNECT_CALLS_PER_SECOND must be a number, got 'fast'"),
        ("IDEMPOTENCY_EXPIRY_DAYS", "0", "IDEMPOTENCY_EXPIRY_DAYS must be between 1 and 3650, got '0'"),
        (
            "SCHEDULED_TIME_WINDOW_DAYS",
            "-1",
            "SCHEDULED_TIME_WINDOW_DAYS must be between 0.01 and 365, got '-1'",
        ),
        (
            "POWERTOOLS_TRACE_DISABLED",
            "maybe",
            "POWERTOOLS_TRACE_DISABLED must be true or false, got 'maybe'",
        ),
    ],
)
def test_invalid_value_is_an_error_naming_the_variable(name: str, value: str, expected: str) -> None:
    assert expected in settings_error(**{name: value})


def test_every_invalid_variable_is_reported_at_once() -> None:
    with pytest.raises(SettingsError) as raised:
        Settings.from_environ({"MAX_PARALLEL_CALLS": "0", "CONNECT_CALLS_PER_SECOND": "x"})

    for name in ("CONNECT_INSTANCE_ID", "MAX_PARALLEL_CALLS", "CONNECT_CALLS_PER_SECOND"):
        assert name in raised.value.message


@pytest.mark.parametrize(
    ("value", "enabled"),
    [("false", True), ("0", True), ("off", True), ("TRUE", False), ("1", False), ("yes", False)],
)
def test_tracing_follows_powertools_trace_disabled(value: str, enabled: bool) -> None:
    assert Settings.from_environ({**MINIMAL, "POWERTOOLS_TRACE_DISABLED": value}).tracing_enabled is enabled


RANGES = {
    "IDEMPOTENCY_EXPIRY_DAYS": "between 1 and 3650",
    "SCHEDULED_TIME_WINDOW_DAYS": "between 0.01 and 365",
    "CONNECT_CALLS_PER_SECOND": "between 0.001 and 10000",
}


@pytest.mark.parametrize("name", RANGES)
@pytest.mark.parametrize("value", ["nan", "inf", "-inf"])
def test_non_finite_number_is_an_out_of_range_error(name: str, value: str) -> None:
    assert f"{name} must be {RANGES[name]}, got '{value}'" in settings_error(**{name: value})


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("IDEMPOTENCY_EXPIRY_DAYS", "1e10"),
        ("IDEMPOTENCY_EXPIRY_DAYS", "3651"),
        ("SCHEDULED_TIME_WINDOW_DAYS", "366"),
        ("CONNECT_CALLS_PER_SECOND", "10001"),
    ],
)
def test_number_above_its_maximum_is_an_out_of_range_error(name: str, value: str) -> None:
    assert f"{name} must be {RANGES[name]}, got '{value}'" in settings_error(**{name: value})


def test_every_number_at_its_maximum_is_accepted() -> None:
    settings = Settings.from_environ(
        {
            **MINIMAL,
            "IDEMPOTENCY_EXPIRY_DAYS": "3650",
            "SCHEDULED_TIME_WINDOW_DAYS": "365",
            "CONNECT_CALLS_PER_SECOND": "10000",
            "MAX_PARALLEL_CALLS": "50",
        }
    )

    assert settings.idempotency_expiry == timedelta(days=3650)
    assert settings.schedule_window == timedelta(days=365)
    assert settings.connect_calls_per_second == 10_000
    assert settings.max_parallel_calls == 50


def test_retry_backoff_is_read_from_the_environment() -> None:
    settings = Settings.from_environ(
        {**MINIMAL, "RETRY_BASE_DELAY_SECONDS": "1", "RETRY_MAX_DELAY_SECONDS": "30"}
    )

    assert (settings.retry_base_delay_seconds, settings.retry_max_delay_seconds) == (1, 30)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("RETRY_BASE_DELAY_SECONDS", "0"),
        ("RETRY_BASE_DELAY_SECONDS", "1.5"),
        ("RETRY_MAX_DELAY_SECONDS", "43201"),
    ],
)
def test_retry_backoff_outside_its_range_is_an_error_naming_the_variable(name: str, value: str) -> None:
    assert name in settings_error(**{name: value})


def test_settings_error_lists_each_bad_variable_for_tools_to_read() -> None:
    with pytest.raises(SettingsError) as raised:
        Settings.from_environ({"MAX_PARALLEL_CALLS": "many", "CONNECT_CALLS_PER_SECOND": "nan"})

    assert sorted(raised.value.problems) == [
        "CONNECT_CALLS_PER_SECOND",
        "CONNECT_INSTANCE_ID",
        "MAX_PARALLEL_CALLS",
    ]
