"""Where the handler's CPU per record goes: a CPU-sampled profile, and cProfile's call tree beside it.

The child (``benchmarks.child``, mode ``profile``) runs the handler with its records inline in one
thread, first under ``benchmarks.sampler`` (CPU shares: self time by where the code is, cumulative
time by stage and by function), then under cProfile (self time per function; wall time with cProfile's
own overhead, about twice the handler's CPU, so its order is what is meant). The stats file can be kept
for ``python -m pstats``.
"""

from __future__ import annotations

import pstats
import shutil
import tempfile
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.hot_path import run_child
from benchmarks.peers import EmulatorProcess
from benchmarks.sampler import Frame
from benchmarks.workload import BATCH_SIZE

# Where a sample's innermost frame is counted, by the first fragment its file name contains.
CATEGORIES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Powertools logger (formatting, JSON lines)", ("aws_lambda_powertools/logging",)),
    ("Powertools metrics (EMF)", ("aws_lambda_powertools/metrics",)),
    ("the batch runner", ("task_creator/batch.py",)),
    ("Powertools, other (data classes, shared)", ("aws_lambda_powertools",)),
    ("task_creator: mapping (match, render, limits, token)", ("task_creator/mapping",)),
    ("task_creator: the rest", ("task_creator",)),
    ("botocore/boto3 (serialise, sign, user agent, parse, hooks)", ("botocore", "boto3", "jmespath")),
    ("dateutil", ("dateutil",)),
    ("HTTP: urllib3, http.client, sockets (syscalls)", ("urllib3", "http/client", "socket", "email/")),
    ("asyncio (event loop, tasks)", ("asyncio",)),
    ("stdlib logging", ("logging/",)),
    ("json (dumps, loads)", ("json/",)),
    ("threads, futures, locks, queues", ("threading", "concurrent/futures", "queue")),
    ("uuid, hashlib, hmac, datetime, copy, re", ("uuid", "hashlib", "hmac", "datetime", "copy", "/re/")),
)
OTHER = "everything else"
WRAPPER_SHARE = 0.8  # a function on the stack of more of the samples wraps the whole invocation
# (name, the stack holds one of these frames, and none of those): shares of the whole CPU. File-level
# patterns where they can be, so the stages survive the function's refactorings (a stage whose code is
# gone shows 0 %).
Pattern = tuple[str, str | None]  # (file name fragment, function name or None: any in that file)
_LOG_CALLS = tuple(
    ("aws_lambda_powertools/logging/logger.py", level)
    for level in ("debug", "info", "warning", "error", "exception", "critical")
)
STAGES: tuple[tuple[str, tuple[Pattern, ...], tuple[Pattern, ...]], ...] = (
    ("a record's work (TaskCreator.process)", (("task_creator/creator.py", "process"),), ()),
    ("every AWS call (botocore + HTTP)", (("botocore/client.py", "_make_api_call"),), ()),
    ("  StartTaskContact (the Connect adapter)", (("task_creator/adapters/connect.py", None),), ()),
    (
        "  outcome events (publisher and PutEvents)",
        (("task_creator/outcome_publisher.py", None), ("task_creator/adapters/event_bus.py", None)),
        (),
    ),
    (
        "planning (plan_event: match, render, limits, token)",
        (("task_creator/mapping/planning.py", "plan_event"),),
        (),
    ),
    ("log lines (Powertools Logger calls: record, format, write)", _LOG_CALLS, ()),
    (
        "Logger's inject_lambda_context, outside the handler",
        (("aws_lambda_powertools/logging/logger.py", "decorate"),),
        (("task_creator/handler.py", "lambda_handler"),),
    ),
    ("EMF metrics (TaskMetrics.flush)", (("task_creator/observability.py", "flush"),), ()),
    (
        "batch machinery outside the records (the batch runner, the pool)",
        (("task_creator/batch.py", None), ("concurrent/futures", None)),
        (("task_creator/creator.py", None), ("task_creator/outcome_publisher.py", None)),
    ),
)


@dataclass(frozen=True)
class Profile:
    cpu_ms_per_record: float  # under the sampler (its overhead is small)
    records: int
    samples: int
    categories: list[tuple[str, float]]  # (category, share of CPU), largest first
    stages: list[tuple[str, float]]
    inclusive: list[tuple[str, float]]  # (function, share of CPU it was on the stack for)
    cprofile_top: list[tuple[str, float]]  # (function, self ms per record under cProfile)
    stats_file: Path | None
    missing_tasks: int


