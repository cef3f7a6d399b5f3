"""``make demo``: the whole pipeline offline, twice over the same samples.

Two deployments are provisioned from the CDK configuration (``cdk.json``'s context) and the shipped
mapping, as ``cdk deploy`` would create them: the standard one (bus rule on the default bus -> ingest
queue -> function) and one with ``fifo=true`` (its own bus -> its standard ingest queue, plus a FIFO
ingest queue that producers send to with their own message groups; both feed its function). The
samples' EventBridge events and plain messages go to the standard deployment, the records of the FIFO
batch, with their message groups, to the FIFO ingest queue. Both share the Connect emulator and
embedded AWS.

Round 1 publishes every Lambda-shaped sample in ``events/`` the way it would arrive
(``local.publish``), drains both event sources, and collects what happened: the tasks Connect received
(the emulator), the function's outcomes (its logs), the dead letters (every DLQ). The lifecycle samples
(follow-ups: updates, reschedules, completions) are published after the rest, one message at a time, in
the order their files give (``local.demo_lifecycle``), so an out-of-order arrival is shown as it
converges; what became of each task key is collected too. Round 2 publishes the same samples again and
shows what changed: nothing, where idempotency holds. Each round also collects the outcome events the
function published. Then the archive's window is replayed onto the bus rules (``local.demo_replay``):
no task may be created, each task from a bus event is reported a duplicate. At the end, the state and
history of every task registered under a key is read from the emulator.

A sample that cannot be read or published (not JSON, a bare payload, a request AWS refuses) is
reported (``progress`` and ``DemoResult.skipped``) and left out; the others run as usual.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from botocore.exceptions import BotoCoreError, ClientError

from infra.config import TaskCreatorConfig
from infra.paths import REPO_ROOT
from local.aws import EmbeddedAws
from local.connect_emulator import ConnectEmulator, EmulatorConfig, TaskRecord
from local.demo_lifecycle import (
    KeyStep,
    KeyTask,
    StepLog,
    function_steps,
    key_steps,
    key_tasks,
    settle,
    split_follow_ups,
)
from local.demo_replay import OutcomeLog, ReplayResult, replay_archive
from local.demo_setup import Progress, SkippedSample, load_samples, local_configs, skip_sample
from local.event_source import BatchResult, SqsEventSource, drain
from local.function_output import FunctionOutcome, OutcomeRecorder, captured_function_output
from local.outcome_events import OutcomeEvent
from local.pipeline import LocalPipeline, PipelineOptions
from local.publish import Destination, Publication, Publisher, SampleError, SampleMessage
from local.redrive import QueueMessage, inspect_queue
from task_creator.observability import Outcome

DEFAULT_EVENTS_DIR = REPO_ROOT / "events"
DEFAULT_LOG_FILE = REPO_ROOT / "build" / "demo" / "function.log"
DEFAULT_TIMEOUT_SECONDS = 45.0

# What publishing a malformed sample raises: our own checks, botocore's parameter validation, the service.
PUBLISH_ERRORS = (SampleError, BotoCoreError, ClientError, KeyError, TypeError, ValueError)


@dataclass(frozen=True)
class RoundResult:
    """What one publication of the samples produced."""

    publications: tuple[Publication, ...]
    outcomes: tuple[FunctionOutcome, ...]
    new_tasks: tuple[TaskRecord, ...]
    new_dead_letters: tuple[QueueMessage, ...]
    connect_duplicates: int
    seconds: float
    skipped: tuple[SkippedSample, ...] = ()  # messages that could not be published
    follow_ups: int = 0  # lifecycle messages published one at a time, after the rest
    lifecycle: tuple[KeyStep, ...] = ()  # what the function did about each task key, in order
    outcome_events: tuple[OutcomeEvent, ...] = ()  # what the function published, as a subscriber got it

    def outcomes_of(self, kind: Outcome) -> list[FunctionOutcome]:
        return [outcome for outcome in self.outcomes if outcome.outcome == kind]


@dataclass(frozen=True)
class DemoResult:
    aws_endpoint: str
    connect_endpoint: str
    pipelines: tuple[LocalPipeline, ...]
    samples: tuple[SampleMessage, ...]  # the messages published in each round
    rounds: tuple[RoundResult, ...]
    log_file: Path
    skipped: tuple[SkippedSample, ...] = ()  # samples left out: unreadable, or refused when published
    key_tasks: tuple[KeyTask, ...] = ()  # every task key at the end: its task's state and history
    replay: ReplayResult | None = None  # the archive's window replayed after the rounds


class DemoRun:
    """The running demo: embedded AWS, the emulator, two pipelines, and the publisher."""

    def __init__(
        self,
        aws: EmbeddedAws,
        connect: ConnectEmulator,
        pipelines: Sequence[LocalPipeline],
        recorder: OutcomeRecorder,
        *,
        timeout_seconds: float,
        progress: Progress,
        steps: StepLog | None = None,
    ) -> None:
        self.aws = aws
        self.connect = connect
        self.pipelines = tuple(pipelines)
        self.recorder = recorder
        self.steps = steps or StepLog()
        self.timeout_seconds = timeout_seconds
        self.progress = progress
        standard = self.pipelines[0]
        fifo = next((p for p in self.pipelines if p.config.fifo), None)
        self.publisher = Publisher(
            aws.events(),
            aws.sqs(),
            standard=Destination(
                event_bus_name=standard.topology.event_bus_name,
                bus_pattern=standard.topology.event_pattern,
                queue_url=standard.topology.ingest_queue.url,
            ),
            fifo_queue_url=(
                fifo.topology.fifo_ingest_queue.url
                if fifo is not None and fifo.topology.fifo_ingest_queue is not None
                else None
            ),
        )
        self.outcome_log = OutcomeLog(aws, self.pipelines)
        self._seen_tasks: set[str] = set()
        self._seen_dead_letters: set[str] = set()
        self._connect_duplicates = 0

    def run_round(self, samples: Sequence[SampleMessage]) -> RoundResult:
        started = time.monotonic()
        self.recorder.clear()
        self.steps.clear()
        rest, follow_ups = split_follow_ups(samples, self.pipelines[0].mapping)
        publications, skipped = self._publish(rest)
        forwarded = sum(1 for publication in publications if publication.forwarded)
        self.progress(f"published {len(publications)} messages ({forwarded} reach an ingest queue); draining")
        self._drain()
        if follow_ups:
            self.progress(f"publishing {len(follow_ups)} lifecycle messages one at a time, in arrival order")
            for sample in follow_ups:
                published, refused = self._publish([sample])
                publications += published
                skipped += refused
                settle(self._sources, timeout_seconds=self.timeout_seconds, on_batch=self._report_batch)
            self._drain()
        tasks = self._new_tasks()
        dead_letters = [
            message
            for pipeline in self.pipelines
            for queue in pipeline.topology.dead_letter_queues
            for message in inspect_queue(self.aws.sqs(), queue.url)
            if message.message_id not in self._seen_dead_letters
        ]
        self._seen_dead_letters.update(message.message_id for message in dead_letters)
        duplicates = self.connect.counters().duplicates
        connect_duplicates, self._connect_duplicates = duplicates - self._connect_duplicates, duplicates
        return RoundResult(
            publications=tuple(publications),
            outcomes=tuple(self.recorder.outcomes()),
            new_tasks=tuple(tasks),
            new_dead_letters=tuple(dead_letters),
            connect_duplicates=connect_duplicates,
            seconds=time.monotonic() - started,
            skipped=tuple(skipped),
            follow_ups=len(follow_ups),
            lifecycle=tuple(key_steps(publications, self.steps.steps(), self.pipelines[0].mapping)),
            outcome_events=tuple(self.outcome_log.new_events()),
        )

    def replay(self, rounds: Sequence[RoundResult]) -> ReplayResult | None:
        """Replay the standard deployment's archive (the bus the samples went to), then drain."""
        return replay_archive(
            self.aws,
            self.pipelines[0],
            tasks=[task for r in rounds for task in r.new_tasks],
            publications=[publication for r in rounds for publication in r.publications],
            outcomes=[outcome for r in rounds for outcome in r.outcomes],
            drain=self._drain,
            new_tasks=self._new_tasks,
            outcome_log=self.outcome_log,
        )

    def _new_tasks(self) -> list[TaskRecord]:
        tasks = [task for task in self.connect.tasks() if task.contact_id not in self._seen_tasks]
        self._seen_tasks.update(task.contact_id for task in tasks)
        return tasks

    @property
    def _sources(self) -> list[SqsEventSource]:
        return [source for pipeline in self.pipelines for source in pipeline.event_sources]

    def _drain(self) -> None:
        drain(self._sources, timeout_seconds=self.timeout_seconds, on_batch=self._report_batch)

    def _publish(self, samples: Sequence[SampleMessage]) -> tuple[list[Publication], list[SkippedSample]]:
        """Publish each sample; one that is refused is reported and left out, the rest go on."""
        publications: list[Publication] = []
        skipped: list[SkippedSample] = []
        for sample in samples:
            try:
                publications.append(self.publisher.publish_one(sample))
            except PUBLISH_ERRORS as error:
                skipped.append(skip_sample(sample.origin, f"{type(error).__name__}: {error}", self.progress))
        return publications, skipped

    def _report_batch(self, batch: BatchResult) -> None:
        queue = batch.queue_arn.rsplit(":", 1)[-1]
        detail = f", invocation failed: {batch.invocation_error}" if batch.invocation_error else ""
        retried = f", {batch.failed} left for retry" if batch.failed else ""
        self.progress(f"  {queue}: batch of {batch.received}, {batch.deleted} done{retried}{detail}")


