"""``demo``, ``emulator`` and ``redrive``: the commands that run something for a while."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

import boto3
from botocore.config import Config

from local.cli.aws_environment import require_credentials, require_region
from local.cli.errors import EXIT_FAILED, EXIT_OK, CliError, UsageError, plural
from local.cli.event_files import read_json_file
from local.identifiers import LOCAL_CONTACT_FLOW_ID, LOCAL_INSTANCE_ID
from local.redrive_copy import DEFAULT_EMPTY_RECEIVES as REDRIVE_EMPTY_RECEIVES
from local.redrive_copy import DEFAULT_WAIT_SECONDS, MAX_WAIT_SECONDS

DEFAULT_EMULATOR_PORT = 4599
REDRIVE_PROGRESS_EVERY = 10
MAX_REDRIVE_RATE = 500  # StartMessageMoveTask's MaxNumberOfMessagesPerSecond allows 1-500


# --- demo ---------------------------------------------------------------------------------------------


def demo_command(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from local.demo import run_demo  # noqa: PLC0415 - the heavy runtime only for this command
    from local.demo_report import render_report  # noqa: PLC0415
    from local.event_source import DrainTimeout  # noqa: PLC0415
    from local.publish import SampleError  # noqa: PLC0415

    def progress(line: str) -> None:
        err.write(f"demo: {line}\n")
        err.flush()

    try:
        result = run_demo(
            events_dir=args.events, log_file=args.log, timeout_seconds=args.timeout, progress=progress
        )
    except SampleError as error:
        raise UsageError(str(error)) from None
    except DrainTimeout as error:
        raise CliError(f"{error}; the function's logs are in {args.log}") from None
    out.write(render_report(result))
    if result.skipped:
        progress(f"{plural(len(result.skipped), 'sample')} of {args.events} left out (each named above)")
        return EXIT_FAILED
    return EXIT_OK


def add_demo_arguments(parser: argparse.ArgumentParser) -> None:
    from local.demo import DEFAULT_EVENTS_DIR, DEFAULT_LOG_FILE, DEFAULT_TIMEOUT_SECONDS  # noqa: PLC0415

    parser.add_argument(
        "--events", type=Path, default=DEFAULT_EVENTS_DIR, metavar="DIR", help="sample directory"
    )
    parser.add_argument(
        "--log", type=Path, default=DEFAULT_LOG_FILE, metavar="FILE", help="where the function's logs go"
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=DEFAULT_TIMEOUT_SECONDS,
        metavar="SECONDS",
        help="give up when a round has not drained after this long (default %(default)s)",
    )


# --- emulator -----------------------------------------------------------------------------------------


def emulator_command(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from local.connect_emulator import ConfigError, EmulatorConfig, FaultConfig, serve  # noqa: PLC0415

    try:
        faults = FaultConfig.from_json(faults_document(args.faults)) if args.faults else FaultConfig()
        config = EmulatorConfig(
            instance_ids=set(args.instance_id) if args.instance_id else None,
            contact_flow_ids=set(args.contact_flow_id) if args.contact_flow_id else None,
            faults=faults,
        )
    except ConfigError as error:
        raise UsageError(f"invalid emulator settings: {error}") from None
    try:
        serve(args.host, args.port, config)
    except OSError as error:
        raise CliError(f"cannot listen on {args.host}:{args.port}: {error.strerror or error}") from None
    return EXIT_OK


def add_emulator_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--port", type=int, default=DEFAULT_EMULATOR_PORT, help="port (default %(default)s; 0: any)"
    )
    parser.add_argument("--host", default="127.0.0.1", help="interface (default %(default)s)")
    parser.add_argument(
        "--instance-id",
        action="append",
        metavar="ID",
        help=f"an instance that exists (repeatable; default: any id exists, e.g. {LOCAL_INSTANCE_ID})",
    )
    parser.add_argument(
        "--contact-flow-id",
        action="append",
        metavar="ID",
        help=f"a contact flow that exists (repeatable; default: any, e.g. {LOCAL_CONTACT_FLOW_ID})",
    )
    parser.add_argument(
        "--faults",
        metavar="JSON|FILE",
        help='fault settings, inline JSON or a JSON file, e.g. {"rate_limit": {"requests_per_second": 2, '
        '"burst": 2}}',
    )


def faults_document(value: str) -> Any:
    """``--faults``: inline JSON when it starts like a JSON object or list, else a file's path."""
    if not value.lstrip().startswith(("{", "[")):
        return read_json_file(Path(value))
    try:
        return json.loads(value)
    except json.JSONDecodeError as error:
        raise UsageError(f"--faults is not valid JSON: {error.msg} at column {error.colno}") from None


