"""The argument parser: every command with a help text that explains itself."""

from __future__ import annotations

import argparse

from local.cli import authoring, invoke, mapping_tests, operations, recovery
from local.cli.errors import Command

DESCRIPTION = """\
Task Creator's command line: author mappings, run the function, operate its queues, and run the
whole pipeline offline (embedded AWS by moto, a faithful Amazon Connect emulator).
"""

EPILOG = """\
examples:
  python -m local render events/eventbridge-order-delayed.json    what each rule would send
  python -m local render events/payloads/callback-request.json \\
      --source crm.legacy --detail-type CallbackRequested --json  a bare payload, as JSON
  python -m local validate --mapping my-mapping.json              explain every problem of a mapping
  python -m local test tests/mapping_cases                        pin what a mapping does (CI)
  python -m local invoke events/sqs-raw-payloads.json             run the real handler locally
  python -m local emulator --port 4599                            Amazon Connect, on loopback
  python -m local redrive --dlq URL --to URL                      move dead letters back after a fix
  python -m local replay --from 2026-11-23T14:00Z --to 15m        re-run a window of archived events
  python -m local outcomes --queue URL                            what the function did, event by event
  python -m local demo                                            the whole pipeline offline (make demo)

exit codes: 0 done; 1 the command ran and found a problem; 2 it could not run as asked.
"""

RENDER_HELP = """\
Print the StartTaskContact request(s) each matching rule would send for an event, ClientToken
included, without calling anything: planned by the function's own code, so what you see is what it
sends. EVENT_FILE is a Lambda-shaped event (like events/*.json: an EventBridge event or an SQS batch)
or a bare payload, read like a raw SQS message body (--source/--detail-type give its message
attributes). Exit 1 when an event would be dead-lettered (no rule matches, a rule cannot render).
"""

VALIDATE_HELP = """\
Validate a mapping file as the function does at cold start (and the stack at synth), and explain
every problem, each naming the rule and the field. Exit 1 when the mapping is invalid.
"""

TEST_HELP = """\
Run mapping test cases offline: each case file is an event (any shape render reads) and what the
function must do with it: the tasks (rule, and request fields that must equal given values), a dead
letter (ErrorType), or ignored. The outcome comes from the function's own code (reading, planning,
the unmatched policy, the ScheduledTime check at the case's "now", else the real clock); Connect is
never called. CASES are files or directories (recursively *.json). One line per case, then a
summary. --update writes the current outcome into each case that differs, pins "now" where the
outcome depends on the clock, and turns a bare event file into a case. Unlike render's, the
instance, flow and token namespace defaults never come from the environment, so a case passes the
same everywhere. Exit 1 when a case fails, 2 when a file cannot be run as a case.
"""

INVOKE_HELP = """\
Run the real handler (task_creator.handler.lambda_handler) on a Lambda-shaped event file and print
its response. Where it sends its calls:
  - by default, to a Connect emulator and embedded AWS started for the call, with the stack's DLQ and
    idempotency ledger; the tasks Connect received and the dead letters are printed too;
  - if AWS_ENDPOINT_URL_CONNECT is set, to the endpoints your environment configures (the function's
    settings come from the environment; CONNECT_INSTANCE_ID defaults to a local id);
  - to REAL AWS only when AWS credentials and CONNECT_INSTANCE_ID are present and
    AWS_ENDPOINT_URL_CONNECT is not set: tasks are really created (--local prevents it).
The function reads --mapping (default: $MAPPING_FILE, else lambda/mapping.json, as render does).
The function's logs go to stderr. Exit 1 when the response leaves records to retry.
"""

REDRIVE_HELP = """\
Move every message of a dead-letter queue back to a queue (the ingest queue) after a fix. On AWS
this starts an SQS message move task (StartMessageMoveTask). Where that API is missing (moto,
other emulations) or with --copy, messages are copied: received (long polling), sent with the same
body and message attributes (FIFO: same group and deduplication id), then deleted from the DLQ. A
copy stops when an empty receive finds the DLQ's counts at zero, or after 3 empty receives in a row;
it never moves the same event twice. --rate N paces either method: keep N times the tasks per event
within your StartTaskContact quota. A queue is never redriven into itself. Uses the AWS
configuration of your environment (AWS_ENDPOINT_URL_SQS for a local endpoint).
"""

