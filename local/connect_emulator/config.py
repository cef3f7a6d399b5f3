"""What the emulator knows and how it misbehaves: frozen, validated once, readable from JSON.

`EmulatorConfig` is fixed for the emulator's life (known resources, quotas Connect documents, the
scheduling window). `FaultConfig` is the part tests and benchmarks change at runtime
(`ConnectEmulator.set_faults`, `PUT /_emulator/faults`); its JSON form is `FaultConfig.from_json`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from datetime import timedelta
from types import MappingProxyType
from typing import Any

from local.connect_emulator.errors import MODELLED_ERRORS


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
        if not math.isfinite(self.median_seconds) or self.median_seconds <= 0:
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
        if not math.isfinite(self.requests_per_second) or self.requests_per_second <= 0:
            raise ConfigError("rate_limit.requests_per_second must be a positive number")
        if isinstance(self.burst, bool) or not isinstance(self.burst, int) or self.burst < 1:
            raise ConfigError("rate_limit.burst must be an integer of at least 1")


@dataclass(frozen=True)
class FaultConfig:
    """Injected misbehaviour. `error_rates` maps a StartTaskContact error type to a probability; the
    draws are exclusive (one uniform number per call), so the rates must add up to at most 1.
    `seed` makes latency and error draws reproducible (None: seeded from the OS)."""

    latency: Latency = field(default_factory=FixedLatency)
    rate_limit: RateLimit | None = None
    error_rates: Mapping[str, float] = field(default_factory=dict)
    active_task_quota: int | None = None
    seed: int | None = None

    def __post_init__(self) -> None:
        for error_type, rate in self.error_rates.items():
            if error_type not in MODELLED_ERRORS:
                allowed = ", ".join(sorted(MODELLED_ERRORS))
                raise ConfigError(f"error_rates: unknown error type {error_type!r}; use one of {allowed}")
            if isinstance(rate, bool) or not isinstance(rate, int | float) or not 0 <= rate <= 1:
                raise ConfigError(f"error_rates.{error_type} must be a probability between 0 and 1")
        if sum(self.error_rates.values()) > 1 + 1e-9:
            raise ConfigError("error_rates must add up to at most 1 (one draw decides each call)")
        object.__setattr__(self, "error_rates", MappingProxyType(dict(self.error_rates)))
        quota = self.active_task_quota
        if quota is not None and (isinstance(quota, bool) or not isinstance(quota, int) or quota < 0):
            raise ConfigError("active_task_quota must be a non-negative integer or null")
        if self.seed is not None and (isinstance(self.seed, bool) or not isinstance(self.seed, int)):
            raise ConfigError("seed must be an integer or null")

    @classmethod
    def from_json(cls, document: Mapping[str, Any]) -> FaultConfig:
        """Read the JSON form; omitted keys take their defaults (no latency, no limits, no errors)."""
        unknown = set(document) - {"latency", "rate_limit", "error_rates", "active_task_quota", "seed"}
        if unknown:
            raise ConfigError(f"unknown fault settings: {', '.join(sorted(unknown))}")
        rate_limit = document.get("rate_limit")
        error_rates = document.get("error_rates") or {}
        if not isinstance(error_rates, Mapping):
            raise ConfigError("error_rates must be an object of error type to probability")
        try:
            return cls(
                latency=_latency_from_json(document.get("latency")),
                rate_limit=None if rate_limit is None else RateLimit(**_object("rate_limit", rate_limit)),
                error_rates=dict(error_rates),
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
    if kind == "fixed":
        return FixedLatency(**settings)
    if kind == "uniform":
        return UniformLatency(**settings)
    if kind == "lognormal":
        return LognormalLatency(**settings)
    raise ConfigError("latency.kind must be one of fixed, uniform, lognormal")


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


def _object(name: str, value: object) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise ConfigError(f"{name} must be an object")
    return value


def _require_non_negative(name: str, value: float) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or value < 0:
        raise ConfigError(f"{name} must be a non-negative number")
