"""The container's collaborators are built once, at the first invocation, with the garbage collector
paused while botocore's models load, and frozen afterwards."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from task_creator import handler
from task_creator.errors import ConfigurationError


@pytest.fixture
def fresh_container(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(handler, "_container", None)
    for name in ("AWS_DEFAULT_REGION", "AWS_REGION"):
        monkeypatch.setenv(name, "us-east-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    yield
    gc.unfreeze()


def test_the_collaborators_are_built_once_with_the_collector_paused_then_frozen(
    fresh_container: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CONNECT_INSTANCE_ID", "11111111-2222-3333-4444-555555555555")
    monkeypatch.setenv("CONTACT_FLOW_ID", "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee")
    monkeypatch.setenv("IDEMPOTENCY_TABLE", "task-creator-ledger")  # built, never called
    collector_during_build: list[bool] = []
    build = handler.build_dependencies

    def observed_build(settings: handler.Settings) -> handler.Dependencies:
        collector_during_build.append(gc.isenabled())
        return build(settings)

    monkeypatch.setattr(handler, "build_dependencies", observed_build)
    gc.unfreeze()

    first = handler.container_dependencies()

    assert handler.container_dependencies() is first
    assert collector_during_build == [False]
    assert gc.isenabled()
    assert gc.get_freeze_count() > 0


def test_an_invalid_configuration_leaves_the_collector_running(
    fresh_container: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CONNECT_INSTANCE_ID", raising=False)

    with pytest.raises(ConfigurationError):
        handler.container_dependencies()

    assert gc.isenabled()
