"""The benchmarks' peers, each in a process of its own: the Connect emulator and moto.

On AWS, SQS, DynamoDB and Connect run on other machines; here they share two cores with the function.
In the function's process they would also share its interpreter (the GIL) and its CPU clock, so the
figures would measure moto as much as the function. Each peer runs in a child process instead:

    with EmulatorProcess(faults) as connect, MotoProcess() as aws:
        connect.endpoint_url, connect.counters(), connect.set_faults({...})
        LocalPipeline.provision(aws, connect.endpoint_url, config)   # aws is an EmbeddedAws

The emulator is the project's own (``local.connect_emulator.serve``, as ``python -m local emulator``),
with its keep-alive HTTP/1.1 and ``TCP_NODELAY`` on every accepted socket, as Connect's endpoint has.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self

from local.aws import ADMIN_CLIENT_CONFIG, EmbeddedAws, EmbeddedAwsError, reset_moto

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

ROOT = Path(__file__).resolve().parent.parent
START_TIMEOUT_SECONDS = 30.0


def child_environment(**extra: str) -> dict[str, str]:
    """The environment of a child process: this one's, with the function's package on the path."""
    path = os.pathsep.join(filter(None, [str(ROOT / "lambda"), str(ROOT), os.environ.get("PYTHONPATH")]))
    return {**os.environ, "PYTHONPATH": path, **extra}


# What ``python -m local emulator --port 0 --faults JSON`` does, without importing the rest of the CLI.
_SERVE_EMULATOR = """
import json, sys
from local.connect_emulator import EmulatorConfig, FaultConfig, serve
serve("127.0.0.1", 0, EmulatorConfig(faults=FaultConfig.from_json(json.loads(sys.argv[1]))))
"""


class EmulatorProcess:
    """The Connect emulator (``local.connect_emulator.serve``) in a child process, with ``faults`` (its
    JSON form)."""

    def __init__(self, faults: Mapping[str, Any] | None = None) -> None:
        self._faults = dict(faults or {})
        self._process: subprocess.Popen[str] | None = None
        self.endpoint_url = ""

    def __enter__(self) -> Self:
        command = [sys.executable, "-c", _SERVE_EMULATOR, json.dumps(self._faults)]
        self._process = subprocess.Popen(
            command, cwd=ROOT, env=child_environment(), stdout=subprocess.PIPE, text=True
        )
        assert self._process.stdout is not None
        first_line = self._process.stdout.readline()  # "Amazon Connect emulator listening on http://..."
        if "listening on " not in first_line:
            self.__exit__(None, None, None)
            raise RuntimeError(f"the Connect emulator did not start: {first_line!r}")
        self.endpoint_url = first_line.rsplit("listening on ", 1)[1].strip()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._process is not None:
            self._process.terminate()
            self._process.communicate(timeout=10)
            self._process = None

    def counters(self) -> dict[str, Any]:
        return self._admin("GET", "/counters")

    def created(self) -> int:
        """Tasks created since the last reset."""
        return int(self.counters()["created"])

    def reset(self) -> None:
        """Tasks, tokens and counters forgotten; faults back to the ones it started with."""
        self._admin("POST", "/reset")

    def set_faults(self, faults: Mapping[str, Any]) -> None:
        self._admin("PUT", "/faults", faults)

    def _admin(self, method: str, path: str, body: Mapping[str, Any] | None = None) -> dict[str, Any]:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(f"{self.endpoint_url}/_emulator{path}", data=data, method=method)
        with urllib.request.urlopen(request, timeout=10) as response:
            document: dict[str, Any] = json.loads(response.read())
        return document


class MotoProcess(EmbeddedAws):
    """``EmbeddedAws`` whose moto servers run in child processes (``benchmarks.moto_server``): one for
    SQS and EventBridge, one for DynamoDB (moto serves one request at a time under its GIL; the ledger's
    calls would queue behind the event source's). The function reaches the second one through
    ``AWS_ENDPOINT_URL_DYNAMODB`` (``function_endpoints``).

    ``local.aws.EmbeddedAws`` serves moto in a thread of the caller's process; its clients and ``reset``
    are inherited unchanged (``reset`` clears both servers)."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        super().__init__(host)
        self._host_name = host
        self._children: list[subprocess.Popen[bytes]] = []
        self.dynamodb_endpoint_url = ""

    def start(self) -> str:
        if self._children:
            return self.endpoint_url
        urls = [self._spawn() for _ in range(2)]
        self._endpoint_url, self.dynamodb_endpoint_url = urls
        return urls[0]

    def __enter__(self) -> Self:
        self.start()
        return self

    def _spawn(self) -> str:
        port = _free_port(self._host_name)
        child = subprocess.Popen(
            [sys.executable, "-m", "benchmarks.moto_server", self._host_name, str(port)],
            cwd=ROOT,
            env=child_environment(),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self._children.append(child)
        url = f"http://{self._host_name}:{port}"
        _wait_until_serving(url + "/moto-api/data.json", child)
        return url

    def function_endpoints(self) -> dict[str, str]:
        """What the function's environment needs on top of ``local.aws.offline_environment``."""
        return {"AWS_ENDPOINT_URL_DYNAMODB": self.dynamodb_endpoint_url}

    def dynamodb(self) -> DynamoDBClient:
        if self._dynamodb is None:
            self._dynamodb = self._session().client(
                "dynamodb", endpoint_url=self.dynamodb_endpoint_url, config=ADMIN_CLIENT_CONFIG
            )
        return self._dynamodb

    def reset(self) -> None:
        for url in (self.endpoint_url, self.dynamodb_endpoint_url):
            reset_moto(url)

    def stop(self) -> None:
        for child in self._children:
            child.terminate()
            child.wait(timeout=10)
        self._children = []
        self._endpoint_url = None
        self._sqs = self._events = self._dynamodb = None


def _free_port(host: str) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        port: int = probe.getsockname()[1]
    return port


def _wait_until_serving(url: str, child: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if child.poll() is not None:
            raise EmbeddedAwsError(f"moto's server exited with {child.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                response.read()
            return
        except OSError:
            time.sleep(0.1)
    raise EmbeddedAwsError(f"moto's server did not answer within {START_TIMEOUT_SECONDS:g} s")
