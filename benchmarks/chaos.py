"""The chaos scenario of the integration suite (``tests/integration/chaos_support.py``), bigger.

    PYTHONPATH=lambda .venv/bin/python -m benchmarks.chaos [--events 2000] [--seed 7] [--log FILE]
    PYTHONPATH=lambda .venv/bin/python -m benchmarks.chaos --lifecycle [--items 400] [--seed 7]

Offline: moto and the Connect emulator on loopback, the real function with its production clients, two
concurrent containers fed by the event-source loop. Faults: throttles, 5xx, answers lost after Connect
created the task, batch responses lost after the handler ran, duplicate publishes, poison records.
``--lifecycle`` runs the lifecycle variant instead (``tests/integration/chaos_lifecycle.py``): task keys
with a create, updates and a complete, published shuffled and partly twice, under the same faults.
Prints the run's figures and the problems each check found (none expected); exits 1 if there were any.
"""

from __future__ import annotations

import argparse
import io
import sys
from pathlib import Path

from tests.integration.chaos_lifecycle import run_lifecycle_chaos
from tests.integration.chaos_lifecycle_report import LifecycleReport
from tests.integration.chaos_report import ChaosReport
from tests.integration.chaos_support import run_chaos

DEFAULT_EVENTS = 2_000
DEFAULT_ITEMS = 400
DEFAULT_SEED = 7
TIMEOUT_SECONDS = 900.0


def bench_chaos(
    events: int = DEFAULT_EVENTS, seed: int = DEFAULT_SEED, log: Path | None = None
) -> ChaosReport:
    """Run the chaos scenario with ``events`` events; the function's logs go to ``log`` if given."""
    if log is None:
        return run_chaos(events=events, seed=seed, timeout_seconds=TIMEOUT_SECONDS, log_stream=io.StringIO())
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("w", encoding="utf-8") as stream:
        return run_chaos(events=events, seed=seed, timeout_seconds=TIMEOUT_SECONDS, log_stream=stream)


def bench_lifecycle_chaos(
    items: int = DEFAULT_ITEMS, seed: int = DEFAULT_SEED, log: Path | None = None
) -> LifecycleReport:
    """Run the lifecycle chaos scenario with ``items`` task keys; the function's logs go to ``log``."""
    if log is None:
        return run_lifecycle_chaos(items=items, seed=seed, timeout_seconds=TIMEOUT_SECONDS)
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("w", encoding="utf-8") as stream:
        return run_lifecycle_chaos(items=items, seed=seed, timeout_seconds=TIMEOUT_SECONDS, log_stream=stream)


def print_report(report: ChaosReport | LifecycleReport) -> None:
    figures = report.figures()
    variant = "Lifecycle chaos run" if isinstance(report, LifecycleReport) else "Chaos run"
    print(f"{variant}: {figures['events']} events, seed {report.seed}")
    print("| figure | value |\n| --- | ---: |")
    for name, value in figures.items():
        print(f"| {name} | {value} |")
    problems = report.problems()
    holding = [check for check, listed in problems.items() if not listed]
    print(f"\nchecks holding: {len(holding)}/{len(problems)} ({', '.join(holding) or 'none'})")
    for check, listed in problems.items():
        for problem in listed[:10]:
            print(f"  {check}: {problem}")
        if len(listed) > 10:
            print(f"  {check}: ... and {len(listed) - 10} more")


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", type=int, default=DEFAULT_EVENTS)
    parser.add_argument("--lifecycle", action="store_true", help="the lifecycle variant (task keys)")
    parser.add_argument("--items", type=int, default=DEFAULT_ITEMS, help="task keys, with --lifecycle")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--log", type=Path, help="write the function's log lines here")
    arguments = parser.parse_args()
    report: ChaosReport | LifecycleReport
    if arguments.lifecycle:
        report = bench_lifecycle_chaos(arguments.items, arguments.seed, arguments.log)
    else:
        report = bench_chaos(arguments.events, arguments.seed, arguments.log)
    print_report(report)
    return 1 if any(report.problems().values()) else 0


if __name__ == "__main__":
    sys.exit(main())