def run_demo(
    *,
    events_dir: Path = DEFAULT_EVENTS_DIR,
    log_file: Path = DEFAULT_LOG_FILE,
    timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS,
    progress: Progress = lambda line: None,
    configs: tuple[TaskCreatorConfig, ...] | None = None,
) -> DemoResult:
    """Run both rounds; the function's logs and metrics go to ``log_file``."""
    samples, skipped = load_samples(events_dir, progress)
    configs = configs or local_configs()
    log_file.parent.mkdir(parents=True, exist_ok=True)
    progress("starting embedded AWS (moto) and the Amazon Connect emulator")
    emulator_config = EmulatorConfig(
        instance_ids={c.connect_instance_id for c in configs},
        contact_flow_ids={c.contact_flow_id for c in configs if c.contact_flow_id} or None,
    )
    with EmbeddedAws() as aws, ConnectEmulator(emulator_config) as connect, log_file.open("w") as log:
        progress("provisioning " + ", ".join(f"{c.stack_name} ({_kind(c)})" for c in configs))
        pipelines = [
            LocalPipeline.provision(aws, connect.endpoint_url, c, PipelineOptions()) for c in configs
        ]
        with captured_function_output(log) as recorder, function_steps() as steps:
            run = DemoRun(
                aws,
                connect,
                pipelines,
                recorder,
                timeout_seconds=timeout_seconds,
                progress=progress,
                steps=steps,
            )
            progress("round 1: publishing every sample")
            first = run.run_round(samples)
            published = [publication.message for publication in first.publications]
            progress("round 2: publishing the same samples again")
            second = run.run_round(published)
            progress("replaying the archive's window onto the bus rules")
            replay = run.replay([first, second])
        lifecycle = key_tasks([*first.lifecycle, *second.lifecycle], connect)
        return DemoResult(
            aws_endpoint=aws.endpoint_url,
            connect_endpoint=connect.endpoint_url,
            pipelines=tuple(pipelines),
            samples=tuple(published),
            rounds=(first, second),
            log_file=log_file,
            skipped=(*skipped, *first.skipped, *second.skipped),
            key_tasks=tuple(lifecycle),
            replay=replay,
        )


def _kind(config: TaskCreatorConfig) -> str:
    return "FIFO" if config.fifo else "standard"
