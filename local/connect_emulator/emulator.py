"""`ConnectEmulator`: the Python API (start and stop, inspection, faults) and `serve` for the CLI."""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Callable, Mapping
from types import FrameType, TracebackType
from typing import Any

from local.connect_emulator.config import EmulatorConfig, FaultConfig
from local.connect_emulator.errors import EmulatorError
from local.connect_emulator.operations import START_TASK_CONTACT
from local.connect_emulator.records import Counters, TaskRecord
from local.connect_emulator.server import EmulatorHTTPServer
from local.connect_emulator.service import ConnectService


class EmulatorNotRunning(RuntimeError):
    """The emulator has no endpoint: call `start()` first."""


class ConnectEmulator:
    """An HTTP peer of Amazon Connect's task operations on loopback: StartTaskContact, UpdateContact,
    UpdateContactAttributes, UpdateContactSchedule, StopContact and DescribeContact.

    Point boto3 at it with `AWS_ENDPOINT_URL_CONNECT=<endpoint_url>`. Thread-safe; one instance can be
    started once at a time and reused across tests with `reset()`.
    """

    def __init__(
        self,
        config: EmulatorConfig | None = None,
        *,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.config = config or EmulatorConfig()
        self._service = ConnectService(self.config, clock=clock, sleep=sleep)
        self._server: EmulatorHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._endpoint_url: str | None = None

    # lifecycle ------------------------------------------------------------------------------------
    def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Serve on `host:port` (0: a free port) in a background thread; returns the endpoint URL."""
        if self._server is not None:
            raise RuntimeError(f"the emulator is already serving on {self._endpoint_url}")
        server = EmulatorHTTPServer((host, port), self)
        shown_host = f"[{host}]" if ":" in host else host
        self._endpoint_url = f"http://{shown_host}:{server.server_port}"
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.1}, name="connect-emulator", daemon=True
        )
        self._thread.start()
        return self._endpoint_url

    def stop(self) -> None:
        """Stop serving and close open connections (a no-op when not started)."""
        server, thread = self._server, self._thread
        if server is None or thread is None:
            return
        server.shutdown()
        server.close_connections()
        server.server_close()
        thread.join()
        self._server = self._thread = self._endpoint_url = None

    def __enter__(self) -> ConnectEmulator:
        if self._server is None:
            self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def endpoint_url(self) -> str:
        if self._endpoint_url is None:
            raise EmulatorNotRunning("the Connect emulator is not started")
        return self._endpoint_url

    # inspection and control ------------------------------------------------------------------------
    def tasks(self) -> list[TaskRecord]:
        """Every task created since the last reset, oldest first, each in its current state."""
        return self._service.store.tasks()

    def task(self, contact_id: str) -> TaskRecord:
        """One task in its current state, with its history. Raises UnknownContact."""
        return self._service.store.task(contact_id)

    def now(self) -> float:
        """The emulator's clock (epoch seconds): what decides whether a scheduled task has started."""
        return self._service.now()

    def counters(self) -> Counters:
        return self._service.store.counters()

    def reset(self) -> None:
        """Forget tasks, client tokens, chains and counters; faults return to `config.faults`."""
        self._service.reset()

    @property
    def faults(self) -> FaultConfig:
        return self._service.faults

    def set_faults(self, faults: FaultConfig) -> None:
        """Replace the injected faults from now on (use `dataclasses.replace(emulator.faults, ...)`)."""
        self._service.set_faults(faults)

    def complete_task(self, contact_id: str) -> None:
        """End a task as an agent would, freeing its slot of the active-task quota. Raises UnknownContact."""
        self._service.complete_task(contact_id)

    # what the HTTP layer calls ----------------------------------------------------------------------
    def handle_operation(
        self,
        operation: str,
        raw_body: bytes,
        *,
        uri_labels: Mapping[str, str] | None = None,
        authorization: str | None,
    ) -> Mapping[str, Any]:
        return self._service.call(operation, raw_body, uri_labels=uri_labels, authorization=authorization)

    def handle_start_task_contact(self, raw_body: bytes, *, authorization: str | None) -> str:
        contact_id = self.handle_operation(START_TASK_CONTACT, raw_body, authorization=authorization)
        return str(contact_id["ContactId"])

    def http_status(self, error: EmulatorError) -> int:
        return self._service.http_status(error)


def serve(host: str, port: int, config: EmulatorConfig) -> None:
    """Run an emulator in the foreground: print its endpoint, serve until Ctrl-C (or SIGTERM), stop."""
    stopped = threading.Event()
    restore = _stop_on_sigterm(stopped)
    emulator = ConnectEmulator(config)
    try:
        endpoint = emulator.start(host, port)
        print(f"Amazon Connect emulator listening on {endpoint}", flush=True)
        print(f"  export AWS_ENDPOINT_URL_CONNECT={endpoint}", flush=True)
        stopped.wait()
    except KeyboardInterrupt:
        pass
    finally:
        emulator.stop()
        restore()
    print("Amazon Connect emulator stopped", flush=True)


def _stop_on_sigterm(stopped: threading.Event) -> Callable[[], None]:
    """Make SIGTERM end `serve` like Ctrl-C (main thread only); returns how to undo it."""
    if threading.current_thread() is not threading.main_thread():
        return lambda: None

    def on_sigterm(signum: int, frame: FrameType | None) -> None:
        stopped.set()

    previous = signal.signal(signal.SIGTERM, on_sigterm)

    def restore() -> None:
        signal.signal(signal.SIGTERM, previous)

    return restore
