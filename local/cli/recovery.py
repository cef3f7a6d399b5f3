"""``replay`` and ``outcomes``: re-run a window of archived events, and read what the function did.

Both use the AWS configuration of the environment, as ``redrive`` does (region and credentials checked
first; ``AWS_ENDPOINT_URL_EVENTBRIDGE`` / ``AWS_ENDPOINT_URL_SQS``, or ``AWS_ENDPOINT_URL``, for a local
endpoint such as moto's).
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, TextIO

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from infra.config import DEFAULT_BUS_NAME, DEFAULT_STACK_NAME
from local.cli import INTERRUPTED
from local.cli.aws_environment import require_credentials, require_region
from local.cli.errors import EXIT_OK, CliError, UsageError, plural

if TYPE_CHECKING:
    from mypy_boto3_events import EventBridgeClient
    from mypy_boto3_sqs import SQSClient

    from local.replay import ReplayStatus, ReplayWindow
    from local.replay_targets import Archive

_RELATIVE = re.compile(r"^-?(\d+)([smhdw])$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
_REPLAY_NAME = re.compile(r"^[.\-_A-Za-z0-9]{1,64}$")
MAX_OUTCOME_LIMIT = 1000
_RETRYING = Config(retries={"mode": "standard", "max_attempts": 3})


def parse_time(text: str, *, now: datetime, option: str) -> datetime:
    """``now``, a time that long ago (``15m``, ``2h``, ``1d``; units s, m, h, d, w; ``--from=-15m`` too),
    or ISO-8601 (``2026-11-23T14:05:00Z``, ``2026-11-23``); a time without an offset is UTC."""
    value = text.strip()
    if value.lower() == "now":
        return now
    relative = _RELATIVE.match(value)
    if relative:
        return now - timedelta(**{_UNITS[relative.group(2)]: int(relative.group(1))})
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise UsageError(
            f"{option} {text!r} is not a time: give ISO-8601 (2026-11-23T14:05:00Z), a time that "
            "long ago (15m, 2h, 1d) or now"
        ) from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def replay_window(args: argparse.Namespace, now: datetime) -> ReplayWindow:
    from local.replay import ReplayWindow, format_time  # noqa: PLC0415

    window = ReplayWindow(
        start=parse_time(args.start, now=now, option="--from"),
        end=parse_time(args.end, now=now, option="--to"),
    )
    if not window.valid:
        raise UsageError(
            f"--from ({format_time(window.start)}) must be before --to ({format_time(window.end)})"
        )
    return window


# --- replay -------------------------------------------------------------------------------------------


def replay_command(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    now = datetime.now(UTC)
    replay_window(args, now)  # a bad window, name or rule is refused before anything is asked of AWS
    _replay_name(args.name)
    _rule_arns(args.rule_arn)
    session = boto3.Session()
    require_region(session)
    require_credentials(session)
    return run_replay(session.client("events", config=_RETRYING), args, out, err, now=now)


def run_replay(
    events: EventBridgeClient, args: argparse.Namespace, out: TextIO, err: TextIO, *, now: datetime
) -> int:
    """The replay command with its EventBridge client: find, start, follow, report."""
    from local.replay import (  # noqa: PLC0415
        coverage_notes,
        default_replay_name,
        follow_replay,
        format_time,
        start_replay,
    )
    from local.replay_targets import ReplayError, find_archive, ingest_rule_arns  # noqa: PLC0415

    window = replay_window(args, now)

    def progress(status: ReplayStatus) -> None:
        position = f", replayed up to {format_time(status.last_replayed)}" if status.last_replayed else ""
        err.write(f"replay: {status.name} {status.state}{position}\n")
        err.flush()

    try:
        archive = find_archive(events, archive=args.archive, bus=args.bus)
        rules = _rule_arns(args.rule_arn) or ingest_rule_arns(events, archive.bus_name)
        name = _replay_name(args.name) or default_replay_name(archive, now)
        for note in coverage_notes(archive, window, now):
            err.write(f"replay: note: {note}\n")
        err.write(f"replay: {_describe(name, archive, window, rules)}\n")
        start_replay(events, name=name, archive=archive, window=window, filter_arns=rules)
        try:
            status = follow_replay(events, name, poll_seconds=args.poll_seconds, on_progress=progress)
        except KeyboardInterrupt:
            err.write(
                f"replay: stopped following; {name} goes on: `aws events describe-replay --replay-name "
                f"{name}` (stop it: `aws events cancel-replay --replay-name {name}`)\n"
            )
            return INTERRUPTED
    except ReplayError as error:
        raise CliError(str(error)) from None
    if not status.completed:
        reason = f": {status.state_reason}" if status.state_reason else ""
        raise CliError(f"replay {name} ended {status.state}{reason}")
    out.write(
        f"replay {name} COMPLETED: events from {format_time(window.start)} to {format_time(window.end)} "
        f"of archive {archive.name} replayed onto bus {archive.bus_name!r} "
        f"({plural(len(rules), 'bus rule')}); "
        "verify with the outcome events: Task Duplicate Skipped for what existed, Task Created for what "
        "was missing\n"
    )
    return EXIT_OK


def _replay_name(name: str | None) -> str | None:
    if name is not None and not _REPLAY_NAME.match(name):
        raise UsageError(f"--name {name!r} is not a replay name: 1-64 letters, digits, '.', '-' and '_'")
    return name


def _describe(name: str, archive: Archive, window: ReplayWindow, rules: Sequence[str]) -> str:
    from local.replay import format_time  # noqa: PLC0415

    names = ", ".join(arn.rsplit("/", 1)[-1] for arn in rules)
    return (
        f"starting {name}: archive {archive.name} (bus {archive.bus_name!r}), events from "
        f"{format_time(window.start)} to {format_time(window.end)}, to {plural(len(rules), 'rule')} ({names})"
    )


def _rule_arns(values: Sequence[str] | None) -> list[str]:
    arns = [arn.strip() for value in values or () for arn in value.split(",") if arn.strip()]
    for arn in arns:
        if not arn.startswith("arn:") or ":rule/" not in arn:
            raise UsageError(
                f"--rule-arn {arn!r} is not an EventBridge rule ARN (arn:aws:events:...:rule/...)"
            )
    return list(dict.fromkeys(arns))


def add_replay_arguments(parser: argparse.ArgumentParser) -> None:
    from local.replay import DEFAULT_POLL_SECONDS  # noqa: PLC0415

    parser.add_argument(
        "--from", dest="start", required=True, metavar="TIME", help="the first event time to replay"
    )
    parser.add_argument(
        "--to", dest="end", default="now", metavar="TIME", help="replay events before this time (default now)"
    )
    parser.add_argument(
        "--archive", metavar="ARN", help="the archive (its ARN or name; default: the only archive on --bus)"
    )
    parser.add_argument(
        "--bus",
        default=DEFAULT_BUS_NAME,
        metavar="NAME",
        help="without --archive: the bus whose archive to use (default %(default)s)",
    )
    parser.add_argument(
        "--rule-arn",
        action="append",
        metavar="ARN",
        help="replay only to these rules (repeatable or comma-separated: the stack's IngestRuleArns "
        "output; default: the Task Creator bus rules on the archive's bus)",
    )
    parser.add_argument("--name", metavar="NAME", help="the replay's name (default: <archive>-<UTC time>)")
    parser.add_argument(
        "--poll-seconds",
        type=float,
        default=DEFAULT_POLL_SECONDS,
        metavar="S",
        help="how often to ask how far the replay got (default %(default)s)",
    )


# --- outcomes -----------------------------------------------------------------------------------------


def outcomes_command(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from local.outcome_events import count_by_detail_type, outcome_lines, read_outcome_events  # noqa: PLC0415

    session = boto3.Session()
    require_region(session)
    require_credentials(session)
    sqs = session.client("sqs", config=_RETRYING)
    queue_url = _queue_url(sqs, args.queue)
    try:
        found = read_outcome_events(sqs, queue_url, limit=args.limit)
    except (BotoCoreError, ClientError) as error:
        raise CliError(f"cannot read {args.queue}: {' '.join(str(error).split())}") from None
    if not found:
        out.write(f"no outcome events in {args.queue}\n")
        return EXIT_OK
    out.write("\n".join(outcome_lines(found)) + "\n")
    counts = ", ".join(f"{detail_type}: {count}" for detail_type, count in count_by_detail_type(found))
    more = f" (the first {args.limit}: --limit shows more)" if len(found) >= args.limit else ""
    out.write(f"{plural(len(found), 'outcome event')}{more}: {counts}\n")
    return EXIT_OK


def _queue_url(sqs: SQSClient, queue: str) -> str:
    if "://" in queue:
        return queue
    try:
        url = sqs.get_queue_url(QueueName=queue)["QueueUrl"]
    except ClientError as error:
        if "NonExistentQueue" in str(error.response.get("Error", {}).get("Code", "")):
            raise CliError(
                f"queue {queue!r} does not exist: offline it is <stack>-outcomes; on AWS subscribe a queue "
                "to the outcome source (docs/operations.md) and pass --queue URL"
            ) from None
        raise CliError(f"cannot find queue {queue!r}: {' '.join(str(error).split())}") from None
    except BotoCoreError as error:
        raise CliError(f"cannot reach SQS: {' '.join(str(error).split())}") from None
    return url


def add_outcomes_arguments(parser: argparse.ArgumentParser) -> None:
    from local.topology_outcomes import outcome_queue_name  # noqa: PLC0415

    parser.add_argument(
        "--queue",
        default=outcome_queue_name(DEFAULT_STACK_NAME),
        metavar="URL",
        help="the queue subscribed to the outcome events (URL or name; default %(default)s)",
    )
    parser.add_argument(
        "--limit",
        type=_limit,
        default=100,
        metavar="N",
        help=f"list at most N (1-{MAX_OUTCOME_LIMIT}, default %(default)s)",
    )


def _limit(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if not 1 <= value <= MAX_OUTCOME_LIMIT:
        raise argparse.ArgumentTypeError(f"{value} is not from 1 to {MAX_OUTCOME_LIMIT}")
    return value
