"""Deployment settings: read from CDK context once, validated, with errors that say how to fix them.

``TaskCreatorConfig.from_context(get)`` takes any ``get(key) -> value | None`` (``node.try_get_context``
in the CDK app, ``dict.get`` in the offline runtime and the tests), so every consumer parses the same
keys the same way. Values given on the command line (``-c key=value``) arrive as strings; values from
``cdk.json`` arrive as JSON types: both are accepted.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from infra.paths import REPO_ROOT
from infra.stack_values import MAX_ARCHIVE_DAYS, MAX_ATTEMPT_BUDGET

ContextGetter = Callable[[str], Any]

DEFAULT_STACK_NAME = "TaskCreator"
DEFAULT_MAPPING_FILE = "lambda/mapping.json"
DEFAULT_BUS_NAME = "default"
# Amazon Connect's documented default quota for StartTaskContact (and most of its APIs): 2 requests per
# second (burst 5) per account and Region. A stack may use this much unless told its share.
DEFAULT_CONNECT_REQUESTS_PER_SECOND = 2.0

_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_RESOURCE_ID = re.compile(r"^[A-Za-z0-9_-]{1,500}$")
_BUS_NAME = re.compile(r"^[/.\-_A-Za-z0-9]{1,256}$")
# The longest queue name is "<stack>-ingest.fifo", and SQS allows 80 characters.
_STACK_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9-]{0,59}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_PRINCIPAL_ARN = re.compile(r"^arn:aws[a-z-]*:(iam|sts)::\d{12}:\S+$")
_LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
# EventBridge reserves sources starting with "aws." for AWS services (PutEvents refuses them) and takes
# at most 256 characters.
_RESERVED_SOURCE_PREFIX = "aws."
_MAX_SOURCE_CHARS = 256
_TRUE = ("true", "1", "yes")
_FALSE = ("false", "0", "no")


class DeploymentConfigError(ValueError):
    """The CDK context is missing a value or holds an invalid one; the message lists every problem."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = list(problems)
        listing = "\n".join(f"  - {problem}" for problem in self.problems)
        super().__init__(f"invalid Task Creator deployment settings:\n{listing}")


