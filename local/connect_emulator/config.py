"""What the emulator knows and how it misbehaves: frozen, validated once, readable from JSON.

`EmulatorConfig` is fixed for the emulator's life (known resources, quotas Connect documents, the
scheduling window). `FaultConfig` is the part tests and benchmarks change at runtime
(`ConnectEmulator.set_faults`, `PUT /_emulator/faults`); its JSON form is `FaultConfig.from_json`.
Its top-level latency, rate limit, error and lost-response rates apply to every operation;
`FaultConfig.operations` replaces any of them for one operation (`OperationFaults`).
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import MISSING, dataclass, field, fields
from datetime import timedelta
from types import MappingProxyType
from typing import Any

from local.connect_emulator.errors import LOST_RESPONSE_KINDS
from local.connect_emulator.operations import EMULATED_OPERATIONS, all_operation_errors, operation_errors


class ConfigError(ValueError):
    """A configuration value is invalid; the message names the field and what is allowed."""


@dataclass(frozen=True)
class FixedLatency:
    """Every call waits `seconds` before it is answered."""

    seconds: float = 0.0

    def __post_init__(self) -> None:
        _require_non_negative("latency.seconds", self.seconds)


@dataclass(frozen=True)
class UniformLatency:
    """Every call waits a uniformly drawn time between `min_seconds` and `max_seconds`."""

    min_seconds: float
    max_seconds: float

    def __post_init__(self) -> None:
        _require_non_negative("latency.min_seconds", self.min_seconds)
        _require_non_negative("latency.max_seconds", self.max_seconds)
        if self.max_seconds < self.min_seconds:
            raise ConfigError("latency.max_seconds must be at least latency.min_seconds")


@dataclass(frozen=True)
class LognormalLatency:
    """A long-tailed wait: log-normal with median `median_seconds` and shape `sigma`, capped."""

    median_seconds: float
    sigma: float
    max_seconds: float = 30.0

    def __post_init__(self) -> None:
        median = self.median_seconds
        if isinstance(median, bool) or not isinstance(median, int | float) or not 0 < median < math.inf:
            raise ConfigError("latency.median_seconds must be a positive number")
        _require_non_negative("latency.sigma", self.sigma)
        _require_non_negative("latency.max_seconds", self.max_seconds)


type Latency = FixedLatency | UniformLatency | LognormalLatency


@dataclass(frozen=True)
class RateLimit:
    """A token bucket: `requests_per_second` refill, room for `burst` calls at once."""

    requests_per_second: float
    burst: int

    def __post_init__(self) -> None:
        rate = self.requests_per_second
        if (
            isinstance(rate, bool)
            or not isinstance(rate, int | float)
            or not math.isfinite(rate)
            or rate <= 0
        ):
            raise ConfigError("rate_limit.requests_per_second must be a positive number")
        if isinstance(self.burst, bool) or not isinstance(self.burst, int) or self.burst < 1:
            raise ConfigError("rate_limit.burst must be an integer of at least 1")


@dataclass(frozen=True)
class OperationFaults:
    """The faults of one operation. A field left None takes the top-level setting of `FaultConfig`;
    a field given replaces it for this operation only (`error_rates={}` turns its errors off)."""

    latency: Latency | None = None
    rate_limit: RateLimit | None = None
    error_rates: Mapping[str, float] | None = None
    lost_response_rates: Mapping[str, float] | None = None

    def __post_init__(self) -> None:
        for name in ("error_rates", "lost_response_rates"):
            rates = getattr(self, name)
            if rates is not None:
                object.__setattr__(self, name, MappingProxyType(dict(rates)))

    def to_json(self) -> dict[str, Any]:
        """The settings given (the inherited ones are left out)."""
        document: dict[str, Any] = {}
        if self.latency is not None:
            document["latency"] = _latency_to_json(self.latency)
        if self.rate_limit is not None:
            document["rate_limit"] = _rate_limit_to_json(self.rate_limit)
        if self.error_rates is not None:
            document["error_rates"] = dict(self.error_rates)
        if self.lost_response_rates is not None:
            document["lost_response_rates"] = dict(self.lost_response_rates)
        return document


@dataclass(frozen=True)
class ResolvedFaults:
    """What one operation meets: its own settings where it has them, the top-level ones otherwise."""

    latency: Latency
    rate_limit: RateLimit | None
    error_rates: Mapping[str, float]
    lost_response_rates: Mapping[str, float]


_OPERATION_FAULT_KEYS = ("latency", "rate_limit", "error_rates", "lost_response_rates")


@dataclass(frozen=True)
class FaultConfig:
    """Injected misbehaviour. `error_rates` maps an error type to a probability; the draws are exclusive
    (one uniform number per call), so the rates must add up to at most 1. An operation meets only the
    error types it can answer with (its model's errors and ThrottlingException): for it, the draw of
    another type answers the call normally. `lost_response_rates` maps a way of losing the answer
    (`LOST_RESPONSE_KINDS`) to the probability that a call which took effect (a task created, a change
    applied) has its answer lost that way: the caller sees a 500 `InternalServiceException` or a
    connection closed before any response byte (`ConnectionDropped`); one draw per such call, so these
    add up to at most 1 too. `rate_limit` gives each operation a token bucket of its own, as Connect has
    a rate quota per API. `operations` replaces any of latency, rate_limit, error_rates and
    lost_response_rates for one operation (its error types must be ones it can answer with).
    `active_task_quota` applies to StartTaskContact. `seed` makes latency, error and lost-response
    draws reproducible (None: seeded from the OS); each operation has its own streams."""

    latency: Latency = field(default_factory=FixedLatency)
    rate_limit: RateLimit | None = None
    error_rates: Mapping[str, float] = field(default_factory=dict)
    lost_response_rates: Mapping[str, float] = field(default_factory=dict)
    active_task_quota: int | None = None
    seed: int | None = None
    operations: Mapping[str, OperationFaults] = field(default_factory=dict)

    def __post_init__(self) -> None:
        _validate_rates("error_rates", self.error_rates, all_operation_errors(), what="error type")
        _validate_rates("lost_response_rates", self.lost_response_rates, LOST_RESPONSE_KINDS, what="kind")
        object.__setattr__(self, "error_rates", MappingProxyType(dict(self.error_rates)))
        object.__setattr__(self, "lost_response_rates", MappingProxyType(dict(self.lost_response_rates)))
        quota = self.active_task_quota
        if quota is not None and (isinstance(quota, bool) or not isinstance(quota, int) or quota < 0):
            raise ConfigError("active_task_quota must be a non-negative integer or null")
        if self.seed is not None and (isinstance(self.seed, bool) or not isinstance(self.seed, int)):
            raise ConfigError("seed must be an integer or null")
        for operation, faults in self.operations.items():
            _validate_operation_faults(operation, faults)
        object.__setattr__(self, "operations", MappingProxyType(dict(self.operations)))

    def for_operation(self, operation: str) -> ResolvedFaults:
        own = self.operations.get(operation, OperationFaults())
        return ResolvedFaults(
            latency=self.latency if own.latency is None else own.latency,
            rate_limit=self.rate_limit if own.rate_limit is None else own.rate_limit,
            error_rates=self.error_rates if own.error_rates is None else own.error_rates,
            lost_response_rates=(
                self.lost_response_rates if own.lost_response_rates is None else own.lost_response_rates
            ),
        )

    @classmethod
    def from_json(cls, document: Mapping[str, Any]) -> FaultConfig:
        """Read the JSON form; omitted keys take their defaults (no latency, no limits, no errors).
        Every ConfigError names the setting (``rate_limit.burst is required``)."""
        if not isinstance(document, Mapping):
            raise ConfigError("the fault settings must be a JSON object")
        _reject_unknown(
            "fault settings",
            document,
            (
                "latency",
                "rate_limit",
                "error_rates",
                "lost_response_rates",
                "active_task_quota",
                "seed",
                "operations",
            ),
        )
        try:
            return cls(
                latency=_latency_from_json(document.get("latency")),
                rate_limit=_rate_limit_from_json("rate_limit", document.get("rate_limit")),
                error_rates=_rates_from_json("error_rates", document.get("error_rates"), "error type"),
                lost_response_rates=_rates_from_json(
                    "lost_response_rates", document.get("lost_response_rates"), "kind"
                ),
                active_task_quota=document.get("active_task_quota"),
                seed=document.get("seed"),
                operations=_operations_from_json(document.get("operations")),
            )
        except TypeError as error:
            raise ConfigError(f"invalid fault settings: {error}") from error

    def to_json(self) -> dict[str, Any]:
        """The JSON form `from_json` reads back (`operations` only when some operation has its own)."""
        document: dict[str, Any] = {
            "latency": _latency_to_json(self.latency),
            "rate_limit": None if self.rate_limit is None else _rate_limit_to_json(self.rate_limit),
            "error_rates": dict(self.error_rates),
            "lost_response_rates": dict(self.lost_response_rates),
            "active_task_quota": self.active_task_quota,
            "seed": self.seed,
        }
        if self.operations:
            document["operations"] = {name: faults.to_json() for name, faults in self.operations.items()}
        return document


def _validate_operation_faults(operation: str, faults: OperationFaults) -> None:
    if operation not in EMULATED_OPERATIONS:
        close = difflib.get_close_matches(str(operation), EMULATED_OPERATIONS, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise ConfigError(
            f"operations: unknown operation {operation!r}{hint}; known: {', '.join(EMULATED_OPERATIONS)}"
        )
    if not isinstance(faults, OperationFaults):
        raise ConfigError(f"operations.{operation} must be an OperationFaults")
    if faults.error_rates is not None:
        _validate_rates(
            f"operations.{operation}.error_rates",
            faults.error_rates,
            operation_errors(operation),
            what="error type",
        )
    if faults.lost_response_rates is not None:
        _validate_rates(
            f"operations.{operation}.lost_response_rates",
            faults.lost_response_rates,
            LOST_RESPONSE_KINDS,
            what="kind",
        )


def _operations_from_json(document: object) -> dict[str, OperationFaults]:
    if document is None:
        return {}
    operations = _object("operations", document)
    _reject_unknown("operations", operations, EMULATED_OPERATIONS)
    parsed: dict[str, OperationFaults] = {}
    for name, settings in operations.items():
        where = f"operations.{name}"
        entry = _object(where, settings)
        _reject_unknown(where, entry, _OPERATION_FAULT_KEYS)
        parsed[name] = OperationFaults(
            latency=None
            if entry.get("latency") is None
            else _latency_from_json(entry["latency"], name=f"{where}.latency"),
            rate_limit=_rate_limit_from_json(f"{where}.rate_limit", entry.get("rate_limit")),
            error_rates=None
            if "error_rates" not in entry
            else _rates_from_json(f"{where}.error_rates", entry["error_rates"], "error type"),
            lost_response_rates=None
            if "lost_response_rates" not in entry
            else _rates_from_json(f"{where}.lost_response_rates", entry["lost_response_rates"], "kind"),
        )
    return parsed


def _rates_from_json(name: str, document: object, what: str) -> dict[str, float]:
    rates = document or {}
    if not isinstance(rates, Mapping):
        raise ConfigError(f"{name} must be an object of {what} to probability")
    return dict(rates)


def _rate_limit_from_json(name: str, document: object) -> RateLimit | None:
    if document is None:
        return None
    return RateLimit(**_fields(name, document, RateLimit))


def _rate_limit_to_json(limit: RateLimit) -> dict[str, Any]:
    return {"requests_per_second": limit.requests_per_second, "burst": limit.burst}


@dataclass(frozen=True)
class EmulatorConfig:
    """The Connect the emulator pretends to be. A `*_ids` set lists the resources that exist (None:
    any id exists). Quotas default to Connect's documented values. `account_id` goes into the ARNs
    DescribeContact answers with (the region is the one the call was signed for)."""

    instance_ids: AbstractSet[str] | None = None
    contact_flow_ids: AbstractSet[str] | None = None
    task_template_ids: AbstractSet[str] | None = None
    quick_connect_ids: AbstractSet[str] | None = None
    max_linked_tasks: int = 12
    scheduled_time_max_ahead: timedelta = timedelta(days=6)
    clock_skew_tolerance: timedelta = timedelta(seconds=60)
    faults: FaultConfig = field(default_factory=FaultConfig)
    account_id: str = "123456789012"

    def __post_init__(self) -> None:
        for name in ("instance_ids", "contact_flow_ids", "task_template_ids", "quick_connect_ids"):
            ids = getattr(self, name)
            if ids is not None:
                object.__setattr__(self, name, frozenset(ids))
        if self.max_linked_tasks < 1:
            raise ConfigError("max_linked_tasks must be at least 1")
        if self.scheduled_time_max_ahead <= timedelta(0):
            raise ConfigError("scheduled_time_max_ahead must be positive")
        if self.clock_skew_tolerance < timedelta(0):
            raise ConfigError("clock_skew_tolerance must not be negative")


def _latency_from_json(document: object, *, name: str = "latency") -> Latency:
    if document is None:
        return FixedLatency()
    settings = dict(_object(name, document))
    kind = settings.pop("kind", "fixed")
    kinds: dict[object, type[Latency]] = {
        "fixed": FixedLatency,
        "uniform": UniformLatency,
        "lognormal": LognormalLatency,
    }
    latency_class = kinds.get(kind) if isinstance(kind, str) else None
    if latency_class is None:
        raise ConfigError(f"{name}.kind must be one of fixed, uniform, lognormal")
    return latency_class(**_fields(f"{name} ({kind})", settings, latency_class, prefix=name))


def _latency_to_json(latency: Latency) -> dict[str, Any]:
    if isinstance(latency, FixedLatency):
        return {"kind": "fixed", "seconds": latency.seconds}
    if isinstance(latency, UniformLatency):
        return {"kind": "uniform", "min_seconds": latency.min_seconds, "max_seconds": latency.max_seconds}
    return {
        "kind": "lognormal",
        "median_seconds": latency.median_seconds,
        "sigma": latency.sigma,
        "max_seconds": latency.max_seconds,
    }


def _validate_rates(name: str, rates: Mapping[str, float], allowed: AbstractSet[str], *, what: str) -> None:
    """Each key one of `allowed`, each value a probability, and all of them together at most 1."""
    for key, rate in rates.items():
        if key not in allowed:
            raise ConfigError(f"{name}: unknown {what} {key!r}; use one of {', '.join(sorted(allowed))}")
        if isinstance(rate, bool) or not isinstance(rate, int | float) or not 0 <= rate <= 1:
            raise ConfigError(f"{name}.{key} must be a probability between 0 and 1")
    if sum(rates.values()) > 1 + 1e-9:
        raise ConfigError(f"{name} must add up to at most 1 (one draw decides each call)")


def _fields(name: str, value: object, settings_class: type, *, prefix: str | None = None) -> dict[str, Any]:
    """The object's fields for `settings_class`, checked: none unknown, every required one present.
    `name` is the object in messages; `prefix` (default `name`) what field names are prefixed with."""
    document = dict(_object(name, value))
    known = [item.name for item in fields(settings_class)]
    _reject_unknown(name, document, known)
    required = [
        item.name
        for item in fields(settings_class)
        if item.default is MISSING and item.default_factory is MISSING
    ]
    missing = [f"{prefix or name}.{key}" for key in required if key not in document]
    if missing:
        raise ConfigError(f"{', '.join(missing)} {'is' if len(missing) == 1 else 'are'} required")
    return document


def _reject_unknown(name: str, document: Mapping[str, Any], known: Sequence[str]) -> None:
    """A ConfigError for the first unknown key, suggesting the nearest known one."""
    for key in document:
        if key not in known:
            close = difflib.get_close_matches(str(key), known, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise ConfigError(f"{name}: unknown setting {key!r}{hint}; known: {', '.join(known)}")


def _object(name: str, value: object) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise ConfigError(f"{name} must be an object")
    return value


def _require_non_negative(name: str, value: float) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or value < 0:
        raise ConfigError(f"{name} must be a non-negative number")
