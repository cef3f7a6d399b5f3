"""The demo's inputs: the two deployments it provisions, and the samples it publishes.

The deployments come from ``cdk.json``'s context, as ``cdk deploy`` would read it, with a local Connect
instance and flow: the standard one, and one with ``fifo=true`` on its own bus. The samples are every
Lambda-shaped file in ``events/``; one that cannot be read is reported and left out.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from infra.config import TaskCreatorConfig
from infra.paths import REPO_ROOT
from local.identifiers import LOCAL_CONNECT_REQUESTS_PER_SECOND, LOCAL_CONTACT_FLOW_ID, LOCAL_INSTANCE_ID
from local.publish import SampleError, SampleMessage, sample_messages

Progress = Callable[[str], None]


def local_configs(cdk_json: Path = REPO_ROOT / "cdk.json") -> tuple[TaskCreatorConfig, TaskCreatorConfig]:
    """The standard and the FIFO deployment: ``cdk.json``'s context, a local Connect instance and flow."""
    context: dict[str, Any] = json.loads(cdk_json.read_text(encoding="utf-8")).get("context", {})
    context = {key: value for key, value in context.items() if not key.startswith("@")}
    context.setdefault("connectInstanceId", LOCAL_INSTANCE_ID)
    context.setdefault("contactFlowId", LOCAL_CONTACT_FLOW_ID)
    context["connectRequestsPerSecond"] = LOCAL_CONNECT_REQUESTS_PER_SECOND  # the emulator has no quota
    standard = TaskCreatorConfig.from_context({**context, "fifo": False}.get)
    fifo_name = f"{standard.stack_name}Fifo"
    fifo = TaskCreatorConfig.from_context(
        {
            **context,
            "fifo": True,
            "stackName": fifo_name,
            "tokenNamespace": fifo_name,
            "createEventBus": True,
            "eventBusName": f"{fifo_name}-events",
            "batchSize": min(standard.batch_size, 10),
            "maxBatchingWindowSeconds": 0,
        }.get
    )
    return standard, fifo


@dataclass(frozen=True)
class SkippedSample:
    """A sample left out of the demo, and why."""

    origin: str  # "<file>" or "<file>#<record>"
    reason: str  # one line


def load_samples(
    events_dir: Path, progress: Progress = lambda line: None
) -> tuple[list[SampleMessage], list[SkippedSample]]:
    """Every Lambda-shaped sample in ``events_dir`` (sorted by name), and the files left out (unreadable,
    not JSON, a bare payload), each reported to ``progress``. SampleError when no sample is left."""
    files = sorted(events_dir.glob("*.json"))
    if not files:
        raise SampleError(f"no sample events in {events_dir}")
    samples: list[SampleMessage] = []
    skipped: list[SkippedSample] = []
    for path in files:
        try:
            samples += sample_messages(path)
        except SampleError as error:
            skipped.append(skip_sample(path.name, str(error).removeprefix(f"{path}: "), progress))
    if not samples:
        raise SampleError(f"no usable sample events in {events_dir}: every file was left out")
    return samples, skipped


def skip_sample(origin: str, reason: str, progress: Progress) -> SkippedSample:
    skipped = SkippedSample(origin=origin, reason=re.sub(r"\s+", " ", reason).strip())
    progress(f"skipped sample {skipped.origin}: {skipped.reason}")
    return skipped
