"""The emulator's HTTP face: Connect's REST-JSON routes (each operation's method and URI, read from the
model: `PUT /contact/task`, `POST /contacts/{InstanceId}/{ContactId}`, ...) plus `/_emulator/*` admin
routes.

Thin on purpose: it reads the body, routes, and turns outcomes into responses. Errors are answered the
way botocore's rest-json parser expects: the status, an `x-amzn-ErrorType` header and `{"Message": ...}`.
A lost response (the call took effect) is answered with its error, or the connection is closed before
any byte of a response is written.
"""

from __future__ import annotations

import contextlib
import json
import logging
import re
import socket
import threading
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Protocol
from urllib.parse import unquote

from local.connect_emulator.config import ConfigError, FaultConfig
from local.connect_emulator.errors import (
    EmulatorError,
    LostResponse,
    Serialization,
    UnknownContact,
    UnknownOperation,
)
from local.connect_emulator.operations import match_route
from local.connect_emulator.records import Counters, TaskRecord

LOGGER = logging.getLogger("local.connect_emulator")
ADMIN_PREFIX = "/_emulator"
_COMPLETE_TASK_PATH = re.compile(rf"{ADMIN_PREFIX}/tasks/(?P<contact_id>[^/]+)/complete")
_TASK_PATH = re.compile(rf"{ADMIN_PREFIX}/tasks/(?P<contact_id>[^/]+)")
MAX_BODY_BYTES = 8 * 1024 * 1024


class EmulatorBackend(Protocol):
    """What the HTTP layer needs from the emulator (ConnectEmulator provides it)."""

    def handle_operation(
        self,
        operation: str,
        raw_body: bytes,
        *,
        uri_labels: Mapping[str, str] | None = None,
        authorization: str | None,
    ) -> Mapping[str, Any]:
        """The answer document; raises EmulatorError (answered as such) or LostResponse (answer lost)."""
        ...

    def http_status(self, error: EmulatorError) -> int: ...
    def tasks(self) -> list[TaskRecord]: ...
    def task(self, contact_id: str) -> TaskRecord: ...
    def now(self) -> float: ...
    def counters(self) -> Counters: ...
    def reset(self) -> None: ...
    @property
    def faults(self) -> FaultConfig: ...
    def set_faults(self, faults: FaultConfig) -> None: ...
    def complete_task(self, contact_id: str) -> None: ...


class EmulatorHTTPServer(ThreadingHTTPServer):
    """A threading server that can also close idle keep-alive connections when it stops."""

    request_queue_size = 128  # the default 5 drops SYNs (1 s client stalls) with ~10 concurrent clients

    def __init__(self, address: tuple[str, int], backend: EmulatorBackend) -> None:
        self.address_family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        self.backend = backend
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        super().__init__(address, ConnectRequestHandler)

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._connections_lock:
            self._connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._connections_lock:
            self._connections.discard(request)
        super().shutdown_request(request)

    def close_connections(self) -> None:
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            with contextlib.suppress(OSError):  # the client may have closed it already
                connection.shutdown(socket.SHUT_RDWR)

    def handle_error(self, request: Any, client_address: Any) -> None:
        LOGGER.exception("connect emulator: unexpected error serving %s", client_address)


class ConnectRequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body are separate writes: no 40 ms delayed-ACK stalls
    server_version = "ConnectEmulator"
    server: EmulatorHTTPServer

    def do_PUT(self) -> None:
        self._dispatch("PUT")

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

    def _dispatch(self, method: str) -> None:
        backend = self.server.backend
        try:
            body = self._read_body()
            path = self.path.split("?", 1)[0]
            if path.startswith(ADMIN_PREFIX + "/"):
                self._admin(method, path, body, backend)
            elif (route := match_route(method, path)) is not None:
                operation, labels = route
                answer = backend.handle_operation(
                    operation, body, uri_labels=labels, authorization=self.headers.get("Authorization")
                )
                self._send_json(200, answer)
            else:
                raise UnknownOperation(f"No operation matches {method} {path}", rule="route")
        except EmulatorError as error:
            self._send_error(backend.http_status(error), error.error_type, error.message)
        except LostResponse as lost:
            self._lose_answer(lost, backend)
        except (ConnectionResetError, BrokenPipeError):
            self.close_connection = True

    def _lose_answer(self, lost: LostResponse, backend: EmulatorBackend) -> None:
        if lost.answer is not None:
            self._send_error(backend.http_status(lost.answer), lost.answer.error_type, lost.answer.message)
            return
        # Nothing is written: the client reads end-of-stream where the status line should be.
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)

    def _admin(self, method: str, path: str, body: bytes, backend: EmulatorBackend) -> None:
        route = (method, path.removeprefix(ADMIN_PREFIX))
        if route == ("GET", "/tasks"):
            now = datetime.fromtimestamp(backend.now(), UTC)
            self._send_json(200, {"Tasks": [task.to_json(now) for task in backend.tasks()]})
        elif route == ("GET", "/counters"):
            self._send_json(200, backend.counters().to_json())
        elif route == ("POST", "/reset"):
            backend.reset()
            self._send_json(200, {"Reset": True})
        elif route == ("GET", "/faults"):
            self._send_json(200, backend.faults.to_json())
        elif route == ("PUT", "/faults"):
            backend.set_faults(_faults_from_body(body))
            self._send_json(200, backend.faults.to_json())
        elif method == "POST" and (match := _COMPLETE_TASK_PATH.fullmatch(path)):
            self._complete(unquote(match.group("contact_id")), backend)
        elif method == "GET" and (match := _TASK_PATH.fullmatch(path)):
            self._task(unquote(match.group("contact_id")), backend)
        else:
            raise UnknownOperation(f"No emulator admin route matches {method} {path}", rule="route")

    def _task(self, contact_id: str, backend: EmulatorBackend) -> None:
        try:
            task = backend.task(contact_id)
        except UnknownContact as error:
            self._send_error(404, "ResourceNotFoundException", str(error))
            return
        self._send_json(200, task.to_json(datetime.fromtimestamp(backend.now(), UTC)))

    def _complete(self, contact_id: str, backend: EmulatorBackend) -> None:
        try:
            backend.complete_task(contact_id)
        except UnknownContact as error:
            self._send_error(404, "ResourceNotFoundException", str(error))
            return
        self._send_json(200, {"ContactId": contact_id, "Status": "COMPLETED"})

    def _read_body(self) -> bytes:
        length_header = self.headers.get("Content-Length")
        if length_header is None:
            if self.headers.get("Transfer-Encoding"):
                self.close_connection = True
                raise Serialization("Send a Content-Length; chunked bodies are not supported", rule="http")
            return b""
        try:
            length = int(length_header)
        except ValueError:
            length = -1
        if not 0 <= length <= MAX_BODY_BYTES:
            self.close_connection = True
            raise Serialization(f"Content-Length must be between 0 and {MAX_BODY_BYTES}", rule="http")
        return self.rfile.read(length)

    def _send_json(self, status: int, document: Mapping[str, Any]) -> None:
        self._send(status, json.dumps(document).encode(), {})

    def _send_error(self, status: int, error_type: str, message: str) -> None:
        body = json.dumps({"Message": message}).encode()
        self._send(status, body, {"x-amzn-ErrorType": error_type})

    def _send(self, status: int, body: bytes, headers: Mapping[str, str]) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("x-amzn-RequestId", str(uuid.uuid4()))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        LOGGER.debug("connect emulator: " + format, *args)


def _faults_from_body(body: bytes) -> FaultConfig:
    try:
        document = json.loads(body or b"{}")
        if not isinstance(document, dict):
            raise ConfigError("the fault settings must be a JSON object")
        return FaultConfig.from_json(document)
    except (ValueError, RecursionError) as error:  # bad JSON, or a ConfigError naming the setting
        raise _InvalidFaults(str(error), rule="faults") from None


class _InvalidFaults(Serialization):
    error_type = "InvalidFaultSettingsException"
