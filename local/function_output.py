"""Where the function's output goes when it runs offline, and what it reported about each event.

On AWS the function's structured logs and EMF metrics go to CloudWatch Logs. Offline they go to a
stream of the runtime's choosing (a log file for ``make demo``, stderr for ``invoke``) so they do not
mix with the command's own report. The same log records carry the outcome of every task (``outcome``,
``event_id``, ``rule``, ``contact_id``, ``client_token``, ``error_type``): the recorder keeps them, the way
an operator would query them in CloudWatch Logs Insights.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TextIO

from task_creator.observability import Outcome
from task_creator.observability import logger as function_logger


@dataclass(frozen=True)
class FunctionOutcome:
    """One outcome the function logged: a task created or skipped as a duplicate, a retry, a dead letter."""

    outcome: Outcome
    event_id: str
    rule: str | None = None
    contact_id: str | None = None
    client_token: str | None = None
    error_type: str | None = None
    error: str | None = None


class OutcomeRecorder(logging.Handler):
    """A logging handler that keeps the function's outcome records (thread-safe)."""

    def __init__(self) -> None:
        super().__init__(level=logging.INFO)
        self._outcomes: list[FunctionOutcome] = []
        self._outcomes_lock = threading.Lock()

    def emit(self, record: logging.LogRecord) -> None:
        outcome = _outcome(record)
        if outcome is None:
            return
        entry = FunctionOutcome(
            outcome=outcome,
            event_id=str(getattr(record, "event_id", "") or ""),
            rule=_text(record, "rule"),
            contact_id=_text(record, "contact_id"),
            client_token=_text(record, "client_token"),
            error_type=_text(record, "error_type"),
            error=_text(record, "error"),
        )
        with self._outcomes_lock:
            self._outcomes.append(entry)

    def outcomes(self) -> list[FunctionOutcome]:
        with self._outcomes_lock:
            return list(self._outcomes)

    def clear(self) -> None:
        with self._outcomes_lock:
            self._outcomes.clear()


@contextlib.contextmanager
def captured_function_output(stream: TextIO) -> Iterator[OutcomeRecorder]:
    """Send the function's logs and EMF metrics to ``stream`` and record its outcomes, until exit."""
    std_logger = logging.getLogger(function_logger.name)
    handler = function_logger.registered_handler
    previous_stream = handler.setStream(stream) if isinstance(handler, logging.StreamHandler) else None
    previous_level = std_logger.level
    if previous_level == logging.NOTSET or previous_level > logging.INFO:
        std_logger.setLevel(logging.INFO)  # outcomes are logged at INFO
    recorder = OutcomeRecorder()
    std_logger.addHandler(recorder)
    try:
        # EMF metrics are printed: while the function runs, stdout is its log stream.
        with contextlib.redirect_stdout(stream):
            yield recorder
    finally:
        std_logger.removeHandler(recorder)
        std_logger.setLevel(previous_level)
        if previous_stream is not None and isinstance(handler, logging.StreamHandler):
            handler.setStream(previous_stream)


def _text(record: logging.LogRecord, name: str) -> str | None:
    value = getattr(record, name, None)
    return None if value is None else str(value)


def _outcome(record: logging.LogRecord) -> Outcome | None:
    """The record's ``outcome`` key, if it is one of the function's outcomes."""
    value = getattr(record, "outcome", None)
    try:
        return Outcome(value)
    except ValueError:
        return None
