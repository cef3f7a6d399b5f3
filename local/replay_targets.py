"""Where a replay comes from and where it goes: the archive, and the Task Creator bus rules.

Which archive: the one named (ARN or name), else the only one on the bus (``ListArchives``). Which
rules: the Task Creator bus rules on the archive's bus, recognised by the description the stack and
the offline runtime give them (``infra.stack_values.BUS_RULE_DESCRIPTION``), all feeding one ingest
queue (one deployment). Every failure is a ``ReplayError`` whose message is one line saying what to do.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from infra.stack_values import BUS_RULE_DESCRIPTION

if TYPE_CHECKING:
    from mypy_boto3_events import EventBridgeClient


class ReplayError(RuntimeError):
    """The replay could not be started or followed; the message is one line saying what to do."""


@dataclass(frozen=True)
class Archive:
    """One EventBridge archive, as ``DescribeArchive`` has it."""

    name: str
    arn: str
    event_source_arn: str  # the bus it archives, and the only bus it can replay onto
    state: str
    retention_days: int  # 0: kept forever
    creation_time: datetime | None
    event_count: int | None = None

    @property
    def bus_name(self) -> str:
        return self.event_source_arn.rsplit("/", 1)[-1]


def find_archive(events: EventBridgeClient, *, archive: str | None, bus: str) -> Archive:
    """The archive named (by ARN or name), else the only archive of ``bus`` (a name or an ARN)."""
    if archive:
        return describe_archive(events, archive.rsplit("/", 1)[-1])
    bus_arn = (
        bus
        if bus.startswith("arn:")
        else call(events.describe_event_bus, "DescribeEventBus", Name=bus)["Arn"]
    )
    listed = _list_archives(events, bus_arn)
    if not listed:
        raise ReplayError(
            f"bus {_bus_name(bus_arn)!r} has no archive: deploy the stack with -c archiveDays=N (N > 0), "
            "or name one with --archive ARN"
        )
    if len(listed) > 1:
        names = ", ".join(sorted(str(entry["ArchiveName"]) for entry in listed))
        raise ReplayError(
            f"bus {_bus_name(bus_arn)!r} has {len(listed)} archives ({names}): choose one with --archive"
        )
    return describe_archive(events, str(listed[0]["ArchiveName"]))


def describe_archive(events: EventBridgeClient, name: str) -> Archive:
    try:
        found = events.describe_archive(ArchiveName=name)
    except ClientError as error:
        if error_code(error) == "ResourceNotFoundException":
            raise ReplayError(
                f"archive {name!r} does not exist here: list them with `aws events list-archives` "
                "(the stack's ArchiveArn output names it)"
            ) from None
        raise refused("DescribeArchive", error) from None
    except BotoCoreError as error:
        raise unreachable("DescribeArchive", error) from None
    return Archive(
        name=found["ArchiveName"],
        arn=found["ArchiveArn"],
        event_source_arn=found["EventSourceArn"],
        state=found.get("State", "ENABLED"),
        retention_days=int(found.get("RetentionDays") or 0),
        creation_time=found.get("CreationTime"),
        event_count=found.get("EventCount"),
    )


def ingest_rule_arns(events: EventBridgeClient, bus: str) -> list[str]:
    """The Task Creator bus rules on ``bus`` (recognised by the stack's description). ReplayError when
    none is there, or when they feed more than one ingest queue (several deployments share the bus)."""
    rules: list[tuple[str, str]] = []  # (rule ARN, the ingest queue it feeds)
    token: str | None = None
    while True:
        request: dict[str, Any] = {"EventBusName": bus, **({"NextToken": token} if token else {})}
        page = call(events.list_rules, "ListRules", **request)
        for rule in page.get("Rules", []):
            if str(rule.get("Description", "")).startswith(BUS_RULE_DESCRIPTION) and "Arn" in rule:
                rules.append((rule["Arn"], _ingest_queue_of(events, rule["Name"], bus)))
        token = page.get("NextToken")
        if not token:
            break
    if not rules:
        raise ReplayError(
            f"no Task Creator bus rule on bus {_bus_name(bus)!r}: name the rules with --rule-arn "
            "(the stack's IngestRuleArns output)"
        )
    queues = sorted({queue for _, queue in rules})
    if len(queues) > 1:
        raise ReplayError(
            f"bus {_bus_name(bus)!r} carries the bus rules of {len(queues)} Task Creator deployments "
            f"(ingest queues {', '.join(q.rsplit(':', 1)[-1] for q in queues)}): name one "
            "deployment's rules with --rule-arn (its stack's IngestRuleArns output)"
        )
    return [arn for arn, _ in rules]


def _ingest_queue_of(events: EventBridgeClient, rule: str, bus: str) -> str:
    targets = call(events.list_targets_by_rule, "ListTargetsByRule", Rule=rule, EventBusName=bus)
    found = targets.get("Targets", [])
    ingest = [str(target["Arn"]) for target in found if target.get("Id") == "IngestQueue"]
    return (ingest or sorted(str(target["Arn"]) for target in found) or ["-"])[0]


def _list_archives(events: EventBridgeClient, bus_arn: str) -> list[Mapping[str, Any]]:
    archives: list[Mapping[str, Any]] = []
    token: str | None = None
    while True:
        request: dict[str, Any] = {"EventSourceArn": bus_arn, **({"NextToken": token} if token else {})}
        page = call(events.list_archives, "ListArchives", **request)
        archives += page.get("Archives", [])
        token = page.get("NextToken")
        if not token:
            return archives


def call(operation: Callable[..., Any], name: str, **request: Any) -> Any:
    try:
        return operation(**request)
    except ClientError as error:
        if error_code(error) == "ResourceNotFoundException":
            raise ReplayError(
                f"{name}: {error_message(error)}: check the name (and AWS_DEFAULT_REGION)"
            ) from None
        raise refused(name, error) from None
    except BotoCoreError as error:
        raise unreachable(name, error) from None


def refused(operation: str, error: ClientError) -> ReplayError:
    return ReplayError(f"{operation} refused: {error_code(error)}: {error_message(error)}")


def unreachable(operation: str, error: BotoCoreError) -> ReplayError:
    text = " ".join(str(error).split())
    return ReplayError(f"{operation} failed: {text} (check your AWS endpoint, region and network)")


def error_code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", "Unknown"))


def error_message(error: ClientError) -> str:
    return " ".join(str(error.response.get("Error", {}).get("Message", "")).split())


def _bus_name(bus: str) -> str:
    return bus.rsplit("/", 1)[-1]