@dataclass(frozen=True)
class TaskCreatorConfig:
    """Everything the stack needs to know about one deployment."""

    connect_instance_id: str
    contact_flow_id: str | None = None
    mapping_file: Path = REPO_ROOT / DEFAULT_MAPPING_FILE
    stack_name: str = DEFAULT_STACK_NAME
    event_bus_name: str = DEFAULT_BUS_NAME
    create_event_bus: bool = False
    fifo: bool = False
    batch_size: int = 10
    max_batching_window_seconds: int = 0
    max_concurrency: int = 2
    max_parallel_calls: int = 5
    connect_requests_per_second: float = DEFAULT_CONNECT_REQUESTS_PER_SECOND  # the stack's share of the quota
    connect_calls_per_second: float | None = None  # an explicit per-container rate (overrides the share)
    max_receive_count: int = 5  # the function's attempt budget (MAX_RECEIVE_COUNT)
    idempotency: bool = True
    alarm_email: str | None = None
    producer_principals: tuple[str, ...] = ()
    token_namespace: str = DEFAULT_STACK_NAME
    log_level: str = "INFO"
    tracing: bool = True
    outcome_events: bool = True
    outcome_event_bus_name: str = DEFAULT_BUS_NAME  # from_context: the ingest bus unless named
    outcome_source: str = f"{DEFAULT_STACK_NAME}.outcomes"  # from_context: "<stackName>.outcomes"
    archive_days: int = 7  # 0: no archive

    @classmethod
    def from_context(cls, get: ContextGetter, *, base_dir: Path = REPO_ROOT) -> TaskCreatorConfig:
        """Parse and validate every setting; raise DeploymentConfigError listing every problem."""
        reader = _ContextReader(get)
        stack_name = reader.text(
            "stackName",
            DEFAULT_STACK_NAME,
            _STACK_NAME,
            "1-60 letters, digits and '-', starting with a letter",
        )
        create_event_bus = reader.boolean("createEventBus", False)
        default_bus = f"{stack_name}-events" if create_event_bus else DEFAULT_BUS_NAME
        fifo = reader.boolean("fifo", False)
        batch_size = reader.integer("batchSize", 10, 1, 10 if fifo else 10_000)
        window = reader.integer("maxBatchingWindowSeconds", 0, 0, 300)
        event_bus_name = reader.text("eventBusName", default_bus, _BUS_NAME, "an EventBridge bus name")
        config = cls(
            connect_instance_id=reader.connect_instance_id(),
            contact_flow_id=reader.optional_text("contactFlowId", _RESOURCE_ID, "the flow's ID"),
            mapping_file=_resolve(reader.text("mappingFile", DEFAULT_MAPPING_FILE), base_dir),
            stack_name=stack_name,
            event_bus_name=event_bus_name,
            create_event_bus=create_event_bus,
            fifo=fifo,
            batch_size=batch_size,
            max_batching_window_seconds=window,
            max_concurrency=reader.integer("maxConcurrency", 2, 2, 1000),
            max_parallel_calls=reader.integer("maxParallelCalls", 5, 1, 50),
            connect_requests_per_second=reader.optional_number("connectRequestsPerSecond")
            or DEFAULT_CONNECT_REQUESTS_PER_SECOND,
            connect_calls_per_second=reader.optional_number("connectCallsPerSecond"),
            max_receive_count=reader.integer("maxReceiveCount", 5, 1, MAX_ATTEMPT_BUDGET),
            idempotency=reader.boolean("idempotency", True),
            alarm_email=reader.optional_text("alarmEmail", _EMAIL, "an e-mail address"),
            producer_principals=reader.principal_arns("producerPrincipals"),
            token_namespace=reader.text("tokenNamespace", stack_name),
            log_level=reader.choice("logLevel", "INFO", _LOG_LEVELS),
            tracing=reader.boolean("tracing", True),
            outcome_events=reader.boolean("outcomeEvents", True),
            outcome_event_bus_name=reader.text(
                "outcomeEventBus", event_bus_name, _BUS_NAME, "an EventBridge bus name"
            ),
            outcome_source=reader.outcome_source(f"{stack_name}.outcomes"),
            archive_days=reader.integer("archiveDays", 7, 0, MAX_ARCHIVE_DAYS),
        )
        if fifo and window > 0:
            reader.problems.append(
                "maxBatchingWindowSeconds is not supported with fifo=true (Lambda's SQS FIFO event source "
                "has no batching window): leave it out"
            )
        if batch_size > 10 and window < 1:
            reader.problems.append(
                "batchSize above 10 needs a batching window: pass -c maxBatchingWindowSeconds=1 (or more)"
            )
        if create_event_bus and config.event_bus_name == DEFAULT_BUS_NAME:
            reader.problems.append(
                "createEventBus=true needs a bus name other than 'default' (-c eventBusName=...)"
            )
        if reader.problems:
            raise DeploymentConfigError(reader.problems)
        return config

    @property
    def containers(self) -> int:
        """How many function containers can run at once: ``maxConcurrency`` per event source (the
        standard ingest queue, and the FIFO one with ``fifo``)."""
        return self.max_concurrency * (2 if self.fifo else 1)

    @property
    def container_calls_per_second(self) -> float:
        """Each container's share of ``connectRequestsPerSecond`` (CONNECT_CALLS_PER_SECOND), unless
        ``connectCallsPerSecond`` sets it explicitly."""
        if self.connect_calls_per_second is not None:
            return self.connect_calls_per_second
        return self.connect_requests_per_second / self.containers

    @property
    def uses_default_bus(self) -> bool:
        return not self.create_event_bus and self.event_bus_name == DEFAULT_BUS_NAME

    @property
    def published_outcome_source(self) -> str | None:
        """The source of the outcome events the function publishes; None with ``outcomeEvents=false``.
        The bus rules never forward it (``infra.event_pattern.plan_bus_rules(outcome_source=...)``)."""
        return self.outcome_source if self.outcome_events else None

    @property
    def outcomes_on_ingest_bus(self) -> bool:
        """The function publishes its outcome events on the bus its own rules listen on."""
        return self.outcome_events and self.outcome_event_bus_name == self.event_bus_name


def _resolve(path: str, base_dir: Path) -> Path:
    candidate = Path(path)
    return candidate if candidate.is_absolute() else (base_dir / candidate).resolve()


