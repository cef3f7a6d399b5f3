"""The infra tests: CDK synth, template assertions, cdk-nag and the bundled asset.

Every test here is marked ``infra`` unless its module declares itself ``unit`` (the pure functions the
stack is built from). The synthesized apps are session fixtures: each variant is synthesized once.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
os.environ.setdefault("AWS_EC2_METADATA_DISABLED", "true")

from tests.infra.generated_mappings import write_generated_mapping
from tests.infra.synthesis import (
    ALARM_EMAIL,
    BASE_CONTEXT,
    LIFECYCLE_MAPPING,
    OUTCOME_LOOPS_MAPPING,
    OUTCOME_SOURCE,
    PRODUCER_ARN,
    SELECTORS_MAPPING,
    SKIP_BUNDLING,
    SynthesizedApp,
    synthesize_app,
)

INFRA_TESTS_DIR = Path(__file__).parent


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if INFRA_TESTS_DIR in item.path.parents and item.get_closest_marker("unit") is None:
            item.add_marker(pytest.mark.infra)


@pytest.fixture(scope="session")
def default_app(tmp_path_factory: pytest.TempPathFactory) -> SynthesizedApp:
    """The stack as `make synth` builds it: the shipped mapping, a default flow, every default, bundled."""
    return synthesize_app(BASE_CONTEXT, tmp_path_factory.mktemp("default-app"))


@pytest.fixture(scope="session")
def selectors_app(tmp_path_factory: pytest.TempPathFactory) -> SynthesizedApp:
    """A standard-queue stack on the test mapping: literal selectors, an $or rule, a rendered flow."""
    context = {
        **BASE_CONTEXT,
        **SKIP_BUNDLING,
        "mappingFile": str(SELECTORS_MAPPING),
        "maxBatchingWindowSeconds": "5",
        "batchSize": "50",
        "maxConcurrency": "4",
        "maxReceiveCount": "3",
        "outcomeEventBus": "task-outcomes",  # outcome events on a bus of their own
    }
    return synthesize_app(context, tmp_path_factory.mktemp("selectors-app"))


@pytest.fixture(scope="session")
def lifecycle_app(tmp_path_factory: pytest.TempPathFactory) -> SynthesizedApp:
    """A stack on a mapping with every lifecycle action: a create with a taskKey, an update, a
    reschedule and a complete (tests/infra/data/lifecycle.mapping.json)."""
    context = {**BASE_CONTEXT, **SKIP_BUNDLING, "mappingFile": str(LIFECYCLE_MAPPING)}
    return synthesize_app(context, tmp_path_factory.mktemp("lifecycle-app"))


@pytest.fixture(scope="session")
def fifo_app(tmp_path_factory: pytest.TempPathFactory) -> SynthesizedApp:
    """Every option turned the other way: FIFO, own bus, no ledger, e-mail, a producer, no tracing, no
    outcome events, no archive."""
    context = {
        **BASE_CONTEXT,
        **SKIP_BUNDLING,
        "stackName": "OrdersTasks",
        "fifo": "true",
        "createEventBus": "true",
        "idempotency": "false",
        "alarmEmail": ALARM_EMAIL,
        "producerPrincipals": PRODUCER_ARN,
        "connectCallsPerSecond": "2.5",
        "tracing": "false",
        "tokenNamespace": "orders-prod",
        "outcomeEvents": "false",
        "archiveDays": "0",
        # Lifecycle rules need the ledger: without it, the shipped mapping's create rules alone.
        "mappingFile": str(INFRA_TESTS_DIR / "data" / "create-only.mapping.json"),
    }
    return synthesize_app(context, tmp_path_factory.mktemp("fifo-app"))


@pytest.fixture(scope="session")
def outcomes_app(tmp_path_factory: pytest.TempPathFactory) -> SynthesizedApp:
    """Outcome events on the stack's own bus, which is also the ingest bus, under a source the mapping's
    rules would match (tests/infra/data/outcome-loops.mapping.json), and a 30-day archive."""
    context = {
        **BASE_CONTEXT,
        **SKIP_BUNDLING,
        "stackName": "Outcomes",
        "createEventBus": "true",
        "outcomeSource": OUTCOME_SOURCE,
        "archiveDays": "30",
        "mappingFile": str(OUTCOME_LOOPS_MAPPING),
    }
    return synthesize_app(context, tmp_path_factory.mktemp("outcomes-app"))


@pytest.fixture(scope="session")
def generated_mapping_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A generated 200-rule mapping (tests/infra/generated_mappings.py): more than one bus rule's worth."""
    return write_generated_mapping(tmp_path_factory.mktemp("generated-mapping"), 200)


@pytest.fixture(scope="session")
def generated_app(tmp_path_factory: pytest.TempPathFactory, generated_mapping_file: Path) -> SynthesizedApp:
    """The stack on the generated 200-rule mapping, with fifo (both queue pairs)."""
    context = {**BASE_CONTEXT, **SKIP_BUNDLING, "mappingFile": str(generated_mapping_file), "fifo": "true"}
    return synthesize_app(context, tmp_path_factory.mktemp("generated-app"))
