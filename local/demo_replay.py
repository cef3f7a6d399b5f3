"""The demo's closing act: the outcome events the rounds produced, and a replay that creates nothing.

Outcome events are read as a consumer receives them: from each deployment's outcomes queue (the
offline subscription to the outcome source, ``local.topology_outcomes``), each message once.

The replay is the operator's recovery (``docs/operations.md``, "Recover a window of events"), with the
command's own code (``local.replay``): the standard deployment's archive, the window from the first
archived event's time to now, onto its bus rules only (``FilterArns``), followed to its end; then the
event sources are drained. Every task created from an event on the bus must be reported again as a
``Task Duplicate Skipped``, none created, and nothing applied again (no other outcome but a dead
letter). Tasks created from messages sent to a queue (``SendMessage``) were never on the bus, so the
archive does not hold them.

moto replays the whole archive, whatever the window (both rounds' events), so a task may be reported
more than once; consumers deduplicate on (eventId, rule, action).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from local.aws import EmbeddedAws
from local.connect_emulator import TaskRecord
from local.function_output import FunctionOutcome
from local.outcome_events import (
    APPLIED_DETAIL_TYPES,
    TASK_DUPLICATE_SKIPPED,
    OutcomeEvent,
    count_by_detail_type,
    outcome_lines,
    read_outcome_events,
)
from local.pipeline import LocalPipeline
from local.publish import Publication, Route
from local.replay import ReplayWindow, follow_replay, format_time, start_replay
from local.replay_targets import describe_archive
from task_creator.observability import Outcome

REPLAY_POLL_SECONDS = 0.2
SAMPLE_ROWS = 4  # replayed outcome events shown; the counts cover them all


class OutcomeLog:
    """Reads the deployments' outcomes queues, each outcome event once."""

    def __init__(self, aws: EmbeddedAws, pipelines: Sequence[LocalPipeline]) -> None:
        self._aws = aws
        self._queues = [p.topology.outcomes.queue_url for p in pipelines if p.topology.outcomes is not None]
        self._seen: set[str] = set()

    @property
    def enabled(self) -> bool:
        return bool(self._queues)

    def new_events(self) -> list[OutcomeEvent]:
        found = [event for url in self._queues for event in read_outcome_events(self._aws.sqs(), url)]
        new = [event for event in found if event.id not in self._seen]
        self._seen.update(event.id for event in new)
        return new


@dataclass(frozen=True)
class ReplayResult:
    """What replaying the archive did."""

    name: str
    archive: str
    bus: str
    rules: tuple[str, ...]
    window: ReplayWindow
    state: str
    archived_events: int | None
    new_tasks: tuple[TaskRecord, ...]
    outcome_events: tuple[OutcomeEvent, ...]
    bus_tasks: frozenset[str]  # ContactIds of the tasks created from events on the bus: the archive's
    seconds: float

    @property
    def reported_duplicate(self) -> frozenset[str]:
        """The tasks the replay reported as existing (a Task Duplicate Skipped with their ContactId)."""
        return frozenset(
            event.contact_id
            for event in self.outcome_events
            if event.detail_type == TASK_DUPLICATE_SKIPPED and event.contact_id
        )

    @property
    def missing(self) -> frozenset[str]:
        """Tasks from bus events that no Task Duplicate Skipped reported."""
        return self.bus_tasks - self.reported_duplicate

    @property
    def applied_again(self) -> tuple[OutcomeEvent, ...]:
        """Replayed events announced as having changed something (created, updated, completed...)."""
        return tuple(event for event in self.outcome_events if event.detail_type in APPLIED_DETAIL_TYPES)

    @property
    def converged(self) -> bool:
        return not self.new_tasks and not self.missing and not self.applied_again


def replay_archive(
    aws: EmbeddedAws,
    pipeline: LocalPipeline,
    *,
    tasks: Sequence[TaskRecord],
    publications: Sequence[Publication],
    outcomes: Sequence[FunctionOutcome],
    drain: Callable[[], None],
    new_tasks: Callable[[], list[TaskRecord]],
    outcome_log: OutcomeLog,
) -> ReplayResult | None:
    """Replay ``pipeline``'s archive, drain, and collect what changed; None without an archive.
    ``tasks``, ``publications`` and ``outcomes`` are the rounds' (what the archive should cover)."""
    topology = pipeline.topology
    if topology.archive is None:
        return None
    started = time.monotonic()
    events = aws.events()
    archive = describe_archive(events, topology.archive.name)
    now = datetime.now(UTC)
    window = ReplayWindow(start=_first_event_time(publications, now), end=now + timedelta(seconds=1))
    name = f"demo-replay-{now:%H%M%S}"
    start_replay(events, name=name, archive=archive, window=window, filter_arns=topology.bus_rule_arns)
    status = follow_replay(events, name, poll_seconds=REPLAY_POLL_SECONDS)
    drain()
    return ReplayResult(
        name=name,
        archive=archive.name,
        bus=archive.bus_name,
        rules=tuple(rule.name for rule in topology.bus_rules),
        window=window,
        state=status.state,
        archived_events=archive.event_count,
        new_tasks=tuple(new_tasks()),
        outcome_events=tuple(outcome_log.new_events()),
        bus_tasks=_bus_tasks(tasks, publications, outcomes),
        seconds=time.monotonic() - started,
    )


