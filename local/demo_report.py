"""The demo's report: what each round published, the tasks Connect received, the duplicates the
function suppressed, what it did about each task key (the lifecycle), the messages it retried, and the
dead letters with their reasons; the outcome events each round published and what replaying the
archive did (``local.demo_replay``); at the end, each task key's task with its state and history, as
the Connect emulator has it.

Task names are printed: they are the demo's own sample data (in production logs they are never).
The closing ``Summary`` block has one ``name: number`` per line, for people and for the smoke test.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from infra.paths import REPO_ROOT
from local.demo import DemoResult, RoundResult
from local.demo_lifecycle import KeyTask, history_rows
from local.demo_replay import outcome_section, replay_section, replay_summary
from local.function_output import FunctionOutcome
from local.pipeline import LocalPipeline
from local.publish import Route
from task_creator.observability import Outcome

BODY_PREVIEW_CHARS = 70


def render_report(result: DemoResult) -> str:
    lines = ["Task Creator: the whole pipeline offline", "=" * 40]
    lines += _setup(result)
    first, second = result.rounds
    lines += _round_section("Round 1: every sample published once", first)
    lines += _round_section("Round 2: the same samples published again", second)
    lines += _idempotency_verdict(second, result.pipelines)
    lines += outcome_section([list(r.outcome_events) for r in result.rounds])
    lines += replay_section(result.replay)
    lines += _key_tasks(result.key_tasks)
    lines += _summary(result)
    return "\n".join(lines) + "\n"


def _setup(result: DemoResult) -> list[str]:
    standard = result.pipelines[0]
    mapping = standard.mapping
    lines = [
        f"Embedded AWS (moto)       {result.aws_endpoint}",
        f"Amazon Connect emulator   {result.connect_endpoint}",
        f"Mapping                   {_relative(standard.config.mapping_file)}: {len(mapping.rules)} rules",
    ]
    for index, pipeline in enumerate(result.pipelines):
        label = "Deployments" if index == 0 else ""
        first, *rest = _deployment(pipeline)
        lines.append(f"{label:<26}{first}")
        lines += [f"{'':<28}{line}" for line in rest]
    files = sorted({sample.origin.split("#", 1)[0] for sample in result.samples})
    lines.append(
        f"Samples                   {len(result.samples)} messages from {len(files)} files in events/"
    )
    return lines


def _deployment(pipeline: LocalPipeline) -> list[str]:
    """The deployment's numbers, then one line per way into its function."""
    topology = pipeline.topology
    config = pipeline.config
    kind = "fifo=true" if config.fifo else "standard"
    lines = [
        f"{config.stack_name} ({kind}): function timeout {topology.function_timeout_seconds} s, "
        f"{config.max_receive_count} attempts, "
        f"redrive backstop after {topology.redrive_max_receive_count} receives"
    ]
    for lane in topology.lanes:
        entry = (
            "producers' messages with their own message groups"
            if lane.fifo
            else f"bus {topology.event_bus_name!r} and producers' messages"
        )
        lines.append(f"{entry} -> {lane.queue.name} (DLQ {lane.dead_letter_queue.name}) -> function")
    return lines


def _round_section(title: str, round_result: RoundResult) -> list[str]:
    heading = f"{title} ({round_result.seconds:.1f} s)"
    lines = ["", heading, "-" * len(heading)]
    routes = Counter(publication.message.route for publication in round_result.publications)
    lines.append(
        "Published: " + ", ".join(f"{routes[route]} via {route.value}" for route in Route if routes[route])
    )
    dropped = [publication for publication in round_result.publications if not publication.forwarded]
    if dropped:
        lines.append(f"Not forwarded by the bus rule (no mapping rule could match them): {len(dropped)}")
        for publication in dropped:
            event = publication.message.envelope()
            lines.append(
                f"  {publication.message.origin}  {event.get('source')} / {event.get('detail-type')}"
            )
    lines += _tasks(round_result)
    lines += _duplicates(round_result)
    lines += _lifecycle(round_result)
    lines += _retries(round_result.outcomes_of(Outcome.RETRY))
    lines += _dead_letters(round_result)
    return lines


def _tasks(round_result: RoundResult) -> list[str]:
    # The outcome that created each task; a task created and stopped at once (its key's completion came
    # first) is logged as completed.
    created = {o.contact_id: o for o in reversed(round_result.outcomes) if o.contact_id}
    created.update({o.contact_id: o for o in round_result.outcomes_of(Outcome.CREATED) if o.contact_id})
    lines = [f"Tasks created: {len(round_result.new_tasks)}"]
    rows = []
    for task in round_result.new_tasks:
        outcome = created.get(task.contact_id)
        rows.append(
            (
                outcome.event_id if outcome else "?",
                (outcome.rule or "?") if outcome else "?",
                task.contact_id,
                str(task.request.get("Name", "")),
            )
        )
    return lines + _table(("EVENT ID", "RULE", "CONTACT ID", "NAME"), rows)


def _duplicates(round_result: RoundResult) -> list[str]:
    duplicates = round_result.outcomes_of(Outcome.DUPLICATE)
    total = len(duplicates) + round_result.connect_duplicates
    lines = [
        f"Duplicates suppressed: {total} (by the ledger, Connect not called: {len(duplicates)}; "
        f"by Connect's ClientToken: {round_result.connect_duplicates})"
    ]
    rows = [(o.event_id, o.rule or "-", o.contact_id or "-") for o in duplicates]
    return lines + _table(("EVENT ID", "RULE", "EXISTING CONTACT ID"), rows)