REPLAY_HELP = """\
Replay a window of events from the bus's EventBridge archive (StartReplay) and follow it until it
ends (DescribeReplay), printing its progress. TIME is ISO-8601 (2026-11-23T14:05:00Z; without an
offset, UTC), that long ago (15m, 2h, 1d; units s, m, h, d, w) or now; EventBridge replays the
events whose time is from --from up to --to, in one-minute slices. The archive is --archive, else the
only one on --bus. The events go only to the Task Creator bus rules (Destination.FilterArns): the
--rule-arn given, else the rules on the archive's bus that carry the stack's description; other
consumers of the bus get nothing. Nothing is created twice: a replayed event keeps its identity and
the ledger remembers it (docs/operations.md, "Recover a window of events"). Uses the AWS configuration
of your environment (AWS_ENDPOINT_URL_EVENTBRIDGE for a local endpoint). Exit 0 when the replay
COMPLETED, 1 when it FAILED or was CANCELLED.
"""

OUTCOMES_HELP = """\
List the function's outcome events (Task Created, Task Duplicate Skipped, Task Dead-Lettered, ...)
from a queue subscribed to them, one line each: detail-type, rule, the upstream eventId, and the
ContactId or the ErrorType; then a count per detail-type. Messages are left in the queue. Offline the
runtime subscribes <stack>-outcomes to them; on AWS subscribe a queue of your own (docs/operations.md).
Uses the AWS configuration of your environment (AWS_ENDPOINT_URL_SQS for a local endpoint).
"""

EMULATOR_HELP = """\
Serve the Amazon Connect emulator (StartTaskContact, validated against botocore's model and
Connect's documented rules) until Ctrl-C. Point boto3 at it with
AWS_ENDPOINT_URL_CONNECT=http://127.0.0.1:PORT. It accepts any instance id unless told which exist.
Inspect it at /_emulator/tasks and /_emulator/counters.
"""

DEMO_HELP = """\
The whole pipeline offline, as `make demo` runs it: provisions the stack's topology (bus rule,
ingest queue, DLQ, ledger; a standard and a FIFO deployment) on embedded AWS, publishes every sample
in events/ the way it would arrive (PutEvents, SendMessage), drains it through the real handler
with a Lambda-like SQS event source, and reports the tasks created, the duplicates suppressed and
the dead letters; then publishes the same samples again to show what idempotency does, shows the
outcome events the function published, and replays the archive's window to show that a replay
creates no task.
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m local",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    def command(name: str, run: Command, summary: str, description: str) -> argparse.ArgumentParser:
        subparser = commands.add_parser(
            name, help=summary, description=description, formatter_class=argparse.RawDescriptionHelpFormatter
        )
        subparser.set_defaults(run=run)
        return subparser

    authoring.add_render_arguments(
        command("render", authoring.render_command, "print the request(s) each rule would send", RENDER_HELP)
    )
    authoring.add_mapping_argument(
        command(
            "validate", authoring.validate_command, "validate a mapping file, explain problems", VALIDATE_HELP
        )
    )
    mapping_tests.add_test_arguments(
        command("test", mapping_tests.run_cases_command, "run mapping test cases (offline, CI)", TEST_HELP)
    )
    invoke.add_invoke_arguments(
        command("invoke", invoke.invoke_command, "run the real handler on an event file", INVOKE_HELP)
    )
    operations.add_redrive_arguments(
        command("redrive", operations.redrive_command, "move DLQ messages back to a queue", REDRIVE_HELP)
    )
    recovery.add_replay_arguments(
        command("replay", recovery.replay_command, "replay a window of archived events", REPLAY_HELP)
    )
    recovery.add_outcomes_arguments(
        command("outcomes", recovery.outcomes_command, "list the function's outcome events", OUTCOMES_HELP)
    )
    operations.add_emulator_arguments(
        command("emulator", operations.emulator_command, "serve the Amazon Connect emulator", EMULATOR_HELP)
    )
    operations.add_demo_arguments(
        command("demo", operations.demo_command, "the whole pipeline offline (make demo)", DEMO_HELP)
    )
    return parser
