"""Environment settings, parsed and validated once at cold start; every error names the variable."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from task_creator.backoff import BASE_DELAY_SECONDS, MAX_DELAY_SECONDS
from task_creator.errors import SettingsError
from task_creator.mapping.schedule import DEFAULT_SCHEDULE_WINDOW

if TYPE_CHECKING:
    from task_creator.mapping.rules import TaskMapping

BUNDLED_MAPPING_FILE = Path(__file__).resolve().parent.parent / "mapping.json"
DEFAULT_TOKEN_NAMESPACE = "task-creator"
DEFAULT_SERVICE_NAME = "task-creator"
DEFAULT_METRICS_NAMESPACE = "TaskCreator"
DEFAULT_IDEMPOTENCY_EXPIRY_DAYS = 14
DEFAULT_MAX_PARALLEL_CALLS = 5
DEFAULT_MAX_RECEIVE_COUNT = 5
DEFAULT_OUTCOME_SOURCE = "task-creator.outcomes"
OUTCOME_SOURCE_MAX_CHARS = 256  # PutEventsRequestEntry.Source


@dataclass(frozen=True)
class Settings:
    connect_instance_id: str
    contact_flow_id: str | None = None
    dlq_url: str | None = None
    fifo_dlq_url: str | None = None
    mapping_file: Path = BUNDLED_MAPPING_FILE
    idempotency_table: str | None = None
    idempotency_expiry: timedelta = timedelta(days=DEFAULT_IDEMPOTENCY_EXPIRY_DAYS)
    max_parallel_calls: int = DEFAULT_MAX_PARALLEL_CALLS
    connect_calls_per_second: float | None = None
    token_namespace: str = DEFAULT_TOKEN_NAMESPACE
    schedule_window: timedelta = DEFAULT_SCHEDULE_WINDOW
    retry_base_delay_seconds: int = BASE_DELAY_SECONDS
    retry_max_delay_seconds: int = MAX_DELAY_SECONDS
    max_receive_count: int = DEFAULT_MAX_RECEIVE_COUNT
    service_name: str = DEFAULT_SERVICE_NAME
    metrics_namespace: str = DEFAULT_METRICS_NAMESPACE
    tracing_enabled: bool = False
    outcome_event_bus: str | None = None
    outcome_source: str = DEFAULT_OUTCOME_SOURCE

    def check_mapping(self, mapping: TaskMapping) -> None:
        """Raise SettingsError when these settings cannot serve ``mapping``: lifecycle rules (a taskKey,
        or action update/reschedule/complete) keep their task registry in the ledger table."""
        if mapping.has_lifecycle_rules and not self.idempotency_table:
            raise SettingsError(
                {
                    "IDEMPOTENCY_TABLE": "IDEMPOTENCY_TABLE is required: the mapping has lifecycle rules"
                    " (taskKey, or action update/reschedule/complete), whose task registry is the ledger"
                    " table"
                }
            )

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> Settings:
        """Read every setting; raise SettingsError listing each bad variable and how to fix it."""
        reader = _Reader(environ)
        settings = cls(
            connect_instance_id=reader.required(
                "CONNECT_INSTANCE_ID", "the Amazon Connect instance id (a UUID)"
            ),
            contact_flow_id=reader.optional("CONNECT_CONTACT_FLOW_ID"),
            dlq_url=reader.optional("DLQ_URL"),
            fifo_dlq_url=reader.optional("FIFO_DLQ_URL"),
            mapping_file=Path(reader.optional("MAPPING_FILE") or BUNDLED_MAPPING_FILE),
            idempotency_table=reader.optional("IDEMPOTENCY_TABLE"),
            idempotency_expiry=timedelta(
                days=reader.number(
                    "IDEMPOTENCY_EXPIRY_DAYS", DEFAULT_IDEMPOTENCY_EXPIRY_DAYS, minimum=1, maximum=3650
                )
            ),
            max_parallel_calls=int(
                reader.number(
                    "MAX_PARALLEL_CALLS", DEFAULT_MAX_PARALLEL_CALLS, minimum=1, maximum=50, integer=True
                )
            ),
            connect_calls_per_second=reader.optional_number(
                "CONNECT_CALLS_PER_SECOND", minimum=0.001, maximum=10_000
            ),
            token_namespace=reader.optional("TOKEN_NAMESPACE") or DEFAULT_TOKEN_NAMESPACE,
            schedule_window=timedelta(
                days=reader.number(
                    "SCHEDULED_TIME_WINDOW_DAYS", DEFAULT_SCHEDULE_WINDOW.days, minimum=0.01, maximum=365
                )
            ),
            retry_base_delay_seconds=int(
                reader.number(
                    "RETRY_BASE_DELAY_SECONDS", BASE_DELAY_SECONDS, minimum=1, maximum=900, integer=True
                )
            ),
            retry_max_delay_seconds=int(
                reader.number(
                    "RETRY_MAX_DELAY_SECONDS", MAX_DELAY_SECONDS, minimum=1, maximum=43_200, integer=True
                )
            ),
            max_receive_count=int(
                reader.number(
                    "MAX_RECEIVE_COUNT", DEFAULT_MAX_RECEIVE_COUNT, minimum=1, maximum=1000, integer=True
                )
            ),
            service_name=reader.optional("POWERTOOLS_SERVICE_NAME") or DEFAULT_SERVICE_NAME,
            metrics_namespace=reader.optional("POWERTOOLS_METRICS_NAMESPACE") or DEFAULT_METRICS_NAMESPACE,
            tracing_enabled=not reader.flag("POWERTOOLS_TRACE_DISABLED", default=True),
            outcome_event_bus=reader.optional("OUTCOME_EVENT_BUS"),
            outcome_source=reader.event_source("OUTCOME_SOURCE", DEFAULT_OUTCOME_SOURCE),
        )
        reader.raise_if_invalid()
        return settings


class _Reader:
    def __init__(self, environ: Mapping[str, str]) -> None:
        self._environ = environ
        self._problems: dict[str, str] = {}

    def optional(self, name: str) -> str | None:
        value = self._environ.get(name, "").strip()
        return value or None

    def required(self, name: str, meaning: str) -> str:
        value = self.optional(name)
        if value is None:
            self._problems[name] = f"{name} is required: set it to {meaning}"
            return ""
        return value

    def number(
        self,
        name: str,
        default: float,
        *,
        minimum: float,
        maximum: float | None = None,
        integer: bool = False,
    ) -> float:
        value = self.optional_number(name, minimum=minimum, maximum=maximum, integer=integer)
        return default if value is None else value

    def optional_number(
        self, name: str, *, minimum: float, maximum: float | None = None, integer: bool = False
    ) -> float | None:
        text = self.optional(name)
        if text is None:
            return None
        try:
            value = int(text) if integer else float(text)
        except ValueError:
            kind = "a whole number" if integer else "a number"
            self._problems[name] = f"{name} must be {kind}, got {text!r}"
            return None
        if not math.isfinite(value) or value < minimum or (maximum is not None and value > maximum):
            bounds = f">= {minimum}" if maximum is None else f"between {minimum} and {maximum}"
            self._problems[name] = f"{name} must be {bounds}, got {text!r}"
            return None
        return value

    def event_source(self, name: str, default: str) -> str:
        """An EventBridge ``source`` the function may publish: 1-256 characters, not ``aws.``-prefixed."""
        text = self.optional(name)
        if text is None:
            return default
        if len(text) > OUTCOME_SOURCE_MAX_CHARS or text.startswith("aws."):
            self._problems[name] = (
                f"{name} must be at most {OUTCOME_SOURCE_MAX_CHARS} characters and not start with 'aws.'"
                f" (reserved for AWS services), got {text[:40]!r}"
            )
            return default
        return text

    def flag(self, name: str, *, default: bool) -> bool:
        text = self.optional(name)
        if text is None:
            return default
        if text.lower() in {"1", "true", "yes", "on"}:
            return True
        if text.lower() in {"0", "false", "no", "off"}:
            return False
        self._problems[name] = f"{name} must be true or false, got {text!r}"
        return default

    def raise_if_invalid(self) -> None:
        if self._problems:
            raise SettingsError(self._problems)
