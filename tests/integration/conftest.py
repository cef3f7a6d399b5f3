"""Shared set-up for tests/integration: the `integration` marker, dummy AWS credentials, and a Connect
emulator on loopback (`connect_emulator`) with a real boto3 client pointed at it (`connect_client`)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from http.client import HTTPConnection
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import boto3
import pytest
from botocore.config import Config
from mypy_boto3_connect import ConnectClient

from local.connect_emulator import ConnectEmulator, EmulatorConfig
from tests.integration.pipeline_support import (  # noqa: F401 - fixtures of the offline pipeline tests
    _embedded_aws_session,
    embedded_aws,
    function_outcomes,
    make_pipeline,
)

INTEGRATION_TESTS_DIR = Path(__file__).parent
FAKE_SIGV4_AUTHORIZATION = (
    "AWS4-HMAC-SHA256 Credential=testing/20250101/us-east-1/connect/aws4_request, "
    "SignedHeaders=content-type;host;x-amz-date, Signature=" + "0" * 64
)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if INTEGRATION_TESTS_DIR in item.path.parents:
            item.add_marker(pytest.mark.integration)


@pytest.fixture(autouse=True)
def _aws_test_credentials(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    """Dummy credentials and region; no shared config or profile from the machine can leak in."""
    no_config = tmp_path_factory.getbasetemp() / "no-aws-config"
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SECURITY_TOKEN": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_REGION": "us-east-1",
        "AWS_CONFIG_FILE": str(no_config),
        "AWS_SHARED_CREDENTIALS_FILE": str(no_config),
    }.items():
        monkeypatch.setenv(name, value)
    for name in (
        "AWS_PROFILE",
        "AWS_DEFAULT_PROFILE",
        "AWS_ENDPOINT_URL",
        "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS",
    ):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(scope="session")
def _connect_emulator_session() -> Iterator[ConnectEmulator]:
    with ConnectEmulator(EmulatorConfig()) as emulator:
        yield emulator


@pytest.fixture
def connect_emulator(_connect_emulator_session: ConnectEmulator) -> ConnectEmulator:
    """One emulator for the session (default config: any id exists, no faults), reset for each test."""
    _connect_emulator_session.reset()
    return _connect_emulator_session


def make_connect_client(*, parameter_validation: bool = True) -> ConnectClient:
    """A real boto3 Connect client that tries once (botocore's `max_attempts: 1` would still retry once:
    it counts retries; `total_max_attempts` counts calls). It reads AWS_ENDPOINT_URL_CONNECT when created."""
    config = Config(
        retries={"total_max_attempts": 1, "mode": "standard"}, parameter_validation=parameter_validation
    )
    return boto3.client("connect", region_name="us-east-1", config=config)


@pytest.fixture
def connect_client(connect_emulator: ConnectEmulator, monkeypatch: pytest.MonkeyPatch) -> ConnectClient:
    """A boto3 Connect client that talks to `connect_emulator` through AWS_ENDPOINT_URL_CONNECT."""
    monkeypatch.setenv("AWS_ENDPOINT_URL_CONNECT", connect_emulator.endpoint_url)
    return make_connect_client()


@dataclass(frozen=True)
class RawResponse:
    status: int
    headers: Mapping[str, str]
    body: Any

    @property
    def error_type(self) -> str | None:
        return self.headers.get("x-amzn-errortype")


class EmulatorHttp:
    """Plain HTTP to the emulator, for what botocore will not send (unknown members, no signature) and
    for the `/_emulator/*` admin routes."""

    def __init__(self, endpoint_url: str) -> None:
        parts = urlsplit(endpoint_url)
        self._host, self._port = parts.hostname or "127.0.0.1", parts.port or 80

    def start_task_contact(
        self, body: object, *, authorization: str | None = FAKE_SIGV4_AUTHORIZATION
    ) -> RawResponse:
        headers = {"Content-Type": "application/json"}
        if authorization is not None:
            headers["Authorization"] = authorization
        return self.request("PUT", "/contact/task", body, headers)

    def request(
        self, method: str, path: str, body: object = None, headers: Mapping[str, str] | None = None
    ) -> RawResponse:
        payload = b"" if body is None else body if isinstance(body, bytes) else json.dumps(body).encode()
        connection = HTTPConnection(self._host, self._port, timeout=10)
        try:
            connection.request(method, path, body=payload, headers=dict(headers or {}))
            response = connection.getresponse()
            raw = response.read()
            return RawResponse(
                status=response.status,
                headers={name.lower(): value for name, value in response.getheaders()},
                body=json.loads(raw) if raw else None,
            )
        finally:
            connection.close()


@pytest.fixture
def emulator_http(connect_emulator: ConnectEmulator) -> EmulatorHttp:
    """Raw HTTP to `connect_emulator`."""
    return EmulatorHttp(connect_emulator.endpoint_url)


@pytest.fixture
def connect_client_factory(
    monkeypatch: pytest.MonkeyPatch,
) -> Callable[..., ConnectClient]:
    """Build boto3 Connect clients for any emulator: `factory(emulator, parameter_validation=False)`."""

    def build(emulator: ConnectEmulator, *, parameter_validation: bool = True) -> ConnectClient:
        monkeypatch.setenv("AWS_ENDPOINT_URL_CONNECT", emulator.endpoint_url)
        return make_connect_client(parameter_validation=parameter_validation)

    return build


CONNECT_INSTANCE_ID = "11111111-2222-3333-4444-555555555555"


@pytest.fixture
def task_request() -> Callable[..., dict[str, Any]]:
    """Build a minimal valid StartTaskContact request: `task_request(Name="x", ContactFlowId=None)`
    (a None override removes the member)."""

    def build(**overrides: Any) -> dict[str, Any]:
        request: dict[str, Any] = {
            "InstanceId": CONNECT_INSTANCE_ID,
            "ContactFlowId": "f0e1d2c3-0000-4000-8000-000000000001",
            "Name": "Order 1042 arrived damaged",
            "ClientToken": str(uuid.uuid4()),
        }
        request.update(overrides)
        return {name: value for name, value in request.items() if value is not None}

    return build
