"""``test``: run case files against a mapping, offline, and say which pass (docs/mapping.md, "Testing a
mapping: case files").

Each case is an event and what the function must do with it. The outcome comes from the function's own
code (``local.cli.event_outcome``), so what passes here is what the function does, short of Connect.
``--update`` writes the current outcome into each case that differs (and turns a bare event file into a
case) for the author to review.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import Enum
from pathlib import Path
from typing import Any, TextIO

from infra.config import DEFAULT_STACK_NAME
from local.cli.authoring import add_mapping_argument, load_mapping_or_fail
from local.cli.case_checks import batch_mismatches, describe
from local.cli.errors import EXIT_FAILED, EXIT_OK, EXIT_USAGE, UsageError
from local.cli.event_files import read_json_file
from local.cli.event_outcome import EventOutcome, event_outcome
from local.cli.mapping_cases import (
    Case,
    CaseError,
    case_document,
    case_events,
    expectation_of,
    is_case,
    iso_text,
    read_case,
    write_case,
)
from local.identifiers import LOCAL_CONTACT_FLOW_ID, LOCAL_INSTANCE_ID
from task_creator.mapping.planning import PlanningContext
from task_creator.mapping.render import TaskDefaults
from task_creator.mapping.rules import TaskMapping
from task_creator.mapping.schedule import DEFAULT_SCHEDULE_WINDOW


class Status(Enum):
    PASS = "pass"
    FAIL = "FAIL"
    ERROR = "ERROR"  # the file could not be run as a case
    UPDATED = "updated"


@dataclass(frozen=True)
class CaseResult:
    path: Path
    status: Status
    detail: str


@dataclass(frozen=True)
class CaseRunner:
    """Runs case files against one mapping with one deployment's settings, at one moment of the clock."""

    mapping: TaskMapping
    context: PlanningContext
    window: timedelta
    clock_now: datetime  # the real clock, read once: for cases that pin no "now"
    update: bool

    def run(self, path: Path) -> CaseResult:
        try:
            document = read_json_file(path)
            if not is_case(document):
                return self._bare_event(path, document)
            return self._case(read_case(path, document))
        except UsageError as error:
            return CaseResult(path, Status.ERROR, error.message)
        except CaseError as error:
            return CaseResult(path, Status.ERROR, str(error))

    def _bare_event(self, path: Path, event: Any) -> CaseResult:
        if not self.update:
            return CaseResult(path, Status.ERROR, 'not a case file (no "expect"): --update turns it into one')
        outcomes = self._outcomes(event, None, now=self.clock_now)
        return self._write(path, None, event, outcomes, previous=[], pin_now=_clock_dependent(outcomes))

    def _case(self, case: Case) -> CaseResult:
        attributes = case.document.get("attributes")
        outcomes = self._outcomes(case.event, attributes, now=case.now or self.clock_now)
        unpinned_clock = case.now is None and _clock_dependent(outcomes)
        if case.expectations is None:
            problems = ['no "expect" yet: --update writes the current outcome']
        else:
            problems = batch_mismatches(case.expectations, outcomes)
        if self.update and (problems or unpinned_clock):
            return self._write(
                case.path,
                case.document,
                case.event,
                outcomes,
                previous=case.expectations or [],
                pin_now=unpinned_clock,
            )
        note = ' (at the real clock: pin "now" so the case does not go stale)' if unpinned_clock else ""
        if problems:
            return CaseResult(case.path, Status.FAIL, "; ".join(problems) + note)
        return CaseResult(case.path, Status.PASS, _describe_all(outcomes) + note)

    def _outcomes(self, event: Any, attributes: Any, *, now: datetime) -> list[EventOutcome]:
        return [
            event_outcome(item, self.mapping, self.context, now=now, window=self.window)
            for item in case_events(event, attributes)
        ]

    def _write(
        self,
        path: Path,
        document: dict[str, Any] | None,
        event: Any,
        outcomes: Sequence[EventOutcome],
        *,
        previous: Sequence[dict[str, Any]],
        pin_now: bool,
    ) -> CaseResult:
        expect = [
            expectation_of(outcome, previous[index] if index < len(previous) else None)
            for index, outcome in enumerate(outcomes)
        ]
        now = self.clock_now if pin_now else None
        write_case(path, case_document(path, document, event=event, expect=expect, now=now))
        pinned = f'; pinned "now": {iso_text(self.clock_now)}' if pin_now else ""
        return CaseResult(path, Status.UPDATED, f"{_describe_all(outcomes, reasons=True)}{pinned}")