# --- redrive ------------------------------------------------------------------------------------------


def redrive_command(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from local.redrive import COPY, RedriveError, redrive  # noqa: PLC0415
    from local.redrive_copy import CopyOptions  # noqa: PLC0415

    session = boto3.Session()
    require_region(session)
    require_credentials(session)
    retrying = Config(retries={"mode": "standard", "max_attempts": 3})
    single_attempt = Config(retries={"mode": "standard", "max_attempts": 1})

    def moved(count: int) -> None:
        if count % REDRIVE_PROGRESS_EVERY == 0:
            err.write(f"redrive: {count} moved so far\n")

    try:
        result = redrive(
            session.client("sqs", config=retrying),
            args.dlq,
            args.to,
            copy=args.copy,
            options=CopyOptions(rate=args.rate, wait_seconds=args.wait_seconds),
            move_task_client=session.client("sqs", config=single_attempt),
            on_moved=moved,
        )
    except RedriveError as error:
        raise CliError(str(error)) from None
    if result.method != COPY:
        pace = f" at most {args.rate} a second" if args.rate else ""
        out.write(
            f"started SQS message move task {result.task_handle}: SQS moves the messages{pace} in the "
            "background; follow it with `aws sqs list-message-move-tasks --source-arn <DLQ ARN>`\n"
        )
        return EXIT_OK
    why = "as asked (--copy)" if args.copy else "StartMessageMoveTask is not supported by this endpoint"
    out.write(
        f"moved {plural(result.moved or 0, 'message')} from {args.dlq} to {args.to} by receive-send-delete "
        f"({why}); bodies and message attributes are unchanged\n"
    )
    if result.returned:
        out.write(
            f"note: left {plural(result.returned, 'message')} in the DLQ, each the same event as one moved "
            "by this run (dead-lettered again: is the fix deployed? or a duplicate); inspect them first\n"
        )
    if result.left is not None:
        left = result.left
        out.write(
            f"note: stopped after {REDRIVE_EMPTY_RECEIVES} empty receives while the DLQ still counted "
            f"{left.visible} visible, {left.in_flight} in flight, {left.delayed} delayed (approximate "
            "counts, which lag deletes by up to a minute): run it again to move what is left\n"
        )
    return EXIT_OK


def add_redrive_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--dlq", required=True, metavar="URL", help="the dead-letter queue's URL")
    parser.add_argument(
        "--to", required=True, metavar="URL", help="the queue to move the messages to (the ingest queue)"
    )
    parser.add_argument(
        "--rate",
        type=_bounded_int(1, MAX_REDRIVE_RATE),
        metavar="N",
        help="at most N messages a second (1-500; default: as fast as SQS moves them). Keep N times "
        "the tasks per event within your StartTaskContact quota, less the live traffic",
    )
    parser.add_argument(
        "--wait-seconds",
        type=_bounded_int(1, MAX_WAIT_SECONDS),
        default=DEFAULT_WAIT_SECONDS,
        metavar="S",
        help="copying: long-poll each receive up to S seconds (1-20, default %(default)s)",
    )
    parser.add_argument(
        "--copy",
        action="store_true",
        help="receive-send-delete instead of StartMessageMoveTask (automatic where the endpoint lacks it)",
    )


def _bounded_int(low: int, high: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"{value} is not from {low} to {high}")
        return value

    return parse
