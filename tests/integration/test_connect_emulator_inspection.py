"""What tests and benchmarks read back: tasks (their current state and history), counters (per
operation too), reset and completion, over HTTP and in Python; and starting and stopping the emulator,
including `serve` as the CLI runs it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Callable
from datetime import datetime
from http.client import HTTPConnection
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import pytest
from mypy_boto3_connect import ConnectClient

from local.connect_emulator import EMULATED_OPERATIONS, ConnectEmulator, EmulatorNotRunning, UnknownContact

if TYPE_CHECKING:
    from tests.integration.conftest import EmulatorHttp

RequestBuilder = Callable[..., dict[str, Any]]
REPOSITORY_ROOT = Path(__file__).resolve().parents[2]


def test_tasks_endpoint_lists_each_task_with_the_request_as_received(
    connect_client: ConnectClient, emulator_http: EmulatorHttp, task_request: RequestBuilder
) -> None:
    request = task_request(Attributes={"orderId": "1042"}, ClientToken="token-1042")
    contact_id = connect_client.start_task_contact(**request)["ContactId"]

    answer = emulator_http.request("GET", "/_emulator/tasks")

    assert answer.status == 200
    [task] = answer.body["Tasks"]
    assert task["ContactId"] == contact_id
    assert task["InstanceId"] == request["InstanceId"]
    assert task["ClientToken"] == "token-1042"
    assert task["Request"] == request
    assert task["Status"] == "ACTIVE"
    assert datetime.fromisoformat(task["CreatedTime"]).tzinfo is not None


def test_counters_endpoint_accounts_for_every_call(
    connect_client: ConnectClient, emulator_http: EmulatorHttp, task_request: RequestBuilder
) -> None:
    request = task_request()
    connect_client.start_task_contact(**request)
    connect_client.start_task_contact(**request)
    emulator_http.start_task_contact(task_request(ContactFlowId=None))
    emulator_http.start_task_contact(task_request(), authorization=None)

    counters = emulator_http.request("GET", "/_emulator/counters").body

    assert counters["calls"] == 4
    assert (counters["created"], counters["duplicates"], counters["active"]) == (1, 1, 1)
    assert counters["rejections"] == {"InvalidRequestException": 1, "MissingAuthenticationTokenException": 1}
    assert counters["rejections_by_rule"] == {"flow_selector": 1, "sigv4": 1}
    assert counters["throttles"] == 0
    assert counters["injected_faults"] == {}
    assert counters["lost_responses"] == {}


def test_reset_endpoint_forgets_tasks_tokens_and_counters(
    connect_client: ConnectClient,
    connect_emulator: ConnectEmulator,
    emulator_http: EmulatorHttp,
    task_request: RequestBuilder,
) -> None:
    request = task_request()
    before = connect_client.start_task_contact(**request)["ContactId"]

    assert emulator_http.request("POST", "/_emulator/reset").status == 200

    assert connect_emulator.tasks() == []
    assert connect_emulator.counters().calls == 0
    assert connect_client.start_task_contact(**request)["ContactId"] != before


def test_complete_endpoint_ends_a_task_once_and_unknown_ids_are_not_found(
    connect_client: ConnectClient,
    connect_emulator: ConnectEmulator,
    emulator_http: EmulatorHttp,
    task_request: RequestBuilder,
) -> None:
    contact_id = connect_client.start_task_contact(**task_request())["ContactId"]

    first = emulator_http.request("POST", f"/_emulator/tasks/{contact_id}/complete")
    again = emulator_http.request("POST", f"/_emulator/tasks/{contact_id}/complete")
    unknown = emulator_http.request("POST", "/_emulator/tasks/no-such-contact/complete")

    assert first.status == again.status == 200
    assert first.body == {"ContactId": contact_id, "Status": "COMPLETED"}
    assert unknown.status == 404
    [task] = connect_emulator.tasks()
    assert not task.active
    counters = connect_emulator.counters()
    assert (counters.completed, counters.active) == (1, 0)
    with pytest.raises(UnknownContact):
        connect_emulator.complete_task("no-such-contact")


@pytest.mark.parametrize(
    ("method", "path"), [("GET", "/contact/task"), ("POST", "/_emulator/nothing"), ("GET", "/")]
)
def test_unknown_routes_are_not_found(emulator_http: EmulatorHttp, method: str, path: str) -> None:
    answer = emulator_http.request(method, path)

    assert answer.status == 404
    assert answer.error_type == "UnknownOperationException"


def test_emulator_refuses_a_second_start_and_has_no_endpoint_once_stopped() -> None:
    emulator = ConnectEmulator()
    with pytest.raises(EmulatorNotRunning):
        _ = emulator.endpoint_url

    with emulator:
        with pytest.raises(RuntimeError, match="already serving"):
            emulator.start()
        assert emulator.endpoint_url.startswith("http://127.0.0.1:")

    with pytest.raises(EmulatorNotRunning):
        _ = emulator.endpoint_url
    emulator.stop()  # stopping twice is harmless


def test_serve_prints_its_endpoint_serves_and_exits_cleanly_on_ctrl_c() -> None:
    script = (
        "from local.connect_emulator import EmulatorConfig, serve; serve('127.0.0.1', 0, EmulatorConfig())"
    )
    environment = {**os.environ, "PYTHONPATH": str(REPOSITORY_ROOT)}
    with subprocess.Popen(
        [sys.executable, "-c", script], stdout=subprocess.PIPE, text=True, env=environment
    ) as process:
        assert process.stdout is not None
        banner = process.stdout.readline()
        endpoint = urlsplit(banner.rsplit(" ", 1)[-1].strip())
        connection = HTTPConnection(endpoint.hostname or "", endpoint.port, timeout=10)
        connection.request("GET", "/_emulator/counters")
        status = connection.getresponse().status
        connection.close()
        process.send_signal(signal.SIGINT)
        remaining_output, _ = process.communicate(timeout=20)

    assert banner.startswith("Amazon Connect emulator listening on http://127.0.0.1:")
    assert status == 200
    assert process.returncode == 0
    assert "stopped" in remaining_output


# the lifecycle in the inspection API -------------------------------------------------------------------
INSTANCE = "11111111-2222-3333-4444-555555555555"


def test_tasks_endpoint_shows_each_task_in_its_current_state_with_its_history(
    connect_client: ConnectClient, emulator_http: EmulatorHttp, task_request: RequestBuilder
) -> None:
    request = task_request(Attributes={"orderId": "1042"})
    contact_id = connect_client.start_task_contact(**request)["ContactId"]
    connect_client.update_contact(InstanceId=INSTANCE, ContactId=contact_id, Name="Refund approved")
    connect_client.update_contact_attributes(
        InstanceId=INSTANCE, InitialContactId=contact_id, Attributes={"status": "refunded"}
    )
    connect_client.stop_contact(InstanceId=INSTANCE, ContactId=contact_id)

    [task] = emulator_http.request("GET", "/_emulator/tasks").body["Tasks"]
    one = emulator_http.request("GET", f"/_emulator/tasks/{contact_id}")

    assert one.status == 200
    assert one.body == task
    assert task["Request"] == request  # as received, whatever happened since
    assert task["Status"] == "COMPLETED"
    current = task["Contact"]
    assert (current["State"], current["Name"], current["DisconnectReason"]) == (
        "STOPPED",
        "Refund approved",
        "API",
    )
    assert current["Attributes"] == {"orderId": "1042", "status": "refunded"}
    assert current["DisconnectTime"] == task["CompletedTime"]
    history = task["History"]
    assert [entry["Operation"] for entry in history] == [
        "StartTaskContact",
        "UpdateContact",
        "UpdateContactAttributes",
        "StopContact",
    ]
    assert history[1]["Fields"] == ["Name"]
    assert history[2]["Fields"] == ["Attributes.status"]
    assert all(datetime.fromisoformat(entry["Time"]).tzinfo is not None for entry in history)
    assert [entry["ViaContactId"] for entry in history] == [None] * 4


def test_task_endpoint_for_an_unknown_contact_is_not_found(
    connect_emulator: ConnectEmulator, emulator_http: EmulatorHttp
) -> None:
    answer = emulator_http.request("GET", "/_emulator/tasks/no-such-contact")

    assert answer.status == 404
    with pytest.raises(UnknownContact):
        connect_emulator.task("no-such-contact")


def test_counters_have_figures_per_operation_and_the_top_level_stays_start_task_contacts(
    connect_client: ConnectClient, emulator_http: EmulatorHttp, task_request: RequestBuilder
) -> None:
    contact_id = connect_client.start_task_contact(**task_request())["ContactId"]
    connect_client.describe_contact(InstanceId=INSTANCE, ContactId=contact_id)
    connect_client.stop_contact(InstanceId=INSTANCE, ContactId=contact_id)
    for _ in range(2):
        with pytest.raises(connect_client.exceptions.InvalidRequestException):
            connect_client.stop_contact(InstanceId=INSTANCE, ContactId=contact_id)

    counters = emulator_http.request("GET", "/_emulator/counters").body

    assert (counters["calls"], counters["created"], counters["rejections"]) == (1, 1, {})
    assert (counters["completed"], counters["active"]) == (1, 0)
    operations = counters["operations"]
    assert set(operations) == set(EMULATED_OPERATIONS)
    assert operations["StopContact"]["calls"] == 3
    assert operations["StopContact"]["succeeded"] == 1
    assert operations["StopContact"]["rejections"] == {"InvalidRequestException": 2}
    assert operations["StopContact"]["rejections_by_rule"] == {"contact_ended": 2}
    assert operations["DescribeContact"]["succeeded"] == operations["StartTaskContact"]["succeeded"] == 1
    for figures in operations.values():
        assert figures["calls"] == figures["succeeded"] + sum(figures["rejections"].values())
