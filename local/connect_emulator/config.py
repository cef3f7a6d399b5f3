"""What the emulator knows and how it misbehaves: frozen, validated once, readable from JSON.

`EmulatorConfig` is fixed for the emulator's life (known resources, quotas Connect documents, the
scheduling window). `FaultConfig` is the part tests and benchmarks change at runtime
(`ConnectEmulator.set_faults`, `PUT /_emulator/faults`); its JSON form is `FaultConfig.from_json`.
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

from local.connect_emulator.errors import LOST_RESPONSE_KINDS, MODELLED_ERRORS


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
class FaultConfig:
    """Injected misbehaviour. `error_rates` maps a StartTaskContact error type to a probability; the
    draws are exclusive (one uniform number per call), so the rates must add up to at most 1.
    `lost_response_rates` maps a way of losing the answer (`LOST_RESPONSE_KINDS`) to the probability
    that a call which created a task has its answer lost that way: the task exists and keeps its
    ClientToken, the caller sees a 500 `InternalServiceException` or a connection closed before any
    response byte (`ConnectionDropped`); one draw per created task, so these add up to at most 1 too.
    `seed` makes latency, error and lost-response draws reproducible (None: seeded from the OS)."""

    latency: Latency = field(default_factory=FixedLatency)
    rate_limit: RateLimit | None = None
    error_rates: Mapping[str, float] = field(default_factory=dict)
    lost_response_rates: Mapping[str, float] = field(default_factory=dict)
    active_task_quota: int | None = None
    seed: int | None = None

    def __post_init__(self) -> None:
        _validate_rates("error_rates", self.error_rates, MODELLED_ERRORS, what="error type")
        _validate_rates("lost_response_rates", self.lost_response_rates, LOST_RESPONSE_KINDS, what="kind")
        object.__setattr__(self, "error_rates", MappingProxyType(dict(self.error_rates)))
        object.__setattr__(self, "lost_response_rates", MappingProxyType(dict(self.lost_response_rates)))
        quota = self.active_task_quota
        if quota is not None and (isinstance(quota, bool) or not isinstance(quota, int) or quota < 0):
            raise ConfigError("active_task_quota must be a non-negative integer or null")
        if self.seed is not None and (isinstance(self.seed, bool) or not isinstance(self.seed, int)):
            raise ConfigError("seed must be an integer or null")

    @classmethod
    def from_json(cls, document: Mapping[str, Any]) -> FaultConfig:
        """Read the JSON form; omitted keys take their defaults (no latency, no limits, no errors).
        Every ConfigError names the setting (``rate_limit.burst is required``)."""
        if not isinstance(document, Mapping):
            raise ConfigError("the fault settings must be a JSON object")
        _reject_unknown(
            "fault settings",
            document,
            ("latency", "rate_limit", "error_rates", "lost_response_rates", "active_task_quota", "seed"),
        )
        rate_limit = document.get("rate_limit")
        error_rates = document.get("error_rates") or {}
        if not isinstance(error_rates, Mapping):
            raise ConfigError("error_rates must be an object of error type to probability")
        lost_response_rates = document.get("lost_response_rates") or {}
        if not isinstance(lost_response_rates, Mapping):
            raise ConfigError("lost_response_rates must be an object of kind to probability")
        try:
            return cls(
                latency=_latency_from_json(document.get("latency")),
                rate_limit=None
                if rate_limit is None
                else RateLimit(**_fields("rate_limit", rate_limit, RateLimit)),
                error_rates=dict(error_rates),
                lost_response_rates=dict(lost_response_rates),
                active_task_quota=document.get("active_task_quota"),
                seed=document.get("seed"),
            )
        except TypeError as error:
            raise ConfigError(f"invalid fault settings: {error}") from error

    def to_json(self) -> dict[str, Any]:
        """The JSON form `from_json` reads back."""
        return {
            "latency": _latency_to_json(self.latency),
            "rate_limit": None
            if self.rate_limit is None
            else {"requests_per_second": self.rate_limit.requests_per_second, "burst": self.rate_limit.burst},
            "error_rates": dict(self.error_rates),
            "lost_response_rates": dict(self.lost_response_rates),
            "active_task_quota": self.active_task_quota,
            "seed": self.seed,
        }


@dataclass(frozen=True)
class EmulatorConfig:
    """The Connect the emulator pretends to be. A `*_ids` set lists the resources that exist (None:
    any id exists). Quotas default to Connect's documented values."""

    instance_ids: AbstractSet[str] | None = None
    contact_flow_ids: AbstractSet[str] | None = None
    task_template_ids: AbstractSet[str] | None = None
    quick_connect_ids: AbstractSet[str] | None = None
    max_linked_tasks: int = 12
    scheduled_time_max_ahead: timedelta = timedelta(days=6)
    clock_skew_tolerance: timedelta = timedelta(seconds=60)
    faults: FaultConfig = field(default_factory=FaultConfig)

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


def _latency_from_json(document: object) -> Latency:
    if document is None:
        return FixedLatency()
    settings = dict(_object("latency", document))
    kind = settings.pop("kind", "fixed")
    kinds: dict[object, type[Latency]] = {
        "fixed": FixedLatency,
        "uniform": UniformLatency,
        "lognormal": LognormalLatency,
    }
    latency_class = kinds.get(kind) if isinstance(kind, str) else None
    if latency_class is None:
        raise ConfigError("latency.kind must be one of fixed, uniform, lognormal")
    return latency_class(**_fields(f"latency ({kind})", settings, latency_class, prefix="latency"))


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


def _validate_rates(
    name: str, rates: Mapping[str, float], allowed: AbstractSet[str] | Mapping[str, object], *, what: str
) -> None:
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
