"""Embedded AWS for the offline runtime: moto's server on loopback, and the clients that talk to it.

moto runs as a real HTTP server (``ThreadedMotoServer``) rather than in-process ``mock_aws``: the function's
own boto3 clients reach it through the standard ``AWS_ENDPOINT_URL`` variable, exactly as they would
reach AWS, and the Connect client reaches the emulator through ``AWS_ENDPOINT_URL_CONNECT``.

moto keeps its state per process, so two ``EmbeddedAws`` in one process share it; ``reset()`` clears it.
"""

from __future__ import annotations

import contextlib
import logging
import os
import urllib.request
from collections.abc import Iterator, Mapping
from types import TracebackType
from typing import TYPE_CHECKING

import boto3
from botocore.config import Config

from local.identifiers import LOCAL_REGION

if TYPE_CHECKING:
    from moto.server import ThreadedMotoServer
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_events import EventBridgeClient
    from mypy_boto3_sqs import SQSClient

DUMMY_CREDENTIALS: Mapping[str, str] = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
}
# Service-specific endpoint variables a developer may have exported for another tool: in the offline
# runtime every one of them must point at moto (the generic AWS_ENDPOINT_URL alone would lose to them).
SERVICE_ENDPOINT_VARIABLES = (
    "AWS_ENDPOINT_URL_SQS",
    "AWS_ENDPOINT_URL_DYNAMODB",
    "AWS_ENDPOINT_URL_EVENTBRIDGE",
    "AWS_ENDPOINT_URL_SNS",
)
ADMIN_CLIENT_CONFIG = Config(
    retries={"mode": "standard", "max_attempts": 3}, connect_timeout=3, read_timeout=30
)


def reset_moto(endpoint_url: str) -> None:
    """Make the moto server at ``endpoint_url`` forget every resource and message."""
    request = urllib.request.Request(f"{endpoint_url}/moto-api/reset", method="POST")
    with urllib.request.urlopen(request, timeout=10) as response:
        response.read()


class EmbeddedAwsError(RuntimeError):
    """moto's server could not start, or was used before it started."""


class EmbeddedAws:
    """moto's server on loopback: EventBridge, SQS and DynamoDB for the local pipeline."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self._host = host
        self._port = port
        self._server: ThreadedMotoServer | None = None
        self._endpoint_url: str | None = None
        self._boto_session: boto3.Session | None = None
        self._sqs: SQSClient | None = None
        self._events: EventBridgeClient | None = None
        self._dynamodb: DynamoDBClient | None = None

    def start(self) -> str:
        """Serve in a background thread; returns the endpoint URL (port 0: a free port)."""
        if self._server is not None:
            return self.endpoint_url
        # Importing moto's server takes about a second: only the commands that need it pay for it.
        from moto.server import ThreadedMotoServer  # noqa: PLC0415

        _silence_request_logs()
        server = ThreadedMotoServer(ip_address=self._host, port=self._port, verbose=False)
        try:
            server.start()
        except OSError as error:
            raise EmbeddedAwsError(
                f"cannot start moto on {self._host}:{self._port}: {error.strerror}"
            ) from None
        host, port = server.get_host_and_port()
        self._server = server
        self._endpoint_url = f"http://{host}:{port}"
        return self._endpoint_url

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
        self._server = None
        self._endpoint_url = None
        self._sqs = self._events = self._dynamodb = None

    def __enter__(self) -> EmbeddedAws:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.stop()

    @property
    def endpoint_url(self) -> str:
        if self._endpoint_url is None:
            raise EmbeddedAwsError("embedded AWS is not started")
        return self._endpoint_url

    def reset(self) -> None:
        """Forget every resource and message (moto's ``/moto-api/reset``)."""
        reset_moto(self.endpoint_url)

    # clients for the runtime's own work (provisioning, publishing, inspecting); one of each, shared
    def sqs(self) -> SQSClient:
        if self._sqs is None:
            self._sqs = self._session().client(
                "sqs", endpoint_url=self.endpoint_url, config=ADMIN_CLIENT_CONFIG
            )
        return self._sqs

    def events(self) -> EventBridgeClient:
        if self._events is None:
            self._events = self._session().client(
                "events", endpoint_url=self.endpoint_url, config=ADMIN_CLIENT_CONFIG
            )
        return self._events

    def dynamodb(self) -> DynamoDBClient:
        if self._dynamodb is None:
            self._dynamodb = self._session().client(
                "dynamodb", endpoint_url=self.endpoint_url, config=ADMIN_CLIENT_CONFIG
            )
        return self._dynamodb

    def _session(self) -> boto3.Session:
        """Dummy credentials and the local region, whatever the machine's AWS configuration says."""
        if self._boto_session is None:
            self._boto_session = boto3.Session(
                aws_access_key_id=DUMMY_CREDENTIALS["AWS_ACCESS_KEY_ID"],
                aws_secret_access_key=DUMMY_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
                aws_session_token=DUMMY_CREDENTIALS["AWS_SESSION_TOKEN"],
                region_name=LOCAL_REGION,
            )
        return self._boto_session


def offline_environment(aws_endpoint_url: str, connect_endpoint_url: str) -> dict[str, str | None]:
    """What the function's environment needs so its plain ``boto3.client(...)`` calls stay on loopback:
    every AWS service at moto, Connect at the emulator, dummy credentials, the local region, and no
    profile or shared config that could point anywhere else (None: the variable is removed)."""
    environment: dict[str, str | None] = {
        "AWS_ENDPOINT_URL": aws_endpoint_url,
        "AWS_ENDPOINT_URL_CONNECT": connect_endpoint_url,
        "AWS_DEFAULT_REGION": LOCAL_REGION,
        "AWS_REGION": LOCAL_REGION,
        "AWS_PROFILE": None,
        "AWS_DEFAULT_PROFILE": None,
        "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": None,
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        **DUMMY_CREDENTIALS,
    }
    environment.update(dict.fromkeys(SERVICE_ENDPOINT_VARIABLES, aws_endpoint_url))
    return environment


@contextlib.contextmanager
def patched_environ(changes: Mapping[str, str | None]) -> Iterator[None]:
    """Apply ``changes`` to ``os.environ`` (None removes a variable); restore every variable afterwards."""
    saved = {name: os.environ.get(name) for name in changes}
    try:
        _apply(changes)
        yield
    finally:
        _apply(saved)


def _apply(values: Mapping[str, str | None]) -> None:
    for name, value in values.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


def _silence_request_logs() -> None:
    """moto's server logs one line per request (and tracebacks of what it does not implement)."""
    logging.getLogger("werkzeug").setLevel(logging.CRITICAL)
