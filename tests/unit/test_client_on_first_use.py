"""The SQS client stand-in: nothing is built until a method is used, and it is built once."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from task_creator.dependencies import BuiltOnFirstUse


class CountingFactory:
    def __init__(self) -> None:
        self.builds = 0
        self._lock = threading.Lock()

    def __call__(self) -> Any:
        with self._lock:
            self.builds += 1
        time.sleep(0.01)  # as slow as a real client to build: unlocked, every thread would build one
        return {"queue": "ingest"}  # a dict stands in for a client: .get is "a method"


def test_nothing_is_built_until_a_method_is_used() -> None:
    factory = CountingFactory()

    client = BuiltOnFirstUse(factory)

    assert factory.builds == 0
    assert client.get("queue") == "ingest"
    assert factory.builds == 1


def test_threads_that_reach_it_at_once_share_one_client() -> None:
    factory = CountingFactory()
    client = BuiltOnFirstUse(factory)

    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(lambda _: client.get("queue"), range(64)))

    assert answers == ["ingest"] * 64
    assert factory.builds == 1