class _ContextReader:
    """Reads one key at a time, converting CLI strings, and collects every problem instead of raising."""

    def __init__(self, get: ContextGetter) -> None:
        self._get = get
        self.problems: list[str] = []

    def _raw(self, key: str) -> Any:
        value = self._get(key)
        return None if value is None or (isinstance(value, str) and not value.strip()) else value

    def _problem(self, key: str, expected: str, value: Any) -> None:
        self.problems.append(f"{key} must be {expected}, got {value!r} (pass -c {key}=...)")

    def connect_instance_id(self) -> str:
        value = self._raw("connectInstanceId")
        if value is None:
            self.problems.append(
                "connectInstanceId is required: pass -c connectInstanceId=<your Amazon Connect instance ID> "
                "(the UUID at the end of the instance ARN), or set it under 'context' in cdk.json"
            )
            return ""
        if not isinstance(value, str) or not _UUID.match(value.strip()):
            self._problem(
                "connectInstanceId", "the instance ID (the UUID at the end of the instance ARN)", value
            )
            return ""
        return value.strip()

    def text(self, key: str, default: str, pattern: re.Pattern[str] | None = None, what: str = "") -> str:
        value = self._raw(key)
        if value is None:
            return default
        if not isinstance(value, str) or (pattern is not None and not pattern.match(value.strip())):
            self._problem(key, what or "a string", value)
            return default
        return value.strip()

    def optional_text(self, key: str, pattern: re.Pattern[str], what: str) -> str | None:
        value = self._raw(key)
        if value is None:
            return None
        if not isinstance(value, str) or not pattern.match(value.strip()):
            self._problem(key, what, value)
            return None
        return value.strip()

    def outcome_source(self, default: str) -> str:
        value = self._raw("outcomeSource")
        if value is None:
            return default
        text = value.strip() if isinstance(value, str) else ""
        if text.startswith(_RESERVED_SOURCE_PREFIX) or not 0 < len(text) <= _MAX_SOURCE_CHARS:
            shown = f"{text[:40]}... ({len(text)} characters)" if len(text) > 60 else value
            self.problems.append(
                f"outcomeSource must be an EventBridge source of 1-{_MAX_SOURCE_CHARS} characters not "
                f"starting with {_RESERVED_SOURCE_PREFIX!r} (reserved for AWS services), got {shown!r}: pass "
                f"-c outcomeSource=<your own source, e.g. {default}>, or leave it out for that default"
            )
            return default
        return text

    def choice(self, key: str, default: str, choices: tuple[str, ...]) -> str:
        value = self._raw(key)
        if value is None:
            return default
        if not isinstance(value, str) or value.strip().upper() not in choices:
            self._problem(key, f"one of {', '.join(choices)}", value)
            return default
        return value.strip().upper()

    def boolean(self, key: str, default: bool) -> bool:
        value = self._raw(key)
        if value is None:
            return default
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in _TRUE + _FALSE:
            return value.strip().lower() in _TRUE
        self._problem(key, "true or false", value)
        return default

    def integer(self, key: str, default: int, minimum: int, maximum: int) -> int:
        value = self._raw(key)
        if value is None:
            return default
        number = _as_number(value)
        if number is None or number != int(number) or not minimum <= number <= maximum:
            self._problem(key, f"a whole number from {minimum} to {maximum}", value)
            return default
        return int(number)

    def optional_number(self, key: str) -> float | None:
        value = self._raw(key)
        if value is None:
            return None
        number = _as_number(value)
        if number is None or number <= 0:
            self._problem(key, "a positive number", value)
            return None
        return number

    def principal_arns(self, key: str) -> tuple[str, ...]:
        value = self._raw(key)
        if value is None:
            return ()
        items = value.split(",") if isinstance(value, str) else value
        if not isinstance(items, list | tuple) or not all(isinstance(item, str) for item in items):
            self._problem(key, "a list of IAM principal ARNs (or one comma-separated string)", value)
            return ()
        arns = tuple(dict.fromkeys(item.strip() for item in items if item.strip()))
        for arn in arns:
            if not _PRINCIPAL_ARN.match(arn):
                self._problem(key, "IAM principal ARNs (arn:aws:iam::<account>:role/...)", arn)
        return arns


def _as_number(value: Any) -> float | None:
    """A finite number from a JSON number or a command-line string; None for anything else."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        number = float(value.strip() if isinstance(value, str) else value)
    except ValueError:
        return None
    return number if math.isfinite(number) else None