def measure_profile(
    spec: dict[str, Any],
    emulator: EmulatorProcess,
    *,
    batches: int,
    warmup: int = 20,
    keep_stats: Path | None = None,
) -> Profile:
    before = emulator.created()
    with tempfile.TemporaryDirectory() as directory:
        stats_file = Path(directory, "handler.pstats")
        result = run_child(
            {
                **spec,
                "mode": "profile",
                "batches": batches,
                "warmup": warmup,
                "prefix": "profile",
                "profile_file": str(stats_file),
            }
        )
        top = cprofile_self_time(stats_file, int(result["records"]))
        if keep_stats is not None:
            keep_stats.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(stats_file, keep_stats)
    samples: Counter[tuple[Frame, ...]] = Counter()
    for stack, count in result["samples"]:
        samples[tuple((str(f), str(n), int(line)) for f, n, line in stack)] += int(count)
    total = sum(samples.values()) or 1
    return Profile(
        cpu_ms_per_record=result["cpu"] / result["records"] * 1000,
        records=int(result["records"]),
        samples=total,
        categories=_self_shares(samples, total),
        stages=[(name, _share(samples, total, wanted, unwanted)) for name, wanted, unwanted in STAGES],
        inclusive=_inclusive(samples, total),
        cprofile_top=top,
        stats_file=keep_stats,
        missing_tasks=(warmup + 2 * batches) * BATCH_SIZE - (emulator.created() - before),
    )


def category(frame: Frame) -> str:
    filename = frame[0]
    for name, fragments in CATEGORIES:
        if any(fragment in filename for fragment in fragments):
            return name
    return OTHER


def _self_shares(samples: Counter[tuple[Frame, ...]], total: int) -> list[tuple[str, float]]:
    counts: Counter[str] = Counter()
    for stack, count in samples.items():
        counts[category(stack[0]) if stack else OTHER] += count
    return [(name, count / total) for name, count in counts.most_common()]


def _matches(frame: Frame, pattern: Pattern) -> bool:
    fragment, function = pattern
    return fragment in frame[0] and (function is None or frame[1] == function)


def _share(
    samples: Counter[tuple[Frame, ...]],
    total: int,
    wanted: Sequence[Pattern],
    unwanted: Sequence[Pattern],
) -> float:
    hits = 0
    for stack, count in samples.items():
        if any(_matches(frame, pattern) for frame in stack for pattern in wanted) and not any(
            _matches(frame, pattern) for frame in stack for pattern in unwanted
        ):
            hits += count
    return hits / total


def _inclusive(samples: Counter[tuple[Frame, ...]], total: int, top: int = 30) -> list[tuple[str, float]]:
    """The functions with the most cumulative CPU, the wrappers around nearly everything left out."""
    counts: Counter[Frame] = Counter()
    for stack, count in samples.items():
        for frame in set(stack):
            counts[frame] += count
    rows = [
        (f"{short_path(frame[0])}:{frame[2]}({frame[1]})", count / total)
        for frame, count in counts.items()
        if count / total < WRAPPER_SHARE and not any(skip in frame[0] for skip in ("benchmarks/", "asyncio/"))
    ]
    return sorted(rows, key=lambda row: row[1], reverse=True)[:top]


# Builtins whose time under cProfile is waiting for a peer, not work.
WAITING = ("recv_into", "recv", "acquire", "poll", "select", "sleep", "wait")


def cprofile_self_time(stats_file: Path, records: int, top: int = 20) -> list[tuple[str, float]]:
    """cProfile's functions with the most self time, in ms per record (wall time under the profiler,
    waits for a peer left out)."""
    stats = pstats.Stats(str(stats_file))
    entries: dict[Any, Any] = stats.stats  # type: ignore[attr-defined]
    rows = sorted(entries.items(), key=lambda item: item[1][2], reverse=True)
    listed = []
    for (filename, line, name), (_cc, _nc, self_time, _cumulative, _callers) in rows:
        if filename == "~" and any(word in name for word in WAITING):
            continue
        where = name if filename == "~" else f"{short_path(filename)}:{line}({name})"
        listed.append((where, self_time / records * 1000))
        if len(listed) == top:
            break
    return listed


def short_path(filename: str) -> str:
    for marker in ("site-packages/", "/lambda/", "python3.13/"):
        if marker in filename:
            return filename.split(marker, 1)[1]
    return filename
