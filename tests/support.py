"""Shared helpers for tests: the sample events in ``events/`` and the shipped mapping, loaded as AWS
delivers them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from task_creator.mapping.rules import TaskMapping, parse_mapping

REPO_ROOT = Path(__file__).resolve().parent.parent
EVENTS_DIR = REPO_ROOT / "events"
SHIPPED_MAPPING_FILE = REPO_ROOT / "lambda" / "mapping.json"
MAPPING_SCHEMA_FILE = REPO_ROOT / "docs" / "mapping.schema.json"


def load_event(name: str) -> dict[str, Any]:
    """A sample invocation from ``events/``, e.g. ``load_event("sqs-raw-payloads.json")``."""
    event: dict[str, Any] = json.loads((EVENTS_DIR / name).read_text(encoding="utf-8"))
    return event


def load_records(name: str) -> list[dict[str, Any]]:
    """The SQS records of a sample batch, in delivery order."""
    records: list[dict[str, Any]] = load_event(name)["Records"]
    return records


def load_record(name: str, index: int = 0) -> dict[str, Any]:
    """One SQS record of a sample batch."""
    return load_records(name)[index]


def load_json(path: Path) -> Any:
    """Any JSON file (the shipped mapping, the mapping schema)."""
    return json.loads(path.read_text(encoding="utf-8"))


def create_rules_only() -> TaskMapping:
    """The shipped mapping without its lifecycle rules: what a deployment without the ledger table can
    run (the benchmarks and the no-ledger handler tests use it)."""
    document = json.loads(SHIPPED_MAPPING_FILE.read_text(encoding="utf-8"))
    document["rules"] = [rule for rule in document["rules"] if rule.get("action", "create") == "create"]
    for rule in document["rules"]:
        rule.pop("taskKey", None)
    return parse_mapping(document)
