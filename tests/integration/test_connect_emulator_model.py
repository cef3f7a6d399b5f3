"""The emulator checks StartTaskContact requests against botocore's Connect model, like Connect does."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import boto3
import pytest
from botocore import UNSIGNED
from botocore.config import Config
from botocore.exceptions import ClientError
from mypy_boto3_connect import ConnectClient

from local.connect_emulator import ConnectEmulator
from local.connect_emulator.model_validation import MAX_NESTING, start_task_contact_model
from local.connect_emulator.patterns import UnsupportedPattern, compile_model_pattern

if TYPE_CHECKING:
    from tests.integration.conftest import EmulatorHttp

RequestBuilder = Callable[..., dict[str, Any]]
ClientFactory = Callable[..., ConnectClient]
INPUT_MEMBERS = start_task_contact_model().input_shape.members  # type: ignore[union-attr]


def _model_max(member: str) -> int:
    return int(INPUT_MEMBERS[member].metadata["max"])


def _message(error: pytest.ExceptionInfo[ClientError]) -> str:
    return str(error.value.response["Error"]["Message"])


def test_full_request_with_every_parameter_is_accepted_and_recorded_as_sent(
    connect_client: ConnectClient, connect_emulator: ConnectEmulator, task_request: RequestBuilder
) -> None:
    scheduled = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=2)
    request = task_request(
        PreviousContactId="a1b2c3d4-0000-4000-8000-00000000abcd",
        RelatedContactId="a1b2c3d4-0000-4000-8000-00000000dcba",
        Description="Customer reports the parcel was crushed in transit.",
        Attributes={"orderId": "1042", "customer_tier": "gold", "region-code": "eu-west"},
        References={
            "Order": {"Type": "URL", "Value": "https://shop.example.com/orders/1042"},
            "Amount": {"Type": "NUMBER", "Value": "129.90"},
            "Carrier": {"Type": "STRING", "Value": "ParcelCo"},
            "Due": {"Type": "DATE", "Value": "1767225600"},
            "Customer": {"Type": "EMAIL", "Value": "jane.doe@example.com"},
        },
        ScheduledTime=scheduled,
        SegmentAttributes={
            "connect:Subtype": {"ValueString": "connect:Guide"},
            "shop:Details": {
                "ValueMap": {"items": {"ValueInteger": 3}, "tags": {"ValueList": [{"ValueString": "x"}]}}
            },
        },
        Attachments=[
            {"FileName": "crushed-box.jpg", "S3Url": "https://bucket.s3.amazonaws.com/crushed-box.jpg"}
        ],
    )

    response = connect_client.start_task_contact(**request)

    contact_id = response["ContactId"]
    assert uuid.UUID(contact_id)
    [task] = connect_emulator.tasks()
    assert task.contact_id == contact_id
    assert task.client_token == request["ClientToken"]
    expected_wire = {**request, "ScheduledTime": int(scheduled.timestamp())}
    assert task.request == expected_wire


def test_missing_name_is_an_invalid_parameter(
    connect_emulator: ConnectEmulator, connect_client_factory: ClientFactory, task_request: RequestBuilder
) -> None:
    client = connect_client_factory(connect_emulator, parameter_validation=False)

    with pytest.raises(client.exceptions.InvalidParameterException) as error:
        client.start_task_contact(**task_request(Name=None))

    assert "'Name'" in _message(error)
    assert error.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert connect_emulator.tasks() == []


def test_name_longer_than_the_model_maximum_is_an_invalid_parameter(
    connect_client: ConnectClient, task_request: RequestBuilder
) -> None:
    longest = _model_max("Name")
    connect_client.start_task_contact(**task_request(Name="n" * longest))

    with pytest.raises(connect_client.exceptions.InvalidParameterException) as error:
        connect_client.start_task_contact(**task_request(Name="n" * (longest + 1)))

    assert "'Name'" in _message(error)
    assert f"less than or equal to {longest}" in _message(error)


def test_reference_type_outside_the_model_enum_names_the_member_path(
    connect_client: ConnectClient, task_request: RequestBuilder
) -> None:
    references = {"Order": {"Type": "WEBSITE", "Value": "https://shop.example.com/orders/1042"}}

    with pytest.raises(connect_client.exceptions.InvalidParameterException) as error:
        connect_client.start_task_contact(**task_request(References=references))

    assert "'References.Order.Type'" in _message(error)
    assert "enum" in _message(error)


def test_more_attachments_than_the_model_allows_is_an_invalid_parameter(
    connect_client: ConnectClient, task_request: RequestBuilder
) -> None:
    attachments = [
        {"FileName": f"photo-{index}.jpg", "S3Url": f"https://bucket.s3.amazonaws.com/photo-{index}.jpg"}
        for index in range(_model_max("Attachments") + 1)
    ]

    with pytest.raises(connect_client.exceptions.InvalidParameterException) as error:
        connect_client.start_task_contact(**task_request(Attachments=attachments))

    assert "'Attachments'" in _message(error)


def test_attachment_file_name_with_a_control_character_fails_the_model_pattern(
    connect_client: ConnectClient, task_request: RequestBuilder
) -> None:
    attachments = [{"FileName": "photo\u0007.jpg", "S3Url": "https://bucket.s3.amazonaws.com/p.jpg"}]

    with pytest.raises(connect_client.exceptions.InvalidParameterException) as error:
        connect_client.start_task_contact(**task_request(Attachments=attachments))

    assert "'Attachments[0].FileName'" in _message(error)
    assert "pattern" in _message(error)


def test_attachment_file_name_in_any_script_matches_the_model_pattern(
    connect_client: ConnectClient, task_request: RequestBuilder
) -> None:
    attachments = [{"FileName": "Übergabe 写真 №1.jpg", "S3Url": "https://bucket.s3.amazonaws.com/p.jpg"}]

    response = connect_client.start_task_contact(**task_request(Attachments=attachments))

    assert response["ContactId"]


def test_unknown_member_is_rejected(emulator_http: EmulatorHttp, task_request: RequestBuilder) -> None:
    response = emulator_http.start_task_contact(task_request(Priority=1))

    assert response.status == 400
    assert response.error_type == "InvalidParameterException"
    assert "'Priority'" in response.body["Message"]


@pytest.mark.parametrize(
    ("member", "value", "path"),
    [
        ("Attributes", {"orderId": 1042}, "'Attributes.orderId'"),
        ("ScheduledTime", "2030-01-01T00:00:00Z", "'ScheduledTime'"),
        ("Attachments", {"FileName": "a.jpg", "S3Url": "s3://b/a.jpg"}, "'Attachments'"),
        ("References", {"Order": {"Type": "URL", "Value": ["x"]}}, "'References.Order.Value'"),
        ("SegmentAttributes", {"a": {"ValueInteger": 1.5}}, "'SegmentAttributes.a.ValueInteger'"),
    ],
)
def test_member_of_the_wrong_json_type_is_rejected_with_its_path(
    emulator_http: EmulatorHttp, task_request: RequestBuilder, member: str, value: object, path: str
) -> None:
    response = emulator_http.start_task_contact(task_request(**{member: value}))

    assert response.status == 400
    assert response.error_type == "InvalidParameterException"
    assert path in response.body["Message"]


def test_body_that_is_not_json_is_a_serialization_error(emulator_http: EmulatorHttp) -> None:
    response = emulator_http.start_task_contact(b'{"InstanceId": ')

    assert response.status == 400
    assert response.error_type == "SerializationException"


def test_unsigned_request_from_boto3_is_refused_with_403(
    connect_emulator: ConnectEmulator, monkeypatch: pytest.MonkeyPatch, task_request: RequestBuilder
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL_CONNECT", connect_emulator.endpoint_url)
    unsigned = boto3.client(
        "connect",
        config=Config(signature_version=UNSIGNED, retries={"total_max_attempts": 1, "mode": "standard"}),
    )

    with pytest.raises(ClientError) as error:
        unsigned.start_task_contact(**task_request())

    assert error.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert error.value.response["Error"]["Code"] == "MissingAuthenticationTokenException"
    assert "Signature Version 4" in _message(error)
    assert connect_emulator.tasks() == []


def test_authorization_header_that_is_not_sigv4_is_refused_with_403(
    emulator_http: EmulatorHttp, task_request: RequestBuilder
) -> None:
    response = emulator_http.start_task_contact(task_request(), authorization="Bearer abc.def")

    assert response.status == 403
    assert response.error_type == "IncompleteSignatureException"


def test_segment_attributes_nested_deeper_than_the_limit_are_rejected(
    emulator_http: EmulatorHttp, task_request: RequestBuilder
) -> None:
    value: dict[str, Any] = {"ValueString": "leaf"}
    for _ in range(MAX_NESTING):
        value = {"ValueMap": {"inner": value}}

    response = emulator_http.start_task_contact(task_request(SegmentAttributes={"outer": value}))

    assert response.status == 400
    assert f"more than {MAX_NESTING} levels" in response.body["Message"]


@pytest.mark.parametrize(
    ("pattern", "matching", "not_matching"),
    [
        (r"^\P{C}*$", "Übergabe 写真 №1.jpg", "tab\there"),
        (r"^[\P{C}\r\n\t]+$", "line one\nline two", "zero\u200bwidth"),
        (r"^[^\p{C}]*$", "plain", "nul\x00"),
        (r"^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$", "Région 12:a/b", "semi;colon"),
    ],
)
def test_model_patterns_with_unicode_properties_keep_their_meaning(
    pattern: str, matching: str, not_matching: str
) -> None:
    compiled = compile_model_pattern(pattern)

    assert compiled.search(matching)
    assert not compiled.search(not_matching)


def test_unknown_unicode_property_in_a_model_pattern_fails_loudly() -> None:
    with pytest.raises(UnsupportedPattern):
        compile_model_pattern(r"^\p{Greek}+$")
