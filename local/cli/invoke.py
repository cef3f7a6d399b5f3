"""``invoke``: the real handler on a Lambda-shaped event file, against one of three targets.

- local (the default): the Connect emulator and embedded AWS with the stack's topology (DLQ, ledger)
  are started for the call; the report lists the tasks Connect received and the dead letters;
- your endpoints: ``AWS_ENDPOINT_URL_CONNECT`` is set (say, to ``python -m local emulator``): the
  function's environment is used as it is (``CONNECT_INSTANCE_ID`` defaults to the local one);
- real AWS: AWS credentials and ``CONNECT_INSTANCE_ID`` are present and ``AWS_ENDPOINT_URL_CONNECT`` is
  not set: the function's settings come from the environment, and tasks are really created.
``--local`` forces the first. Whatever the target, the function reads ``--mapping`` (default:
``$MAPPING_FILE``, else the bundled mapping, as ``render``), checked before anything starts. The
function's logs go to stderr (``--quiet`` drops them).
"""

from __future__ import annotations

import argparse
import io
import json
import os
from collections.abc import Mapping
from dataclasses import replace
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO, cast

import boto3

from local.cli.authoring import add_mapping_argument, json_value, load_mapping_or_fail
from local.cli.aws_environment import require_credentials, require_region
from local.cli.errors import EXIT_FAILED, EXIT_OK, CliError, UsageError
from local.cli.event_files import lambda_invocation_kind, read_json_file
from local.identifiers import LOCAL_CONTACT_FLOW_ID, LOCAL_INSTANCE_ID
from task_creator.mapping.envelope import InvocationKind
from task_creator.mapping.rules import TaskMapping

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext


class Target(Enum):
    LOCAL = "the local Connect emulator and embedded AWS"
    ENDPOINTS = "the endpoints in your environment"
    AWS = "real AWS"


def choose_target(environ: Mapping[str, str], *, force_local: bool) -> Target:
    if force_local:
        return Target.LOCAL
    if environ.get("AWS_ENDPOINT_URL_CONNECT"):
        return Target.ENDPOINTS
    if environ.get("CONNECT_INSTANCE_ID") and boto3.Session().get_credentials() is not None:
        return Target.AWS
    return Target.LOCAL