def run_cases_command(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    mapping = load_mapping_or_fail(args.mapping)
    if not args.scheduled_time_window_days > 0:
        raise UsageError("--scheduled-time-window-days must be more than 0")
    files = case_files(args.cases)
    runner = CaseRunner(
        mapping=mapping,
        context=PlanningContext(
            defaults=TaskDefaults(instance_id=args.instance_id, contact_flow_id=args.contact_flow_id or None),
            token_namespace=args.token_namespace,
        ),
        window=timedelta(days=args.scheduled_time_window_days),
        clock_now=datetime.now(UTC).replace(microsecond=0),
        update=args.update,
    )
    results = []
    for path in files:
        result = runner.run(path)
        out.write(f"{result.status.value:<7} {result.path}: {result.detail}\n")
        results.append(result)
    out.write(summary(results) + "\n")
    statuses = {result.status for result in results}
    if Status.ERROR in statuses:
        return EXIT_USAGE
    return EXIT_FAILED if Status.FAIL in statuses else EXIT_OK


def case_files(arguments: Iterable[Path]) -> list[Path]:
    """Every file named, and every ``*.json`` under every directory named (recursively), once, in order."""
    files: dict[Path, None] = {}
    for argument in arguments:
        if argument.is_dir():
            found = sorted(path for path in argument.rglob("*.json") if path.is_file())
            if not found:
                raise UsageError(f"no case files (*.json) in {argument}")
            files.update(dict.fromkeys(found))
        elif argument.is_file():
            files[argument] = None
        else:
            raise UsageError(f"cannot read {argument}: No such file or directory")
    return list(files)


def summary(results: Sequence[CaseResult]) -> str:
    counts = {status: sum(result.status is status for result in results) for status in Status}
    text = (
        f"{len(results)} case{'s' * (len(results) != 1)}: {counts[Status.PASS]} passed, "
        f"{counts[Status.FAIL]} failed, {counts[Status.ERROR]} could not run"
    )
    return text + (f", {counts[Status.UPDATED]} updated" if counts[Status.UPDATED] else "")


def _describe_all(outcomes: Sequence[EventOutcome], *, reasons: bool = False) -> str:
    def one(outcome: EventOutcome) -> str:
        letter = outcome.dead_letter
        return describe(outcome) + (f": {letter.error_message}" if reasons and letter else "")

    if len(outcomes) == 1:
        return one(outcomes[0])
    return " | ".join(f"record {index}: {one(outcome)}" for index, outcome in enumerate(outcomes))


def _clock_dependent(outcomes: Iterable[EventOutcome]) -> bool:
    return any(outcome.clock_dependent for outcome in outcomes)


def add_test_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "cases", type=Path, nargs="+", metavar="CASES", help="case files, or directories of them (*.json)"
    )
    add_mapping_argument(parser)
    parser.add_argument(
        "--update",
        action="store_true",
        help="write the current outcome into each case that differs (a bare event becomes a case)",
    )
    parser.add_argument(
        "--instance-id", default=LOCAL_INSTANCE_ID, help="default InstanceId (default: the local one)"
    )
    parser.add_argument(
        "--contact-flow-id",
        default=LOCAL_CONTACT_FLOW_ID,
        help="default ContactFlowId (default: the local one; '' for none)",
    )
    parser.add_argument(
        "--token-namespace",
        default=DEFAULT_STACK_NAME,
        help=f"ClientToken namespace: the stack's name (default {DEFAULT_STACK_NAME!r})",
    )
    parser.add_argument(
        "--scheduled-time-window-days",
        type=float,
        default=DEFAULT_SCHEDULE_WINDOW.days,
        metavar="DAYS",
        help=f"how far ahead ScheduledTime may be (default {DEFAULT_SCHEDULE_WINDOW.days}, the function's)",
    )