def _first_event_time(publications: Sequence[Publication], now: datetime) -> datetime:
    """The earliest event time on the bus (the samples' own ``time``), to the minute."""
    times = [now]
    for publication in publications:
        if publication.message.route is Route.BUS and (stamp := publication.message.envelope().get("time")):
            times.append(datetime.fromisoformat(str(stamp).replace("Z", "+00:00")))
    return min(times).replace(second=0, microsecond=0)


def _bus_tasks(
    tasks: Sequence[TaskRecord], publications: Sequence[Publication], outcomes: Sequence[FunctionOutcome]
) -> frozenset[str]:
    """ContactIds of the ``tasks`` that events published on the bus created (as the function logged it;
    a task created and stopped at once, its completion having come first, is logged as completed)."""
    on_bus = {p.message_id for p in publications if p.message.route is Route.BUS and p.forwarded}
    creator = {o.contact_id: o.event_id for o in reversed(outcomes) if o.contact_id}
    creator.update(
        {o.contact_id: o.event_id for o in outcomes if o.outcome is Outcome.CREATED and o.contact_id}
    )
    return frozenset(task.contact_id for task in tasks if creator.get(task.contact_id) in on_bus)


# --- the report's sections ------------------------------------------------------------------------------


def outcome_section(rounds: Sequence[Sequence[OutcomeEvent]]) -> list[str]:
    """Outcome events per round: a count per detail-type, then a few of them."""
    every = [event for events in rounds for event in events]
    if not every:
        return []
    heading = "Outcome events: what a subscriber to the outcome source received"
    lines = ["", heading, "-" * len(heading)]
    for number, events in enumerate(rounds, start=1):
        lines.append(f"  round {number}: {len(events)} ({_counts(events)})")
    firsts = {event.detail_type: event for event in reversed(every)}  # the first of each detail-type
    lines.append("The first of each detail-type:")
    return lines + outcome_lines(
        [firsts[detail_type] for detail_type, _ in count_by_detail_type(every)], indent="  "
    )


def replay_section(result: ReplayResult | None) -> list[str]:
    if result is None:
        return []
    heading = f"Replay: the archive's window sent back to the bus rules ({result.seconds:.1f} s)"
    lines = [
        "",
        heading,
        "-" * len(heading),
        f"Archive {result.archive} ({result.archived_events} events), events from "
        f"{format_time(result.window.start)} to {format_time(result.window.end)}",
        f"Replay {result.name} onto bus {result.bus!r}, rules {', '.join(result.rules)} only: {result.state}",
        f"Tasks created: {len(result.new_tasks)}",
        f"Outcome events: {len(result.outcome_events)} ({_counts(result.outcome_events) or 'none'})",
    ]
    covered = len(result.bus_tasks) - len(result.missing)
    lines.append(
        f"Tasks created from events on the bus: {len(result.bus_tasks)}; reported Task Duplicate Skipped: "
        f"{covered}" + (f"; not reported: {', '.join(sorted(result.missing))}" if result.missing else "")
    )
    duplicates = [event for event in result.outcome_events if event.detail_type == TASK_DUPLICATE_SKIPPED]
    lines += outcome_lines(duplicates[:SAMPLE_ROWS], indent="  ") if duplicates else []
    applied = result.applied_again
    lines.append(
        f"Replayed events applied again: {len(applied)}" + (f" ({_counts(applied)})" if applied else "")
    )
    lines += outcome_lines(applied[:SAMPLE_ROWS], indent="  ") if applied else []
    verdict = (
        "The replay created no new task and applied nothing again: every replayed event kept its identity."
        if result.converged
        else "The replay did not converge: see the outcomes above (docs/mapping.md: identity rules)."
    )
    return [*lines, verdict]


def replay_summary(result: ReplayResult | None) -> list[str]:
    if result is None:
        return []
    return [
        f"tasks created by the replay: {len(result.new_tasks)}",
        f"replayed tasks reported duplicate: {len(result.bus_tasks) - len(result.missing)} of "
        f"{len(result.bus_tasks)}",
        f"replayed events applied again: {len(result.applied_again)}",
    ]


def _counts(events: Sequence[OutcomeEvent]) -> str:
    return ", ".join(f"{detail_type}: {count}" for detail_type, count in count_by_detail_type(events))
