"""Connect's documented StartTaskContact rules, beyond the model: one test per rule."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError
from mypy_boto3_connect import ConnectClient

from local.connect_emulator import ConnectEmulator, EmulatorConfig

RequestBuilder = Callable[..., dict[str, Any]]
ClientFactory = Callable[..., ConnectClient]
SECRET = "SECRET-4111-1111-1111-1111"
FROZEN_NOW = 1_900_000_000.0


def _message(error: pytest.ExceptionInfo[ClientError]) -> str:
    return str(error.value.response["Error"]["Message"])


def _code(error: pytest.ExceptionInfo[ClientError]) -> str:
    return str(error.value.response["Error"]["Code"])


# flow selector ---------------------------------------------------------------------------------------
def test_request_without_any_flow_selector_is_an_invalid_request(
    connect_client: ConnectClient, task_request: RequestBuilder
) -> None:
    with pytest.raises(connect_client.exceptions.InvalidRequestException) as error:
        connect_client.start_task_contact(**task_request(ContactFlowId=None))

    assert "Exactly one of ContactFlowId, QuickConnectId, TaskTemplateId" in _message(error)


def test_request_with_two_flow_selectors_is_an_invalid_request(
    connect_client: ConnectClient, task_request: RequestBuilder
) -> None:
    with pytest.raises(connect_client.exceptions.InvalidRequestException) as error:
        connect_client.start_task_contact(**task_request(TaskTemplateId="template-1"))

    assert "given: ContactFlowId, TaskTemplateId" in _message(error)


@pytest.mark.parametrize("selector", ["ContactFlowId", "QuickConnectId", "TaskTemplateId"])
def test_each_flow_selector_alone_is_accepted(
    connect_client: ConnectClient, task_request: RequestBuilder, selector: str
) -> None:
    request = task_request(**{"ContactFlowId": None, selector: "resource-1"})

    assert connect_client.start_task_contact(**request)["ContactId"]


# attributes -------------------------------------------------------------------------------------------
def test_attribute_key_with_characters_outside_the_allowed_set_is_an_invalid_parameter(
    connect_client: ConnectClient, task_request: RequestBuilder
) -> None:
    with pytest.raises(connect_client.exceptions.InvalidParameterException) as error:
        connect_client.start_task_contact(**task_request(Attributes={"ok_key": "1", "order id": "2"}))

    assert "Attributes: key #2" in _message(error)


def test_attributes_over_32768_utf8_bytes_are_an_invalid_parameter(
    connect_client: ConnectClient, task_request: RequestBuilder
) -> None:
    fits = {"a": "x" * 16_383, "b": "é" * 8_191}  # 1 + 16383 + 1 + 16382 = 32767 bytes
    connect_client.start_task_contact(**task_request(Attributes=fits))

    too_big = {"a": "x" * 16_383, "b": "é" * 8_192}  # 32769 bytes
    with pytest.raises(connect_client.exceptions.InvalidParameterException) as error:
        connect_client.start_task_contact(**task_request(Attributes=too_big))

    assert "32769 UTF-8 bytes" in _message(error)


# references -------------------------------------------------------------------------------------------
def test_reference_type_not_allowed_at_task_creation_is_an_invalid_parameter(
    connect_client: ConnectClient, task_request: RequestBuilder
) -> None:
    references = {"Photo": {"Type": "ATTACHMENT", "Value": "photo.jpg"}}

    with pytest.raises(connect_client.exceptions.InvalidParameterException) as error:
        connect_client.start_task_contact(**task_request(References=references))

    assert "References.Photo.Type" in _message(error)


@pytest.mark.parametrize(
    ("reference_type", "value"),
    [
        ("STRING", ""),
        ("DATE", "2030-01-01"),
        ("DATE", "17672256000000"),
        ("NUMBER", "twelve"),
        ("NUMBER", "nan"),
        ("EMAIL", "jane.doe.example.com"),
        ("URL", "ftp://files.example.com/order.pdf"),
        ("URL", "shop.example.com/orders/1042"),
    ],
)
def test_reference_value_that_does_not_fit_its_type_is_an_invalid_parameter(
    connect_client: ConnectClient, task_request: RequestBuilder, reference_type: str, value: str
) -> None:
    references = {"Ref": {"Type": reference_type, "Value": value}}

    with pytest.raises(connect_client.exceptions.InvalidParameterException) as error:
        connect_client.start_task_contact(**task_request(References=references))

    assert "References.Ref.Value" in _message(error)


@pytest.mark.parametrize(
    ("reference_type", "value"),
    [
        ("DATE", "1767225600"),
        ("DATE", "1767225600000"),
        ("NUMBER", "-3.25"),
        ("EMAIL", "jane.doe@example.com"),
        ("URL", "http://intranet.example.com/case?id=7"),
    ],
)
def test_reference_value_in_its_type_format_is_accepted(
    connect_client: ConnectClient, task_request: RequestBuilder, reference_type: str, value: str
) -> None:
    references = {"Ref": {"Type": reference_type, "Value": value}}

    assert connect_client.start_task_contact(**task_request(References=references))["ContactId"]


def test_reference_without_a_value_is_an_invalid_parameter(
    connect_client: ConnectClient, task_request: RequestBuilder
) -> None:
    with pytest.raises(connect_client.exceptions.InvalidParameterException) as error:
        connect_client.start_task_contact(**task_request(References={"Note": {"Type": "STRING"}}))

    assert "References.Note.Value must not be empty" in _message(error)


def test_references_over_4096_utf8_bytes_are_an_invalid_parameter(
    connect_client: ConnectClient, task_request: RequestBuilder
) -> None:
    references = {
        "A": {"Type": "STRING", "Value": "x" * 2_047},
        "B": {"Type": "STRING", "Value": "y" * 2_048},
    }

    with pytest.raises(connect_client.exceptions.InvalidParameterException) as error:
        connect_client.start_task_contact(**task_request(References=references))

    assert "4097 UTF-8 bytes" in _message(error)


# scheduled time ---------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def frozen_clock_emulator() -> Iterator[ConnectEmulator]:
    """An emulator whose clock reads FROZEN_NOW, so the window edges are exact."""
    with ConnectEmulator(EmulatorConfig(), clock=lambda: FROZEN_NOW) as emulator:
        yield emulator


@pytest.mark.parametrize(
    "offset_seconds",
    [-3_600, -61, 6 * 86_400 + 61, 30 * 86_400],
    ids=["1h-ago", "61s-ago", "6d1m-ahead", "30d-ahead"],
)
def test_scheduled_time_in_the_past_or_beyond_six_days_is_an_invalid_parameter(
    frozen_clock_emulator: ConnectEmulator,
    connect_client_factory: ClientFactory,
    task_request: RequestBuilder,
    offset_seconds: int,
) -> None:
    client = connect_client_factory(frozen_clock_emulator)

    with pytest.raises(client.exceptions.InvalidParameterException) as error:
        client.start_task_contact(**task_request(ScheduledTime=FROZEN_NOW + offset_seconds))

    assert "ScheduledTime must" in _message(error)


@pytest.mark.parametrize("offset_seconds", [-59, 0, 6 * 86_400, 6 * 86_400 + 59])
def test_scheduled_time_inside_the_window_and_clock_skew_is_accepted(
    frozen_clock_emulator: ConnectEmulator,
    connect_client_factory: ClientFactory,
    task_request: RequestBuilder,
    offset_seconds: int,
) -> None:
    client = connect_client_factory(frozen_clock_emulator)

    assert client.start_task_contact(**task_request(ScheduledTime=FROZEN_NOW + offset_seconds))["ContactId"]


def test_scheduling_window_is_configurable(
    connect_client_factory: ClientFactory, task_request: RequestBuilder
) -> None:
    config = EmulatorConfig(scheduled_time_max_ahead=timedelta(hours=1))
    with ConnectEmulator(config, clock=lambda: FROZEN_NOW) as emulator:
        client = connect_client_factory(emulator)
        client.start_task_contact(**task_request(ScheduledTime=FROZEN_NOW + 3_600))

        with pytest.raises(client.exceptions.InvalidParameterException) as error:
            client.start_task_contact(**task_request(ScheduledTime=FROZEN_NOW + 7_200))

    assert "at most 3600 seconds in the future" in _message(error)


# known resources --------------------------------------------------------------------------------------
KNOWN = {
    "InstanceId": "instance-1",
    "ContactFlowId": "flow-1",
    "TaskTemplateId": "template-1",
    "QuickConnectId": "qc-1",
}


@pytest.fixture(scope="module")
def emulator_with_known_resources() -> Iterator[ConnectEmulator]:
    config = EmulatorConfig(
        instance_ids={KNOWN["InstanceId"]},
        contact_flow_ids={KNOWN["ContactFlowId"]},
        task_template_ids={KNOWN["TaskTemplateId"]},
        quick_connect_ids={KNOWN["QuickConnectId"]},
    )
    with ConnectEmulator(config) as emulator:
        yield emulator


@pytest.mark.parametrize("selector", ["ContactFlowId", "TaskTemplateId", "QuickConnectId"])
def test_known_resources_are_accepted(
    emulator_with_known_resources: ConnectEmulator,
    connect_client_factory: ClientFactory,
    task_request: RequestBuilder,
    selector: str,
) -> None:
    client = connect_client_factory(emulator_with_known_resources)
    request = task_request(
        **{"InstanceId": KNOWN["InstanceId"], "ContactFlowId": None, selector: KNOWN[selector]}
    )

    assert client.start_task_contact(**request)["ContactId"]


@pytest.mark.parametrize("member", ["InstanceId", "ContactFlowId", "TaskTemplateId", "QuickConnectId"])
def test_unknown_resource_id_is_resource_not_found(
    emulator_with_known_resources: ConnectEmulator,
    connect_client_factory: ClientFactory,
    task_request: RequestBuilder,
    member: str,
) -> None:
    client = connect_client_factory(emulator_with_known_resources)
    selector = member if member != "InstanceId" else "ContactFlowId"
    request = task_request(
        **{"InstanceId": KNOWN["InstanceId"], "ContactFlowId": None, selector: KNOWN[selector]}
    )
    request[member] = "does-not-exist"

    with pytest.raises(client.exceptions.ResourceNotFoundException) as error:
        client.start_task_contact(**request)

    assert error.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
    assert f"{member} does-not-exist does not exist" in _message(error)


def test_default_emulator_accepts_any_instance_id(
    connect_client: ConnectClient, task_request: RequestBuilder
) -> None:
    assert connect_client.start_task_contact(**task_request(InstanceId="any-instance-at-all"))["ContactId"]


# linked-task chain ------------------------------------------------------------------------------------
def test_thirteenth_task_linked_to_one_contact_exceeds_the_chain_quota(
    connect_client: ConnectClient, connect_emulator: ConnectEmulator, task_request: RequestBuilder
) -> None:
    for _ in range(12):
        connect_client.start_task_contact(**task_request(PreviousContactId="voice-contact-1"))

    with pytest.raises(connect_client.exceptions.ServiceQuotaExceededException) as error:
        connect_client.start_task_contact(**task_request(PreviousContactId="voice-contact-1"))

    assert error.value.response["ResponseMetadata"]["HTTPStatusCode"] == 402
    assert "linked-task chain" in _message(error)
    assert "active-task" not in _message(error)
    assert connect_emulator.counters().created == 12
    assert connect_client.start_task_contact(**task_request(PreviousContactId="voice-contact-2"))["ContactId"]


def test_tasks_linked_through_earlier_tasks_count_towards_the_same_chain(
    connect_client: ConnectClient, task_request: RequestBuilder
) -> None:
    previous = "voice-contact-1"
    for _ in range(12):  # each task links to the one before: one chain rooted at voice-contact-1
        previous = connect_client.start_task_contact(**task_request(PreviousContactId=previous))["ContactId"]

    with pytest.raises(connect_client.exceptions.ServiceQuotaExceededException):
        connect_client.start_task_contact(**task_request(PreviousContactId=previous))


# sensitive content ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "overrides",
    [
        {"Name": SECRET * 100},
        {"Description": SECRET * 300},
        {"Attributes": {"note": SECRET, "big": "x" * 32_760}},
        {"Attributes": {SECRET + " key": "1"}},
        {"Attributes": {"note": 7, "other": SECRET}},
        {"References": {"Card": {"Type": "NUMBER", "Value": SECRET}}},
        {"References": {"Card": {"Type": SECRET, "Value": SECRET}}},
        {"References": {"Card": {"Type": "STRING", "Value": SECRET * 200}}},
        {"ContactFlowId": None, "Name": SECRET},
    ],
    ids=[
        "long-name",
        "long-description",
        "big-attributes",
        "bad-attribute-key",
        "attribute-type",
        "number-reference",
        "reference-type",
        "big-references",
        "no-selector",
    ],
)
def test_rejections_never_echo_task_content(
    emulator_http: Any, task_request: RequestBuilder, overrides: dict[str, Any]
) -> None:
    response = emulator_http.start_task_contact(task_request(**overrides))

    assert response.status == 400
    assert "SECRET" not in response.body["Message"]


def test_clock_skew_allows_a_scheduled_time_a_few_seconds_old(
    connect_client: ConnectClient, task_request: RequestBuilder
) -> None:
    assert connect_client.start_task_contact(**task_request(ScheduledTime=time.time() - 5))["ContactId"]
