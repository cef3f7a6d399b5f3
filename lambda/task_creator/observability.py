"""Logging and metrics. Logs carry the event id, rule, ClientToken, ContactId and outcome; never task content.

Metrics (EMF, Count): TasksCreated, DuplicatesSkipped, PermanentFailures, TransientFailures, Throttles.
Each is emitted twice per invocation: with the ``service`` dimension only (totals, what alarms watch) and
with ``service`` + ``rule``.
"""

from __future__ import annotations

import os
import threading
from collections import Counter
from enum import Enum

from aws_lambda_powertools import Logger
from aws_lambda_powertools.metrics import EphemeralMetrics, MetricUnit

from task_creator.settings import DEFAULT_SERVICE_NAME

logger = Logger(service=os.getenv("POWERTOOLS_SERVICE_NAME") or DEFAULT_SERVICE_NAME)

NO_RULE = "-"


class Metric(Enum):
    TASKS_CREATED = "TasksCreated"
    DUPLICATES_SKIPPED = "DuplicatesSkipped"
    PERMANENT_FAILURES = "PermanentFailures"
    TRANSIENT_FAILURES = "TransientFailures"
    THROTTLES = "Throttles"


class Outcome(Enum):
    """The ``outcome`` key of the function's log lines (the offline runtime's report reads them)."""

    CREATED = "created"
    DUPLICATE = "duplicate"
    RETRY = "retry"
    DEAD_LETTER = "dead-letter"
    IGNORED = "ignored"


class TaskMetrics:
    """Counts per (metric, rule) during an invocation, thread-safe; ``flush`` writes them as EMF."""

    def __init__(self, *, namespace: str, service: str) -> None:
        self.namespace = namespace
        self.service = service
        self._counts: Counter[tuple[Metric, str]] = Counter()
        self._lock = threading.Lock()

    def count(self, metric: Metric, rule: str | None, value: int = 1) -> None:
        with self._lock:
            self._counts[(metric, rule or NO_RULE)] += value

    def flush(self) -> None:
        with self._lock:
            counts, self._counts = self._counts, Counter()
        if not counts:
            return
        totals: Counter[Metric] = Counter()
        by_rule: dict[str, Counter[Metric]] = {}
        for (metric, rule), value in counts.items():
            totals[metric] += value
            by_rule.setdefault(rule, Counter())[metric] += value
        self._emit(totals, rule=None)
        for rule, rule_counts in sorted(by_rule.items()):
            self._emit(rule_counts, rule=rule)

    def _emit(self, counts: Counter[Metric], *, rule: str | None) -> None:
        emf = EphemeralMetrics(namespace=self.namespace, service=self.service)
        if rule is not None:
            emf.add_dimension(name="rule", value=rule)
        for metric, value in counts.items():
            emf.add_metric(name=metric.value, unit=MetricUnit.Count, value=value)
        emf.flush_metrics()
