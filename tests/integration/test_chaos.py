"""A seeded chaos run of the whole offline pipeline (``chaos_support.run_chaos``): a few hundred events
from the samples, with throttles, 5xx, answers lost after Connect created the task, batch responses lost
after the handler ran, duplicate publishes and poison records. Nothing may be lost or created twice, and
the DLQ holds exactly the poison records, each with its reason and its body unchanged.

The scenario runs once per module; each test checks one promise on its report.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from local.aws import EmbeddedAws
from tests.integration.chaos_report import ChaosReport
from tests.integration.chaos_support import run_chaos

CHAOS_EVENTS = 300
CHAOS_SEED = 20261123


@pytest.fixture(scope="module")
def chaos(_embedded_aws_session: EmbeddedAws) -> ChaosReport:
    report = run_chaos(events=CHAOS_EVENTS, seed=CHAOS_SEED, aws=_embedded_aws_session)
    print(f"\nchaos run, seed {CHAOS_SEED}\n{report.summary()}")  # shown with -s, or on failure
    return report


def described(problems: list[str], report: ChaosReport) -> str:
    shown = "\n".join(f"  - {problem}" for problem in problems[:25])
    more = f"\n  ... and {len(problems) - 25} more" if len(problems) > 25 else ""
    return f"{len(problems)} problem(s), seed {report.seed}:\n{shown}{more}"


def test_chaos_really_happened(chaos: ChaosReport) -> None:
    figures = chaos.figures()
    injected = {
        name: figures[name]
        for name in (
            "throttles injected",
            "5xx injected",
            "answers lost after creation (500)",
            "answers lost after creation (dropped)",
            "batch responses lost",
            "poison records in a lost batch response",
            "duplicate publishes",
            "poison events",
            "records received more than once",
        )
    }

    assert all(count > 0 for count in injected.values()), injected
    assert not chaos.problems()["harness"], described(chaos.problems()["harness"], chaos)


def test_no_event_is_lost(chaos: ChaosReport) -> None:
    problems = chaos.problems()["lost_events"]

    assert not problems, described(problems, chaos)


def test_no_task_is_created_twice(chaos: ChaosReport) -> None:
    problems = chaos.problems()["duplicate_tasks"]

    assert not problems, described(problems, chaos)
    assert len(chaos.tasks) == len(chaos.expected_tasks)


def test_dead_letter_queue_holds_exactly_the_poison_records_once_each(chaos: ChaosReport) -> None:
    problems = chaos.problems()["dead_letter_set"]

    assert not problems, described(problems, chaos)
    assert len(chaos.dead_letters) == chaos.poison_events


def test_every_dead_letter_carries_its_reason_and_event_id(chaos: ChaosReport) -> None:
    problems = chaos.problems()["dead_letter_reasons"]

    assert not problems, described(problems, chaos)


def test_the_checks_find_a_lost_a_doubled_and_a_repeated_or_unexplained_dead_letter(
    chaos: ChaosReport,
) -> None:
    """The checks are not vacuous: each finds its problem planted in a copy of the report."""
    task, letter = chaos.tasks[0], chaos.dead_letters[0]
    without_reason = replace(
        letter,
        message_attributes={k: v for k, v in letter.message_attributes.items() if k != "ErrorType"},
    )

    planted = {
        "lost_events": replace(chaos, tasks=chaos.tasks[1:]),
        "duplicate_tasks": replace(chaos, tasks=[*chaos.tasks, task]),
        "dead_letter_set": replace(chaos, dead_letters=[*chaos.dead_letters, letter]),
        "dead_letter_reasons": replace(chaos, dead_letters=[without_reason, *chaos.dead_letters[1:]]),
    }

    for check, report in planted.items():
        assert report.problems()[check], check