def invoke_command(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    event = read_json_file(args.event_file)
    kind = lambda_invocation_kind(event)
    if kind is None:
        raise UsageError(
            f"{args.event_file} is not a Lambda invocation (SQS batch or EventBridge event); "
            "for a bare payload use `python -m local render`"
        )
    mapping_file: Path = args.mapping
    mapping = load_mapping_or_fail(mapping_file)
    target = choose_target(os.environ, force_local=args.local)
    logs: TextIO = io.StringIO() if args.quiet else err
    if target is Target.LOCAL:
        fifo = kind is InvocationKind.SQS_FIFO
        return _invoke_locally(event, mapping_file, fifo=fifo, out=out, err=err, logs=logs)
    return _invoke_configured(event, target, mapping_file, mapping, out=out, err=err, logs=logs)


def _invoke_locally(
    event: Any, mapping_file: Path, *, fifo: bool, out: TextIO, err: TextIO, logs: TextIO
) -> int:
    from local.aws import EmbeddedAws  # noqa: PLC0415 - the heavy runtime only for this command
    from local.connect_emulator import ConnectEmulator, EmulatorConfig  # noqa: PLC0415
    from local.demo_setup import local_configs  # noqa: PLC0415
    from local.function_output import captured_function_output  # noqa: PLC0415
    from local.pipeline import LocalPipeline  # noqa: PLC0415
    from local.redrive import inspect_queue  # noqa: PLC0415

    standard, fifo_config = local_configs()
    config = replace(fifo_config if fifo else standard, mapping_file=mapping_file.resolve())
    err.write(
        f"invoking the function locally ({config.stack_name}, {Target.LOCAL.value}, mapping {mapping_file})\n"
    )
    with EmbeddedAws() as aws, ConnectEmulator(EmulatorConfig()) as connect:
        pipeline = LocalPipeline.provision(aws, connect.endpoint_url, config)
        with captured_function_output(logs) as recorder:
            try:
                response = pipeline.invoke(event, pipeline.new_context())
            except Exception as error:
                raise CliError(f"the handler raised {type(error).__name__}: {error}") from None
        outcomes = {o.contact_id: o for o in recorder.outcomes() if o.contact_id}
        dead_letters = inspect_queue(aws.sqs(), pipeline.topology.dead_letter_queue.url)
        tasks = connect.tasks()
    out.write("Response:\n" + _json(response) + "\n")
    out.write(f"Tasks Connect received: {len(tasks)}\n")
    for task in tasks:
        outcome = outcomes.get(task.contact_id)
        rule = outcome.rule if outcome else "?"
        out.write(f"  {task.contact_id}  rule {rule}\n")
        out.writelines(f"    {line}\n" for line in _json(dict(task.request)).splitlines())
    out.write(f"Dead letters: {len(dead_letters)}\n")
    for letter in dead_letters:
        out.write(f"  {letter.reason}\n    body: {letter.body!r}\n")
    return exit_code(response)


def _invoke_configured(
    event: Any,
    target: Target,
    mapping_file: Path,
    mapping: TaskMapping,
    *,
    out: TextIO,
    err: TextIO,
    logs: TextIO,
) -> int:
    from local.function_output import captured_function_output  # noqa: PLC0415
    from local.lambda_context import LocalLambdaContext  # noqa: PLC0415
    from task_creator.dependencies import build_dependencies  # noqa: PLC0415
    from task_creator.errors import ConfigurationError  # noqa: PLC0415
    from task_creator.handler import lambda_handler  # noqa: PLC0415
    from task_creator.settings import Settings  # noqa: PLC0415

    environment = {**os.environ, "MAPPING_FILE": str(mapping_file)}
    if target is Target.ENDPOINTS:
        environment.setdefault("CONNECT_INSTANCE_ID", LOCAL_INSTANCE_ID)
        environment.setdefault("CONNECT_CONTACT_FLOW_ID", LOCAL_CONTACT_FLOW_ID)
    session = boto3.Session()
    region = require_region(session)
    require_credentials(session, why="boto3 signs every call, even to a local endpoint, where any value does")
    try:
        settings = Settings.from_environ(environment)
        dependencies = build_dependencies(settings, mapping=mapping)
    except ConfigurationError as error:
        raise UsageError(str(error).replace("\n", " ")) from None
    err.write(
        f"invoking the function against {target.value}: Connect instance {settings.connect_instance_id}, "
        f"region {region}" + (" (tasks are really created)" if target is Target.AWS else "") + "\n"
    )
    with captured_function_output(logs):
        try:
            context = cast("LambdaContext", LocalLambdaContext(function_name=settings.service_name))
            response = lambda_handler(event, context, dependencies=dependencies)
        except Exception as error:
            raise CliError(f"the handler raised {type(error).__name__}: {error}") from None
    out.write("Response:\n" + _json(response) + "\n")
    return exit_code(response)


def exit_code(response: Any) -> int:
    """1 when the response leaves records for a retry (batchItemFailures), else 0."""
    failures = response.get("batchItemFailures") if isinstance(response, Mapping) else None
    return EXIT_FAILED if failures else EXIT_OK


def _json(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False, default=json_value)


def add_invoke_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "event_file", type=Path, metavar="EVENT_FILE", help="a Lambda-shaped event, e.g. events/*.json"
    )
    parser.add_argument(
        "--local",
        action="store_true",
        help="use the local emulator and embedded AWS, whatever the environment says",
    )
    add_mapping_argument(parser)
    parser.add_argument("--quiet", action="store_true", help="do not show the function's logs on stderr")
