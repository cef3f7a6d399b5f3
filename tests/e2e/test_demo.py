"""`make demo` as a smoke test: ``python -m local demo`` in its own process, from the repository root,
with no AWS configuration at all. It must exit 0 and its report must account for every sample."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from infra.stack_values import function_timeout_seconds
from local.demo_setup import local_configs
from task_creator.mapping.rules import load_mapping
from tests.support import REPO_ROOT, SHIPPED_MAPPING_FILE

DEMO_TIMEOUT_SECONDS = 90
# Every task the samples ask for, once: what round 1 must have created.
EXPECTED_TASK_NAMES = {
    "Order ORD-1001 is delayed",
    "Order ORD-2002 is delayed",
    "Escalate: VIP order ORD-2002",
    "Payment PAY-7781 failed",
    "Call back Ana Silva",
    "Refund not received",
    "Restock SKU-88-RED at LIS-1",
    "Shipment SHP-1: delayed",
    "Shipment SHP-1: lost",
    "Shipment SHP-2: damaged",
    "Order ORD-3003 is delayed",  # its update arrived before it
    "Order ORD-4004 is delayed",  # its completion arrived before it: stopped at once
}


@dataclass(frozen=True)
class DemoRun:
    returncode: int
    report: str
    progress: str

    def section(self, title: str) -> str:
        start = self.report.index(title)
        end = self.report.find("\nRound ", start + 1)
        return self.report[start : end if end != -1 else None]

    def lifecycle_rows(self, title: str) -> list[list[str]]:
        """The "Task lifecycle" table of a round: [task key, event, rule, action, what happened] per row."""
        table = self.section(title).split("Task lifecycle:", 1)[1].split("\nRetried after", 1)[0]
        table = table.split("\nDead letters:", 1)[0]
        return [re.split(r"\s{2,}", row.strip(), maxsplit=4) for row in table.splitlines()[2:]]

    def key_tasks(self) -> str:
        start = self.report.index("Task keys at the end")
        return self.report[start : self.report.index("\nSummary\n")]

    def summary(self) -> dict[str, str]:
        block = self.report[self.report.index("\nSummary\n") :]
        return dict(re.findall(r"^([a-z][a-z -]+): (.+)$", block, flags=re.MULTILINE))


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> DemoRun:
    log = tmp_path_factory.mktemp("demo") / "function.log"
    environment = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("AWS_", "CONNECT_", "POWERTOOLS_"))
        and name not in {"MAPPING_FILE", "TOKEN_NAMESPACE"}
    }
    result = subprocess.run(
        [sys.executable, "-m", "local", "demo", "--log", str(log)],
        cwd=REPO_ROOT,
        env={**environment, "AWS_CONFIG_FILE": os.devnull, "AWS_SHARED_CREDENTIALS_FILE": os.devnull},
        capture_output=True,
        text=True,
        timeout=DEMO_TIMEOUT_SECONDS,
        check=False,
    )
    return DemoRun(returncode=result.returncode, report=result.stdout, progress=result.stderr)


def task_names(section: str) -> set[str]:
    """The NAME column of the "Tasks created" table of a round."""
    table = section.split("Tasks created:", 1)[1].split("\nDuplicates suppressed", 1)[0]
    rows = table.splitlines()[2:]  # after the count and the header
    return {re.split(r"\s{2,}", row.strip(), maxsplit=3)[3] for row in rows}


def test_demo_exits_zero_with_a_report(demo: DemoRun) -> None:
    assert demo.returncode == 0, demo.progress
    assert "Traceback" not in demo.progress
    assert demo.summary()["messages published per round"] == "20"


def test_round_one_creates_every_task_the_samples_ask_for(demo: DemoRun) -> None:
    round_one = demo.section("Round 1")

    assert task_names(round_one) == EXPECTED_TASK_NAMES
    assert (
        "sqs-poison-records.json#1  acme.marketing / NewsletterOpened" in round_one
    )  # the bus rule drops it
    duplicates = int(re.search(r"Duplicates suppressed: (\d+)", round_one).group(1))  # type: ignore[union-attr]
    assert duplicates >= 1  # ORD-1001 arrives twice (two samples hold the same order event)


def test_each_round_dead_letters_the_two_poison_messages_with_their_reasons(demo: DemoRun) -> None:
    for title in ("Round 1", "Round 2"):
        section = demo.section(title)
        assert "Dead letters: 2" in section
        assert "ErrorType:    MalformedEvent" in section
        assert "ErrorType:    MappingError" in section
        assert """body (unchanged): '{"orderId": "ORD-1", "priority": '""" in section
    assert demo.summary()["dead letters"] == "4"


def test_publishing_the_same_events_again_creates_no_new_task(demo: DemoRun) -> None:
    assert demo.summary()["tasks created on re-publish"] == "0"
    assert "Publishing the same events again created no new task." in demo.report


def test_the_function_log_is_written(demo: DemoRun, tmp_path_factory: pytest.TempPathFactory) -> None:
    log_line = demo.summary()["function logs and metrics"]
    assert Path(log_line).name == "function.log"
    assert Path(log_line).is_file()
    assert '"outcome":"created"' in Path(log_line).read_text().replace(" ", "")


def test_report_shows_each_deployments_queues_and_derived_numbers(demo: DemoRun) -> None:
    standard, _ = local_configs()
    # The stack derives the timeout from the mapping (every rule firing for every record of a batch).
    timeout = function_timeout_seconds(standard, rule_count=len(load_mapping(SHIPPED_MAPPING_FILE).rules))
    assert (
        f"TaskCreator (standard): function timeout {timeout} s, 5 attempts, redrive backstop after 8 receives"
        in demo.report
    )
    assert (
        "bus 'default' and producers' messages -> TaskCreator-ingest (DLQ TaskCreator-dlq) -> function"
        in demo.report
    )
    # fifo=true: the bus still delivers to the standard queue; the FIFO queue is the producers'.
    assert (
        "bus 'TaskCreatorFifo-events' and producers' messages -> TaskCreatorFifo-ingest "
        "(DLQ TaskCreatorFifo-dlq) -> function" in demo.report
    )
    assert (
        "producers' messages with their own message groups -> TaskCreatorFifo-ingest.fifo "
        "(DLQ TaskCreatorFifo-dlq.fifo) -> function" in demo.report
    )


def test_fifo_batch_is_fed_to_the_function_from_the_fifo_ingest_queue(demo: DemoRun) -> None:
    assert "TaskCreatorFifo-ingest.fifo: batch of 3, 3 done" in demo.progress


def key_history(demo: DemoRun, key: str) -> tuple[str, list[str]]:
    """A task key's state and the operations of its history, from "Task keys at the end"."""
    block = demo.key_tasks().split(f"  {key}  ", 1)[1].split("\n  order:", 1)[0].split("\n\n", 1)[0]
    state, *history = block.splitlines()
    return state.split()[0], [line.split()[1] for line in history[1:]]


