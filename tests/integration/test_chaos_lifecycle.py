"""Lifecycle chaos (``chaos_lifecycle.run_lifecycle_chaos``): 80 task keys, each with a create, one or
two updates and most with a complete, published shuffled and partly twice through the chaos pipeline
(throttles, 5xx and lost answers on every Connect operation, lost batch responses). Whatever the arrival
order, every key ends as in-order delivery would leave it: completed keys have no open task and nothing
reached a task after its StopContact; the others have exactly one open task showing their newest update;
no key has two tasks; the DLQ stays empty. Afterwards every event replayed once more (a new id and
``replay-name``, as EventBridge's replay re-sends it) creates, applies and calls nothing.

The scenario runs once per module; each test checks one promise on its report.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import replace

import pytest

from local.aws import EmbeddedAws
from local.connect_emulator import HistoryEntry, TaskRecord
from local.redrive import QueueMessage
from tests.integration.chaos_lifecycle import run_lifecycle_chaos
from tests.integration.chaos_lifecycle_evidence import FunctionStep
from tests.integration.chaos_lifecycle_report import LifecycleReport

LIFECYCLE_ITEMS = 80
LIFECYCLE_SEED = 20261124


@pytest.fixture(scope="module")
def chaos(_embedded_aws_session: EmbeddedAws) -> LifecycleReport:
    report = run_lifecycle_chaos(
        items=LIFECYCLE_ITEMS, seed=LIFECYCLE_SEED, aws=_embedded_aws_session, timeout_seconds=180
    )
    print(f"\nlifecycle chaos run, seed {LIFECYCLE_SEED}\n{report.summary()}")  # shown with -s, or on failure
    return report


def described(problems: list[str], report: LifecycleReport) -> str:
    shown = "\n".join(f"  - {problem}".replace("\n", "\n    ") for problem in problems[:10])
    more = f"\n  ... and {len(problems) - 10} more" if len(problems) > 10 else ""
    return f"{len(problems)} problem(s), seed {report.seed}:\n{shown}{more}"


def test_the_events_really_arrived_out_of_order_under_faults(chaos: LifecycleReport) -> None:
    figures = chaos.figures()
    happened = {
        name: figures[name]
        for name in (
            "duplicate publishes",
            "updates published before their create",
            "completes published before their create",
            "older updates published after the newer one",
            "events published after their item's complete",
            "throttles injected",
            "5xx injected",
            "answers lost after the call took effect (500)",
            "answers lost after the call took effect (dropped)",
            "batch responses lost",
            "NoTaskForKey retries",
            "stale updates skipped",
            "completions recorded before their create",
        )
    }

    assert all(count > 0 for count in happened.values()), happened
    assert not chaos.problems()["harness"], described(chaos.problems()["harness"], chaos)


def test_a_key_with_a_complete_has_no_open_task(chaos: LifecycleReport) -> None:
    problems = chaos.problems()["completed_items_closed"]

    assert not problems, described(problems, chaos)


def test_nothing_is_applied_to_a_task_after_its_stop_contact(chaos: LifecycleReport) -> None:
    problems = chaos.problems()["nothing_after_stop"]

    assert not problems, described(problems, chaos)


def test_a_key_without_a_complete_has_one_open_task_showing_its_newest_update(chaos: LifecycleReport) -> None:
    problems = chaos.problems()["newest_update_wins"]

    assert not problems, described(problems, chaos)


def test_no_key_has_two_tasks(chaos: LifecycleReport) -> None:
    problems = chaos.problems()["one_task_per_item"]

    assert not problems, described(problems, chaos)


def test_the_dead_letter_queue_stays_empty(chaos: LifecycleReport) -> None:
    problems = chaos.problems()["dead_letters"]

    assert not problems, described(problems, chaos)
    assert chaos.dead_letters == []


def test_replaying_every_event_afterwards_creates_applies_and_calls_nothing(chaos: LifecycleReport) -> None:
    problems = chaos.problems()["replay_changes_nothing"]

    assert chaos.replay is not None
    assert chaos.replay.events == sum(len(item.events) for item in chaos.items)
    assert not problems, described(problems, chaos)
    # Each replayed event once (a lost batch response delivers it again): every create found its task,
    # open or stopped, and every complete its task completed.
    done = Counter(message for message, _ in {(s.message, s.event_id) for s in chaos.replay.steps})
    assert done["create: duplicate"] == len(chaos.items)
    assert done["complete: completed-skipped"] == sum(item.completes for item in chaos.items)


def test_the_checks_find_an_open_an_updated_after_stop_a_stale_a_doubled_and_a_dead_letter(
    chaos: LifecycleReport,
) -> None:
    """The checks are not vacuous: each finds its problem planted in a copy of the report."""
    by_item = chaos.tasks_by_item()
    completed = next(t for i in chaos.items if i.completes for t in by_item.get(i.item, ()) if not t.active)
    still_open = next(i for i in chaos.items if not i.completes and len(i.updates) == 2)
    (open_task,) = by_item[still_open.item]
    older = still_open.updates[0]
    stale = replace(
        open_task,
        contact=replace(
            open_task.state,
            description=older.description,
            attributes={**open_task.state.attributes, "revision": str(older.revision)},
        ),
    )
    late_update = HistoryEntry("UpdateContact", completed.history[-1].time, ("Description",))
    letter = QueueMessage(
        message_id="planted",
        body=still_open.updates[1].body,
        message_attributes={"ErrorType": {"DataType": "String", "StringValue": "NoTaskForKey"}},
    )

    reopened = replace(completed, completed_at=None)
    replay = chaos.replay
    assert replay is not None

    def swapped(old: TaskRecord, new: TaskRecord) -> list[TaskRecord]:
        return [new if task.contact_id == old.contact_id else task for task in chaos.tasks]

    planted = {
        "completed_items_closed": replace(chaos, tasks=swapped(completed, reopened)),
        "nothing_after_stop": replace(
            chaos, tasks=swapped(completed, replace(completed, history=(*completed.history, late_update)))
        ),
        "newest_update_wins": replace(chaos, tasks=swapped(open_task, stale)),
        "one_task_per_item": replace(chaos, tasks=[*chaos.tasks, replace(open_task, contact_id="doubled")]),
        "dead_letters": replace(chaos, dead_letters=[letter]),
        "replay_changes_nothing": replace(chaos, replay=replace(replay, connect_calls={"StopContact": 1})),
    }

    for check, report in planted.items():
        assert report.problems()[check], check
    # A replayed event applied again is found, unless the run had dead-lettered it: then it is the recovery.
    update = still_open.updates[1]
    replayed_id = next(new_id for new_id, key in replay.replayed_from.items() if key == update.key)
    applied = FunctionStep(at=0.0, event_id=replayed_id, outcome="updated", message="update: updated")
    applied_again = replace(chaos, replay=replace(replay, steps=[*replay.steps, applied]))
    assert applied_again.problems()["replay_changes_nothing"]
    assert not replace(applied_again, dead_letters=[letter]).problems()["replay_changes_nothing"]
    (explained,) = planted["dead_letters"].problems()["dead_letters"]
    assert f"{still_open.updates[1].key} dead-lettered as NoTaskForKey after" in explained
