"""Tasks being created in this container right now, by ClientToken: one Connect call per token at once.

Two records of one batch that resolve to the same ClientToken (a duplicate publish, or two events with
the same business identity) run concurrently. Without this, the second would meet the first's
IN_PROGRESS ledger record and be retried as if the ledger were down. With it, the second waits for the
first and reports its ContactId as a duplicate; if the first fails, the second fails the same way.
"""

from __future__ import annotations

import threading
from concurrent.futures import Future
from dataclasses import dataclass


@dataclass(frozen=True)
class Claim:
    """``leader``: this caller creates the task and must ``settle`` the future; otherwise it waits."""

    future: Future[str]
    leader: bool


class InFlightTasks:
    def __init__(self) -> None:
        self._futures: dict[str, Future[str]] = {}
        self._lock = threading.Lock()

    def claim(self, client_token: str) -> Claim:
        with self._lock:
            running = self._futures.get(client_token)
            if running is not None:
                return Claim(running, leader=False)
            future: Future[str] = Future()
            self._futures[client_token] = future
            return Claim(future, leader=True)

    def settle(self, client_token: str, *, contact_id: str | None, error: BaseException | None) -> None:
        """The leader's outcome, handed to every caller waiting on the same token."""
        with self._lock:
            future = self._futures.pop(client_token)
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(contact_id or "")
