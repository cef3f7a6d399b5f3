"""``make bench``: the six figures of issue 11, each against its goal with the naive peer beside it, then
where the handler's CPU and init go, then the design's own figures, the replay and the chaos run.

    PYTHONPATH=lambda .venv/bin/python -m benchmarks.run [--quick] [--events N] [--quota Q] ...

Everything stays on this machine: moto (two processes: SQS and EventBridge, DynamoDB) and the Connect
emulator (one process) answer on loopback; the function is the real one, built from the stack's
environment by its own ``build_dependencies``; the naive peer is ``benchmarks.naive``. Progress goes to
stderr, figures to stdout. See docs/benchmarks.md for what each figure measures and how faithfully.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks import figures
from benchmarks.batch_latency import BatchLatency, measure_batch_latency
from benchmarks.chaos import DEFAULT_EVENTS as CHAOS_EVENTS
from benchmarks.chaos import bench_chaos, print_report
from benchmarks.cold_start import build_assets, import_times, measure_cold_start
from benchmarks.design import machine, print_design
from benchmarks.hot_path import child_spec, measure_hot_path
from benchmarks.memory import measure_memory
from benchmarks.peers import ROOT, EmulatorProcess, MotoProcess
from benchmarks.profiling import Profile, measure_profile
from benchmarks.replay import DEFAULT_ORDERS as REPLAY_ORDERS
from benchmarks.replay import bench_replay, print_replay
from benchmarks.sustained import CEILING_EVENTS, HANDLER, NAIVE, round_trip_seconds, run_sustained
from benchmarks.workload import LEAN, LEDGER, bench_config, write_create_rules_mapping

DEPLOYMENTS = (LEAN, LEDGER)
QUICK = {
    "events": 300,
    "hot_batches": 60,
    "profile_batches": 100,
    "cold_runs": 3,
    "memory_events": 2_000,
    "latency_repeat": 8,
    "chaos_events": 0,
    "replay_orders": 10,
    "repeat": 3,
}


def progress(message: str) -> None:
    print(f"... {message}", file=sys.stderr, flush=True)


def parse_arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", type=int, default=2_000, help="figure 1-2's backlog (default 2000)")
    parser.add_argument("--quota", type=float, default=20.0, help="the emulator's StartTaskContact rps")
    parser.add_argument("--burst", type=int, default=20, help="the emulator's burst")
    parser.add_argument("--latency-ms", type=float, default=100.0, help="Connect latency, figures 1, 2, 5")
    parser.add_argument("--hot-batches", type=int, default=300, help="figure 3's batches of 10")
    parser.add_argument("--profile-batches", type=int, default=300, help="the profile's batches of 10")
    parser.add_argument("--cold-runs", type=int, default=7, help="figure 4's runs of each process")
    parser.add_argument("--memory-events", type=int, default=10_000, help="figure 6's events")
    parser.add_argument("--latency-repeat", type=int, default=20, help="figure 5's batches")
    parser.add_argument("--repeat", type=int, default=5, help="the design figures' runs")
    parser.add_argument("--chaos-events", type=int, default=CHAOS_EVENTS, help="0: no chaos run")
    parser.add_argument("--replay-orders", type=int, default=REPLAY_ORDERS, help="the replay's; 0: none")
    parser.add_argument("--profile-out", type=Path, default=ROOT / "build" / "benchmarks" / "handler.pstats")
    parser.add_argument("--quick", action="store_true", help="every count small: a check, not figures")
    arguments = parser.parse_args(argv)
    if arguments.quick:
        for name, value in QUICK.items():
            setattr(arguments, name, min(getattr(arguments, name), value))
    return arguments


@dataclass(frozen=True)
class Results:
    six: list[figures.Figure]
    profile: Profile
    imports: list[tuple[str, float, float]]
    batch_latency: BatchLatency


def measure_throughput(
    aws: MotoProcess, emulator: EmulatorProcess, arguments: argparse.Namespace, mapping_file: Path
) -> list[figures.Figure]:
    """Figures 1 and 2, from the same drains."""
    latency, quota = arguments.latency_ms / 1000, arguments.quota
    progress("figures 1-2: round trip, harness ceiling, the handler's and the naive peer's drains")
    round_trip = round_trip_seconds(emulator, aws, latency)
    common = {"burst": arguments.burst, "latency": latency, "mapping_file": mapping_file}
    ceiling_events = min(arguments.events, CEILING_EVENTS)
    ceiling = run_sustained(aws, emulator, HANDLER, events=ceiling_events, quota=None, **common)
    handler = run_sustained(aws, emulator, HANDLER, events=arguments.events, quota=quota, **common)
    naive = run_sustained(aws, emulator, NAIVE, events=arguments.events, quota=quota, **common)
    config = bench_config(LEDGER, mapping_file)
    return [
        figures.sustained_rate(handler, naive, ceiling, quota),
        figures.cost(
            handler,
            naive,
            quota=quota,
            containers=config.max_concurrency,
            round_trip=round_trip,
            parallel=config.max_parallel_calls,
        ),
    ]


def measure(arguments: argparse.Namespace, directory: Path) -> Results:
    mapping_file = write_create_rules_mapping(directory)
    with MotoProcess() as aws, EmulatorProcess() as emulator:

        def spec(deployment: str) -> dict[str, Any]:
            return child_spec(aws, emulator, deployment, mapping_file)

        six = measure_throughput(aws, emulator, arguments, mapping_file)
        progress("figure 3: CPU per record")
        hot = {
            name: measure_hot_path(spec(name), emulator, batches=arguments.hot_batches)
            for name in DEPLOYMENTS
        }
        six.append(figures.hot_path(hot[LEAN], hot[LEDGER]))
        progress("figure 4: cold starts (building the asset first)")
        assets = build_assets(directory, mapping_file)
        cold = {
            name: measure_cold_start(assets, spec(name), emulator, runs=arguments.cold_runs)
            for name in DEPLOYMENTS
        }
        six.append(figures.cold_start(cold[LEAN], cold[LEDGER]))
        imports = import_times(assets.compiled, spec(LEAN)["environment"])
        progress("figure 5: batch latency")
        latency = measure_batch_latency(
            aws, emulator, mapping_file, latency=arguments.latency_ms / 1000, repeat=arguments.latency_repeat
        )
        six.append(figures.batch_latency(latency))
        progress(f"figure 6: memory over {arguments.memory_events:,} events")
        events = arguments.memory_events
        ledger_spec = spec(LEDGER)
        memory_ledger = measure_memory(ledger_spec, emulator, "handler", events=events)
        memory_naive = measure_memory(ledger_spec, emulator, "naive", events=events)
        memory_lean = measure_memory(spec(LEAN), emulator, "handler", events=events)
        six.append(figures.memory(memory_ledger, memory_lean, memory_naive))
        progress("profile of the handler's CPU per record")
        profile = measure_profile(
            spec(LEAN), emulator, batches=arguments.profile_batches, keep_stats=arguments.profile_out
        )
    return Results(six, profile, imports, latency)


def print_profile(profile: Profile) -> None:
    print(
        f"\nWhere the handler's CPU goes ({profile.cpu_ms_per_record:.2f} ms per record, records inline, "
        f"{profile.records} records, {profile.samples} CPU samples)"
    )
    print("| self time in | share |\n| --- | ---: |")
    for name, share in profile.categories:
        print(f"| {name} | {share:.1%} |")
    print("\n| stage (cumulative) | share | ms per record |\n| --- | ---: | ---: |")
    for name, share in profile.stages:
        print(f"| {name} | {share:.1%} | {share * profile.cpu_ms_per_record:.2f} |")
    print("\n| function (cumulative CPU) | share |\n| --- | ---: |")
    for name, share in profile.inclusive[:20]:
        print(f"| {name} | {share:.1%} |")
    print("\n| function (cProfile self time, wall, waits left out) | ms per record |\n| --- | ---: |")
    for name, ms in profile.cprofile_top[:15]:
        print(f"| {name} | {ms:.3f} |")
    if profile.missing_tasks:
        print(
            f"INVALID: {profile.missing_tasks} tasks the profiled runs should have created were not created"
        )
    if profile.stats_file is not None:
        print(f"\ncProfile stats: python -m pstats {profile.stats_file}")


def print_imports(imports: list[tuple[str, float, float]]) -> None:
    total = sum(row[1] for row in imports)
    print(
        f"\npython -X importtime -c 'import task_creator.handler' (the compiled asset): {total:.0f} ms in all"
    )
    print("| module | self | cumulative |\n| --- | ---: | ---: |")
    for name, self_ms, cumulative_ms in imports[:15]:
        print(f"| {name.strip()} | {self_ms:.1f} ms | {cumulative_ms:.1f} ms |")


def main(argv: list[str] | None = None) -> int:
    arguments = parse_arguments(argv)
    print(f"Task Creator benchmarks: {machine()}")
    print(
        f"Q = {arguments.quota:g} rps (burst {arguments.burst}), 2 containers, Connect latency "
        f"{arguments.latency_ms:.0f} ms, backlog {arguments.events:,} events; naive peer in the same run\n"
    )
    with tempfile.TemporaryDirectory(prefix="task-creator-bench-") as directory:
        results = measure(arguments, Path(directory))
    for figure in results.six:
        print(figure.render())
    print_profile(results.profile)
    print_imports(results.imports)
    print()
    progress("the design's figures")
    print_design(arguments.repeat, results.batch_latency.by_parallel_calls, arguments.latency_ms)
    if arguments.replay_orders > 0:
        progress(f"the replay ({arguments.replay_orders:,} orders' events, all done before)")
        print()
        print_replay(bench_replay(arguments.replay_orders))
    if arguments.chaos_events > 0:
        progress(f"the chaos run ({arguments.chaos_events:,} events)")
        print()
        print_report(bench_chaos(arguments.chaos_events))
    return 0


if __name__ == "__main__":
    sys.exit(main())