def test_an_update_before_its_create_is_retried_then_applied(demo: DemoRun) -> None:
    rows = [row for row in demo.lifecycle_rows("Round 1") if row[0] == "order:ORD-3003"]

    assert [(row[1], row[4].split(":")[0]) for row in rows] == [
        ("OrderDeliveryRescheduled", "retried"),
        ("OrderDelayed", "created"),
        ("OrderDeliveryRescheduled", "updated"),
    ]
    assert "NoTaskForKey" in rows[0][4]
    assert "NoTaskForKey: no task is registered for this key yet" in demo.section("Round 1")


def test_a_complete_before_its_create_is_recorded_and_the_late_task_stopped_at_once(demo: DemoRun) -> None:
    rows = [row for row in demo.lifecycle_rows("Round 1") if row[0] == "order:ORD-4004"]

    assert [(row[2], row[4].split(":")[0]) for row in rows] == [
        ("order-delivered", "completion recorded"),
        ("order-delayed", "its task key was completed first"),
    ]
    assert key_history(demo, "order:ORD-4004") == ("STOPPED", ["StartTaskContact", "StopContact"])


def test_in_order_follow_ups_update_then_stop_the_task_and_the_report_shows_its_history(
    demo: DemoRun,
) -> None:
    rows = [row for row in demo.lifecycle_rows("Round 1") if row[0] == "order:ORD-1001"]
    assert [(row[3], row[4].split(":")[0]) for row in rows] == [
        ("create", "created"),
        ("create", "duplicate"),  # ORD-1001's delay arrives twice
        ("update", "updated"),
        ("complete", "completed"),
    ]

    assert key_history(demo, "order:ORD-1001") == (
        "STOPPED",
        ["StartTaskContact", "UpdateContact", "UpdateContactAttributes", "StopContact"],
    )
    assert key_history(demo, "order:ORD-3003") == (
        "ACTIVE",
        ["StartTaskContact", "UpdateContact", "UpdateContactAttributes"],
    )
    assert demo.summary()["task keys"] == "4 (2 ACTIVE, 2 STOPPED)"
    assert demo.summary()["follow-ups applied"] == "4"


def test_follow_ups_published_again_are_skipped(demo: DemoRun) -> None:
    rows = demo.lifecycle_rows("Round 2")

    assert rows
    # Nothing is applied again: the same event (its identity is in the ledger), or older than the task.
    assert {row[4].split(":")[0] for row in rows if row[3] != "create"} <= {"skipped", "duplicate"}


def test_the_outcome_events_of_each_round_are_shown_as_a_subscriber_received_them(demo: DemoRun) -> None:
    section = demo.report[demo.report.index("\nOutcome events: ") : demo.report.index("\nReplay: ")]

    round_one = re.search(r"^  round 1: (\d+) \((.*)\)$", section, flags=re.MULTILINE)
    assert round_one is not None
    assert "Task Created: " in round_one.group(2)
    assert "Task Dead-Lettered: 2" in round_one.group(2)  # the two poison messages
    round_two = section.split("  round 2: ", 1)[1].splitlines()[0]
    # Published again: nothing new, nothing applied again (a completed task's create stops nothing).
    assert set(re.findall(r"(Task [A-Za-z -]+): \d+", round_two)) == {
        "Task Duplicate Skipped",
        "Task Dead-Lettered",
    }
    assert int(demo.summary()["outcome events"]) > int(round_one.group(1))


def test_replaying_the_archive_creates_no_task_and_reports_every_task_as_a_duplicate(demo: DemoRun) -> None:
    section = demo.report[demo.report.index("\nReplay: ") : demo.report.index("\nTask keys at the end")]

    assert re.search(
        r"^Replay demo-replay-\d{6} onto bus 'default', rules TaskCreator-bus-rule only: COMPLETED$",
        section,
        flags=re.MULTILINE,
    )
    assert "\nTasks created: 0\n" in section
    assert demo.summary()["tasks created by the replay"] == "0"
    reported, total = demo.summary()["replayed tasks reported duplicate"].split(" of ")
    assert reported == total != "0"
    assert demo.summary()["replayed events applied again"] == "0"
    assert "\nReplayed events applied again: 0\n" in section
    assert "The replay created no new task and applied nothing again" in section