def _lifecycle(round_result: RoundResult) -> list[str]:
    """What the function did about each task key, key by key, in the order it did it."""
    steps = round_result.lifecycle
    if not steps:
        return []
    keys = len({step.key for step in steps})
    lines = [
        f"Task lifecycle: {len(steps)} outcomes for {keys} task keys, key by key in the order they happened "
        f"(the {round_result.follow_ups} lifecycle messages were published after the rest, one at a time)"
    ]
    rows = [(step.key, step.detail_type, step.rule, step.action, step.result) for step in steps]
    return lines + _table(("TASK KEY", "EVENT", "RULE", "ACTION", "WHAT HAPPENED"), rows)


def _key_tasks(tasks: Sequence[KeyTask]) -> list[str]:
    """Each task key's task at the end, from the emulator: its state, then its history."""
    if not tasks:
        return []
    heading = "Task keys at the end: state and history from the Connect emulator"
    lines = ["", heading, "-" * len(heading)]
    for key_task in tasks:
        task = key_task.task
        if task is None:
            lines.append(f"  {key_task.key}  no task")
            continue
        lines.append(f"  {key_task.key}  {key_task.state}  contact {task.contact_id}  {task.state.name}")
        lines += ["  " + line for line in _table(("TIME", "OPERATION", "FIELDS WRITTEN"), history_rows(task))]
    return lines


def _retries(retries: Sequence[FunctionOutcome]) -> list[str]:
    if not retries:
        return []
    lines = [f"Retried after a transient failure: {len(retries)}"]
    rows = [(o.event_id, o.rule or "-", f"{o.error_type}: {o.error}") for o in retries]
    return lines + _table(("EVENT ID", "RULE", "REASON"), rows)


def _dead_letters(round_result: RoundResult) -> list[str]:
    lines = [f"Dead letters: {len(round_result.new_dead_letters)}"]
    for message in round_result.new_dead_letters:
        event_id = message.attribute("EventId") or message.message_id
        rule = message.attribute("Rule")
        rule_text = f" rule {rule}" if rule and rule != "-" else ""
        lines.append(f"  event {event_id}{rule_text}")
        lines.append(f"    ErrorType:    {message.error_type}")
        lines.append(f"    ErrorMessage: {message.error_message}")
        lines.append(f"    body (unchanged): {_preview(message.body)}")
    return lines


def _idempotency_verdict(second: RoundResult, pipelines: Sequence[LocalPipeline]) -> list[str]:
    if not second.new_tasks:
        return ["", "Publishing the same events again created no new task."]
    created = {outcome.contact_id: outcome for outcome in second.outcomes_of(Outcome.CREATED)}
    rules = sorted({(created[t.contact_id].rule or "?") for t in second.new_tasks if t.contact_id in created})
    lines = ["", f"Publishing the same events again created {len(second.new_tasks)} new task(s):"]
    without_event_id = {
        rule.name for pipeline in pipelines for rule in pipeline.mapping.rules if rule.event_id is None
    }
    for rule in rules:
        if rule in without_event_id:
            lines.append(
                f"  rule {rule!r} has no eventId, so its identity is the event id; PutEvents gives every "
                "publication a new id. Give the rule an eventId built from a business key to make "
                "re-publishing idempotent."
            )
        else:
            lines.append(f"  rule {rule!r}: its eventId renders differently for the re-published event.")
    return lines


def _summary(result: DemoResult) -> list[str]:
    first, second = result.rounds
    duplicates = sum(len(r.outcomes_of(Outcome.DUPLICATE)) + r.connect_duplicates for r in result.rounds)
    return [
        "",
        "Summary",
        "-------",
        f"messages published per round: {len(result.samples)}",
        f"tasks created: {len(first.new_tasks) + len(second.new_tasks)}",
        f"tasks created on re-publish: {len(second.new_tasks)}",
        f"duplicates suppressed: {duplicates}",
        f"dead letters: {len(first.new_dead_letters) + len(second.new_dead_letters)}",
        *_lifecycle_summary(result),
        *_outcome_summary(result),
        f"function logs and metrics: {_relative(result.log_file)}",
    ]


def _outcome_summary(result: DemoResult) -> list[str]:
    published = sum(len(r.outcome_events) for r in result.rounds)
    replayed = len(result.replay.outcome_events) if result.replay else 0
    return [f"outcome events: {published + replayed}", *replay_summary(result.replay)]


def _lifecycle_summary(result: DemoResult) -> list[str]:
    steps = [step for round_result in result.rounds for step in round_result.lifecycle]
    if not steps and not result.key_tasks:
        return []
    follow_ups = [step for step in steps if step.action != "create"]
    states = Counter(key_task.state for key_task in result.key_tasks)
    return [
        f"follow-ups applied: {sum(1 for step in follow_ups if step.applied)}",
        f"lifecycle outcomes skipped: {sum(1 for step in steps if step.result.startswith('skipped'))}",
        f"task keys: {len(result.key_tasks)} ("
        + ", ".join(f"{count} {state}" for state, count in sorted(states.items()))
        + ")",
    ]


def _table(headers: tuple[str, ...], rows: Sequence[tuple[str, ...]]) -> list[str]:
    if not rows:
        return []
    widths = [max(len(str(cell)) for cell in column) for column in zip(headers, *rows, strict=True)]
    widths[-1] = 0  # the last column is not padded

    def line(cells: Sequence[str]) -> str:
        return (
            "  "
            + "  ".join(str(cell).ljust(width) for cell, width in zip(cells, widths, strict=True)).rstrip()
        )

    return [line(headers), *(line(row) for row in rows)]


def _preview(body: str) -> str:
    text = body if len(body) <= BODY_PREVIEW_CHARS else body[: BODY_PREVIEW_CHARS - 1] + "…"
    return repr(text)


def _relative(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(REPO_ROOT))
    except ValueError:
        return str(path)
