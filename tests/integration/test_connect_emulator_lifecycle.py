"""The task lifecycle through a real boto3 client: UpdateContact, UpdateContactAttributes,
UpdateContactSchedule, StopContact and DescribeContact, with the model's validation and Connect's rules.
(Faults on these operations: test_connect_emulator_behaviour.py; inspection: ..._inspection.py.)"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from mypy_boto3_connect import ConnectClient

from local.connect_emulator import ConnectEmulator, EmulatorConfig
from local.connect_emulator.operations import EMULATED_OPERATIONS, operation_model, routes

if TYPE_CHECKING:
    from tests.integration.conftest import EmulatorHttp

RequestBuilder = Callable[..., dict[str, Any]]
ClientFactory = Callable[..., ConnectClient]
INSTANCE = "11111111-2222-3333-4444-555555555555"
FROZEN_NOW = 1_900_000_000.0
DAY = 86_400
SIGNED = {
    "Content-Type": "application/json",
    "Authorization": "AWS4-HMAC-SHA256 Credential=testing/20250101/us-east-1/connect/aws4_request, "
    "SignedHeaders=host;x-amz-date, Signature=" + "0" * 64,
}
SECRET = "SECRET-4111-1111-1111-1111"


def _code(error: pytest.ExceptionInfo[ClientError]) -> str:
    return str(error.value.response["Error"]["Code"])


def _message(error: pytest.ExceptionInfo[ClientError]) -> str:
    return str(error.value.response["Error"]["Message"])


def _start(client: ConnectClient, task_request: RequestBuilder, **overrides: Any) -> str:
    return client.start_task_contact(**task_request(**overrides))["ContactId"]


def _call(
    client: ConnectClient,
    operation: str,
    contact_id: str,
    instance_id: str = INSTANCE,
    *,
    now: float | None = None,
) -> Any:
    """Call one lifecycle operation on a task with a minimal valid request (a reschedule to a day after
    `now`, default the wall clock)."""
    tomorrow = _at((time.time() if now is None else now) + DAY)
    calls: dict[str, Callable[[], Any]] = {
        "UpdateContact": lambda: client.update_contact(
            InstanceId=instance_id, ContactId=contact_id, Name="Renamed"
        ),
        "UpdateContactAttributes": lambda: client.update_contact_attributes(
            InstanceId=instance_id, InitialContactId=contact_id, Attributes={"status": "open"}
        ),
        "UpdateContactSchedule": lambda: client.update_contact_schedule(
            InstanceId=instance_id, ContactId=contact_id, ScheduledTime=tomorrow
        ),
        "StopContact": lambda: client.stop_contact(InstanceId=instance_id, ContactId=contact_id),
        "DescribeContact": lambda: client.describe_contact(InstanceId=instance_id, ContactId=contact_id),
    }
    return calls[operation]()


LIFECYCLE = [name for name in EMULATED_OPERATIONS if name != "StartTaskContact"]


@dataclass
class ManualClock:
    now: float = FROZEN_NOW

    def __call__(self) -> float:
        return self.now


@dataclass(frozen=True)
class Clocked:
    emulator: ConnectEmulator
    clock: ManualClock
    client: ConnectClient


@pytest.fixture(scope="module")
def _clocked_emulator() -> Iterator[tuple[ConnectEmulator, ManualClock]]:
    clock = ManualClock()
    with ConnectEmulator(EmulatorConfig(), clock=clock) as emulator:
        yield emulator, clock


@pytest.fixture
def clocked(
    _clocked_emulator: tuple[ConnectEmulator, ManualClock], connect_client_factory: ClientFactory
) -> Clocked:
    """An emulator whose clock reads `clock.now` (FROZEN_NOW at the start of each test)."""
    emulator, clock = _clocked_emulator
    emulator.reset()
    clock.now = FROZEN_NOW
    return Clocked(emulator, clock, connect_client_factory(emulator))


# routes -----------------------------------------------------------------------------------------------
def test_each_operation_is_served_on_the_method_and_uri_of_the_model() -> None:
    served = {route.operation: route for route in routes()}

    for name in EMULATED_OPERATIONS:
        http = operation_model(name).http
        path = http["requestUri"].replace("{InstanceId}", "i-1").replace("{ContactId}", "c-1")
        assert served[name].match(http["method"], path) is not None
        assert served[name].match("PATCH", path) is None


def test_a_contact_route_with_a_method_the_model_does_not_have_is_an_unknown_operation(
    emulator_http: EmulatorHttp,
) -> None:
    answer = emulator_http.request("DELETE", f"/contacts/{INSTANCE}/c-1", headers=SIGNED)

    assert answer.status == 404
    assert answer.error_type == "UnknownOperationException"


# UpdateContact ----------------------------------------------------------------------------------------
def test_update_contact_changes_name_description_references_and_segment_attributes(
    connect_client: ConnectClient, connect_emulator: ConnectEmulator, task_request: RequestBuilder
) -> None:
    contact_id = _start(
        connect_client, task_request, References={"Order": {"Type": "URL", "Value": "https://shop.example/1"}}
    )

    connect_client.update_contact(
        InstanceId=INSTANCE,
        ContactId=contact_id,
        Name="Order 1042: refund approved",
        Description="Refund issued by the payments team.",
        References={"Refund": {"Type": "NUMBER", "Value": "129.90"}},
        SegmentAttributes={
            "connect:ContactExpiry": {"ValueMap": {"ExpiryDuration": {"ValueInteger": 120}}},
            "priority_band": {"ValueString": "high"},
        },
    )

    contact = connect_client.describe_contact(InstanceId=INSTANCE, ContactId=contact_id)["Contact"]
    assert (contact["Name"], contact["Description"]) == (
        "Order 1042: refund approved",
        "Refund issued by the payments team.",
    )
    assert contact["SegmentAttributes"]["priority_band"] == {"ValueString": "high"}
    task = connect_emulator.task(contact_id)
    assert set(task.state.references) == {"Order", "Refund"}  # added by name, the others kept
    assert task.request["Name"] == "Order 1042 arrived damaged"  # the request stays as received
    assert task.history[-1].operation == "UpdateContact"
    assert task.history[-1].fields == (
        "Name",
        "Description",
        "References.Refund",
        "SegmentAttributes.connect:ContactExpiry",
        "SegmentAttributes.priority_band",
    )


def test_update_contact_works_on_a_task_that_has_ended(
    connect_client: ConnectClient, task_request: RequestBuilder
) -> None:
    contact_id = _start(connect_client, task_request)
    connect_client.stop_contact(InstanceId=INSTANCE, ContactId=contact_id)

    connect_client.update_contact(InstanceId=INSTANCE, ContactId=contact_id, Description="Closed: refunded")

    contact = connect_client.describe_contact(InstanceId=INSTANCE, ContactId=contact_id)["Contact"]
    assert contact["Description"] == "Closed: refunded"


def test_update_contact_without_a_field_to_update_is_an_invalid_request(
    connect_client: ConnectClient, task_request: RequestBuilder
) -> None:
    contact_id = _start(connect_client, task_request)

    with pytest.raises(connect_client.exceptions.InvalidRequestException) as error:
        connect_client.update_contact(InstanceId=INSTANCE, ContactId=contact_id)

    assert "At least one field to be updated" in _message(error)


@pytest.mark.parametrize(
    ("member", "value"),
    [
        ("QueueInfo", {"Id": "queue-1"}),
        ("UserInfo", {"UserId": "agent-1"}),
        ("CustomerEndpoint", {"Type": "TELEPHONE_NUMBER", "Address": "+15550100"}),
        ("SystemEndpoint", {"Type": "TELEPHONE_NUMBER", "Address": "+15550101"}),
        ("AdditionalRecipients", {"CcEmailAddresses": []}),
    ],
)
def test_update_contact_fields_of_other_channels_are_invalid_requests_for_a_task(
    connect_client: ConnectClient, task_request: RequestBuilder, member: str, value: dict[str, Any]
) -> None:
    contact_id = _start(connect_client, task_request)
    extra: dict[str, Any] = {member: value}

    with pytest.raises(connect_client.exceptions.InvalidRequestException) as error:
        connect_client.update_contact(InstanceId=INSTANCE, ContactId=contact_id, Name="x", **extra)

    assert f"{member} can only be updated for" in _message(error)


def test_update_contact_name_over_the_model_maximum_is_an_invalid_parameter(
    connect_client: ConnectClient, task_request: RequestBuilder
) -> None:
    longest = int(operation_model("UpdateContact").input_shape.members["Name"].metadata["max"])  # type: ignore[union-attr]
    contact_id = _start(connect_client, task_request)
    connect_client.update_contact(InstanceId=INSTANCE, ContactId=contact_id, Name="n" * longest)

    with pytest.raises(connect_client.exceptions.InvalidParameterException) as error:
        connect_client.update_contact(InstanceId=INSTANCE, ContactId=contact_id, Name="n" * (longest + 1))

    assert "'Name'" in _message(error)


@pytest.mark.parametrize(
    ("references", "expected"),
    [
        ({"Photo": {"Type": "ATTACHMENT", "Value": "photo.jpg"}}, "References.Photo.Type"),
        ({"Order": {"Type": "URL", "Value": "shop.example/1"}}, "References.Order.Value"),
        ({"Big": {"Type": "STRING", "Value": "x" * 4_000}}, "would total 4"),
    ],
    ids=["type-not-for-tasks", "value-not-of-its-type", "contact-total-over-4096-bytes"],
)
def test_update_contact_references_follow_the_task_reference_rules(
    connect_client: ConnectClient,
    connect_emulator: ConnectEmulator,
    task_request: RequestBuilder,
    references: dict[str, Any],
    expected: str,
) -> None:
    existing = {"Note": {"Type": "STRING", "Value": "y" * 200}}
    contact_id = _start(connect_client, task_request, References=existing)

    with pytest.raises(connect_client.exceptions.InvalidParameterException) as error:
        connect_client.update_contact(InstanceId=INSTANCE, ContactId=contact_id, References=references)

    assert expected in _message(error)
    assert connect_emulator.task(contact_id).state.references == existing


@pytest.mark.parametrize(
    ("segment_attributes", "expected"),
    [
        ({"connect:Subtype": {"ValueString": "connect:Guide"}}, "connect:ContactExpiry and user-defined"),
        ({"connect:ContactExpiry": {"ValueInteger": 120}}, "ExpiryDuration"),
        ({"connect:ContactExpiry": {"ValueMap": {"ExpiryDuration": {"ValueInteger": 0}}}}, "at least 1"),
        ({"tier": {"ValueInteger": 3}}, "takes a ValueString only"),
        ({"bad key": {"ValueString": "x"}}, "key #1"),
    ],
    ids=["system-attribute", "expiry-shape", "expiry-zero", "user-defined-not-a-string", "key-characters"],
)
def test_update_contact_segment_attributes_are_contact_expiry_or_user_defined_strings(
    connect_client: ConnectClient,
    task_request: RequestBuilder,
    segment_attributes: dict[str, Any],
    expected: str,
) -> None:
    contact_id = _start(connect_client, task_request)

    with pytest.raises(connect_client.exceptions.InvalidParameterException) as error:
        connect_client.update_contact(
            InstanceId=INSTANCE, ContactId=contact_id, SegmentAttributes=segment_attributes
        )

    assert expected in _message(error)


def test_update_contact_body_member_outside_the_model_or_in_the_uri_is_rejected(
    connect_client: ConnectClient, emulator_http: EmulatorHttp, task_request: RequestBuilder
) -> None:
    contact_id = _start(connect_client, task_request)
    path = f"/contacts/{INSTANCE}/{contact_id}"

    unknown = emulator_http.request("POST", path, {"Name": "x", "Priority": 1}, SIGNED)
    in_the_uri = emulator_http.request("POST", path, {"Name": "x", "ContactId": contact_id}, SIGNED)

    assert (unknown.status, unknown.error_type) == (400, "InvalidParameterException")
    assert "'Priority'" in unknown.body["Message"]
    assert (in_the_uri.status, in_the_uri.error_type) == (400, "InvalidParameterException")
    assert "belongs in the request URI" in in_the_uri.body["Message"]


# UpdateContactAttributes ------------------------------------------------------------------------------
def test_update_contact_attributes_merges_into_the_task_attributes(
    connect_client: ConnectClient, connect_emulator: ConnectEmulator, task_request: RequestBuilder
) -> None:
    contact_id = _start(connect_client, task_request, Attributes={"orderId": "1042", "status": "new"})

    connect_client.update_contact_attributes(
        InstanceId=INSTANCE, InitialContactId=contact_id, Attributes={"status": "refunded", "agent": "ana"}
    )

    contact = connect_client.describe_contact(InstanceId=INSTANCE, ContactId=contact_id)["Contact"]
    assert contact["Attributes"] == {"orderId": "1042", "status": "refunded", "agent": "ana"}
    assert connect_emulator.task(contact_id).history[-1].fields == ("Attributes.status", "Attributes.agent")


def test_update_contact_attributes_reaches_every_task_linked_through_previous_contact_id(
    connect_client: ConnectClient, connect_emulator: ConnectEmulator, task_request: RequestBuilder
) -> None:
    first = _start(connect_client, task_request, PreviousContactId="voice-contact-1")
    second = _start(connect_client, task_request, PreviousContactId=first)
    unrelated = _start(connect_client, task_request)

    connect_client.update_contact_attributes(
        InstanceId=INSTANCE, InitialContactId=second, Attributes={"case": "C-9"}
    )

    assert connect_emulator.task(first).state.attributes == {"case": "C-9"}
    assert connect_emulator.task(second).state.attributes == {"case": "C-9"}
    assert connect_emulator.task(unrelated).state.attributes == {}
    assert connect_emulator.task(first).history[-1].via_contact_id == second
    assert connect_emulator.task(second).history[-1].via_contact_id is None


def test_related_contact_attributes_are_copied_to_the_new_task_and_updated_apart(
    connect_client: ConnectClient, connect_emulator: ConnectEmulator, task_request: RequestBuilder
) -> None:
    related = _start(connect_client, task_request, Attributes={"orderId": "1042"})
    new = _start(connect_client, task_request, RelatedContactId=related, Attributes={"step": "2"})

    connect_client.update_contact_attributes(
        InstanceId=INSTANCE, InitialContactId=new, Attributes={"step": "3"}
    )

    assert connect_emulator.task(new).state.attributes == {"orderId": "1042", "step": "3"}
    assert connect_emulator.task(related).state.attributes == {"orderId": "1042"}


def test_attributes_over_32768_utf8_bytes_once_merged_are_rejected_and_change_nothing(
    connect_client: ConnectClient, connect_emulator: ConnectEmulator, task_request: RequestBuilder
) -> None:
    contact_id = _start(connect_client, task_request, Attributes={"a": "x" * 20_000})

    with pytest.raises(connect_client.exceptions.InvalidParameterException) as error:
        connect_client.update_contact_attributes(
            InstanceId=INSTANCE, InitialContactId=contact_id, Attributes={"b": "y" * 13_000}
        )

    assert "would total 33002 UTF-8 bytes" in _message(error)
    assert connect_emulator.task(contact_id).state.attributes == {"a": "x" * 20_000}
    assert [entry.operation for entry in connect_emulator.task(contact_id).history] == ["StartTaskContact"]


def test_attribute_key_outside_the_allowed_characters_is_an_invalid_parameter(
    connect_client: ConnectClient, task_request: RequestBuilder
) -> None:
    contact_id = _start(connect_client, task_request)

    with pytest.raises(connect_client.exceptions.InvalidParameterException) as error:
        connect_client.update_contact_attributes(
            InstanceId=INSTANCE, InitialContactId=contact_id, Attributes={"order id": "1"}
        )

    assert "Attributes: key #1" in _message(error)


# UpdateContactSchedule --------------------------------------------------------------------------------
def test_reschedule_moves_a_scheduled_task_within_the_window(
    clocked: Clocked, task_request: RequestBuilder
) -> None:
    contact_id = _start(clocked.client, task_request, ScheduledTime=FROZEN_NOW + 3_600)

    clocked.client.update_contact_schedule(
        InstanceId=INSTANCE, ContactId=contact_id, ScheduledTime=_at(FROZEN_NOW + 6 * DAY)
    )

    contact = clocked.client.describe_contact(InstanceId=INSTANCE, ContactId=contact_id)["Contact"]
    assert contact["ScheduledTimestamp"].timestamp() == FROZEN_NOW + 6 * DAY
    task = clocked.emulator.task(contact_id)
    assert task.request["ScheduledTime"] == FROZEN_NOW + 3_600
    assert (task.history[-1].operation, task.history[-1].fields) == (
        "UpdateContactSchedule",
        ("ScheduledTime",),
    )


@pytest.mark.parametrize("offset", [-3_600, 6 * DAY + 61], ids=["in-the-past", "beyond-6-days"])
def test_reschedule_outside_the_window_is_an_invalid_parameter(
    clocked: Clocked, task_request: RequestBuilder, offset: int
) -> None:
    contact_id = _start(clocked.client, task_request, ScheduledTime=FROZEN_NOW + 3_600)

    with pytest.raises(clocked.client.exceptions.InvalidParameterException) as error:
        clocked.client.update_contact_schedule(
            InstanceId=INSTANCE, ContactId=contact_id, ScheduledTime=_at(FROZEN_NOW + offset)
        )

    assert "ScheduledTime must" in _message(error)


def test_reschedule_of_a_task_created_without_a_scheduled_time_is_an_invalid_request(
    clocked: Clocked, task_request: RequestBuilder
) -> None:
    contact_id = _start(clocked.client, task_request)

    with pytest.raises(clocked.client.exceptions.InvalidRequestException) as error:
        _call(clocked.client, "UpdateContactSchedule", contact_id, now=clocked.clock.now)

    assert "not scheduled" in _message(error)


def test_reschedule_once_the_scheduled_time_has_passed_is_an_invalid_request(
    clocked: Clocked, task_request: RequestBuilder
) -> None:
    contact_id = _start(clocked.client, task_request, ScheduledTime=FROZEN_NOW + 3_600)
    assert clocked.emulator.task(contact_id).to_json(_at(FROZEN_NOW))["Contact"]["State"] == "SCHEDULED"

    clocked.clock.now = FROZEN_NOW + 3_600
    with pytest.raises(clocked.client.exceptions.InvalidRequestException) as error:
        _call(clocked.client, "UpdateContactSchedule", contact_id, now=clocked.clock.now)

    assert "its flow has started" in _message(error)
    assert clocked.emulator.task(contact_id).to_json(_at(clocked.clock.now))["Contact"]["State"] == "ACTIVE"


def test_reschedule_of_a_stopped_task_is_an_invalid_request(
    clocked: Clocked, task_request: RequestBuilder
) -> None:
    contact_id = _start(clocked.client, task_request, ScheduledTime=FROZEN_NOW + 3_600)
    clocked.client.stop_contact(InstanceId=INSTANCE, ContactId=contact_id)

    with pytest.raises(clocked.client.exceptions.InvalidRequestException) as error:
        _call(clocked.client, "UpdateContactSchedule", contact_id, now=clocked.clock.now)

    assert "has ended" in _message(error)


# StopContact ------------------------------------------------------------------------------------------
def test_stop_contact_ends_the_task_and_frees_its_active_task_slot(
    connect_client: ConnectClient, connect_emulator: ConnectEmulator, task_request: RequestBuilder
) -> None:
    contact_id = _start(connect_client, task_request)

    connect_client.stop_contact(InstanceId=INSTANCE, ContactId=contact_id)

    contact = connect_client.describe_contact(InstanceId=INSTANCE, ContactId=contact_id)["Contact"]
    assert contact["DisconnectReason"] == "API"
    assert contact["DisconnectTimestamp"] >= contact["InitiationTimestamp"]
    task = connect_emulator.task(contact_id)
    assert not task.active
    assert task.to_json()["Contact"]["State"] == "STOPPED"
    counters = connect_emulator.counters()
    assert (counters.active, counters.completed) == (0, 1)


def test_stop_contact_keeps_the_disconnect_reason_it_is_given(
    connect_client: ConnectClient, task_request: RequestBuilder
) -> None:
    contact_id = _start(connect_client, task_request)

    connect_client.stop_contact(
        InstanceId=INSTANCE,
        ContactId=contact_id,
        DisconnectReason={"Code": "OUTBOUND_DESTINATION_ENDPOINT_ERROR"},
    )

    contact = connect_client.describe_contact(InstanceId=INSTANCE, ContactId=contact_id)["Contact"]
    assert contact["DisconnectReason"] == "OUTBOUND_DESTINATION_ENDPOINT_ERROR"


@pytest.mark.parametrize("ended_by", ["StopContact", "the complete route"])
def test_stopping_a_task_that_has_ended_is_an_invalid_request(
    connect_client: ConnectClient,
    connect_emulator: ConnectEmulator,
    task_request: RequestBuilder,
    ended_by: str,
) -> None:
    contact_id = _start(connect_client, task_request)
    if ended_by == "StopContact":
        connect_client.stop_contact(InstanceId=INSTANCE, ContactId=contact_id)
    else:
        connect_emulator.complete_task(contact_id)

    with pytest.raises(connect_client.exceptions.InvalidRequestException) as error:
        connect_client.stop_contact(InstanceId=INSTANCE, ContactId=contact_id)

    assert "already ended" in _message(error)
    assert error.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert connect_emulator.counters().completed == 1


# DescribeContact --------------------------------------------------------------------------------------
def test_describe_contact_shows_a_scheduled_task_as_connect_does(
    clocked: Clocked, task_request: RequestBuilder
) -> None:
    config = Config(retries={"total_max_attempts": 1, "mode": "standard"})
    client = boto3.client(
        "connect", region_name="eu-west-2", endpoint_url=clocked.emulator.endpoint_url, config=config
    )
    contact_id = _start(
        client,
        task_request,
        ContactFlowId=None,
        TaskTemplateId="template-7",
        Description="Call the customer back",
        ScheduledTime=FROZEN_NOW + 7_200,
        PreviousContactId="voice-contact-1",
        Attributes={"orderId": "1042"},
    )

    contact = client.describe_contact(InstanceId=INSTANCE, ContactId=contact_id)["Contact"]

    instance_arn = f"arn:aws:connect:eu-west-2:123456789012:instance/{INSTANCE}"
    assert contact["Arn"] == f"{instance_arn}/contact/{contact_id}"
    assert (contact["Id"], contact["InitiationMethod"], contact["Channel"]) == (contact_id, "API", "TASK")
    assert (contact["Name"], contact["Description"]) == (
        "Order 1042 arrived damaged",
        "Call the customer back",
    )
    assert contact["InitiationTimestamp"].timestamp() == FROZEN_NOW
    assert contact["ScheduledTimestamp"].timestamp() == FROZEN_NOW + 7_200
    assert contact["PreviousContactId"] == "voice-contact-1"
    assert contact["Attributes"] == {"orderId": "1042"}
    assert contact["TaskTemplateInfo"] == {"Arn": f"{instance_arn}/task-template/template-7"}
    assert "DisconnectTimestamp" not in contact


def test_describe_contact_answers_with_members_of_the_model_contact_shape_only(
    connect_client: ConnectClient, emulator_http: EmulatorHttp, task_request: RequestBuilder
) -> None:
    contact_id = _start(
        connect_client,
        task_request,
        Description="d",
        ScheduledTime=time.time() + 60,
        RelatedContactId="chat-1",
        SegmentAttributes={"connect:Subtype": {"ValueString": "connect:Guide"}},
    )
    connect_client.stop_contact(InstanceId=INSTANCE, ContactId=contact_id)

    raw = emulator_http.request("GET", f"/contacts/{INSTANCE}/{contact_id}", headers=SIGNED)

    contact_members = operation_model("DescribeContact").output_shape.members["Contact"].members  # type: ignore[union-attr]
    assert raw.status == 200
    assert set(raw.body["Contact"]) <= set(contact_members)


# not found, other instances, validation ---------------------------------------------------------------
@pytest.mark.parametrize("operation", LIFECYCLE)
def test_unknown_contact_id_is_resource_not_found(connect_client: ConnectClient, operation: str) -> None:
    with pytest.raises(connect_client.exceptions.ResourceNotFoundException) as error:
        _call(connect_client, operation, "no-such-contact")

    assert error.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
    assert "no-such-contact does not exist" in _message(error)


@pytest.mark.parametrize("operation", LIFECYCLE)
def test_contact_of_another_instance_is_resource_not_found_and_unchanged(
    connect_client: ConnectClient,
    connect_emulator: ConnectEmulator,
    task_request: RequestBuilder,
    operation: str,
) -> None:
    contact_id = _start(connect_client, task_request, ScheduledTime=time.time() + 3_600)

    with pytest.raises(connect_client.exceptions.ResourceNotFoundException):
        _call(connect_client, operation, contact_id, instance_id="other-instance")

    assert len(connect_emulator.task(contact_id).history) == 1


@pytest.mark.parametrize("operation", LIFECYCLE)
def test_unknown_instance_is_resource_not_found_when_instances_are_configured(
    connect_client_factory: ClientFactory, task_request: RequestBuilder, operation: str
) -> None:
    with ConnectEmulator(EmulatorConfig(instance_ids={INSTANCE})) as emulator:
        client = connect_client_factory(emulator)
        contact_id = _start(client, task_request)

        with pytest.raises(client.exceptions.ResourceNotFoundException) as error:
            _call(client, operation, contact_id, instance_id="not-an-instance")

    assert "InstanceId not-an-instance does not exist" in _message(error)


@pytest.mark.parametrize(
    ("operation", "request_", "path"),
    [
        ("update_contact_attributes", {"InstanceId": INSTANCE, "InitialContactId": "c"}, "'Attributes'"),
        ("update_contact_schedule", {"InstanceId": INSTANCE, "ContactId": "c"}, "'ScheduledTime'"),
        ("stop_contact", {"InstanceId": INSTANCE}, "'ContactId'"),
        ("stop_contact", {"InstanceId": INSTANCE, "ContactId": "c", "DisconnectReason": {}}, None),
    ],
    ids=["attributes-missing", "scheduled-time-missing", "contact-id-missing", "empty-disconnect-reason"],
)
def test_requests_are_validated_against_the_model_before_the_contact_is_looked_up(
    connect_emulator: ConnectEmulator,
    connect_client_factory: ClientFactory,
    operation: str,
    request_: dict[str, Any],
    path: str | None,
) -> None:
    client = connect_client_factory(connect_emulator, parameter_validation=False)

    with pytest.raises(ClientError) as error:
        getattr(client, operation)(**request_)

    if path is None:  # valid for the model: the unknown contact is what fails
        assert _code(error) == "ResourceNotFoundException"
    else:
        assert _code(error) == "InvalidParameterException"
        assert path in _message(error)


def test_a_scheduled_time_that_is_not_a_number_is_an_invalid_parameter(
    connect_client: ConnectClient, emulator_http: EmulatorHttp, task_request: RequestBuilder
) -> None:
    contact_id = _start(connect_client, task_request, ScheduledTime=time.time() + 3_600)
    body = {"InstanceId": INSTANCE, "ContactId": contact_id, "ScheduledTime": "tomorrow"}

    answer = emulator_http.request("POST", "/contact/schedule", body, SIGNED)

    assert (answer.status, answer.error_type) == (400, "InvalidParameterException")
    assert "'ScheduledTime'" in answer.body["Message"]


def test_an_unsigned_lifecycle_call_is_refused_with_403(emulator_http: EmulatorHttp) -> None:
    answer = emulator_http.request("POST", "/contact/stop", {"InstanceId": INSTANCE, "ContactId": "c"})

    assert (answer.status, answer.error_type) == (403, "MissingAuthenticationTokenException")


@pytest.mark.parametrize(
    ("operation", "kwargs"),
    [
        ("update_contact", {"Description": SECRET * 2_000}),
        ("update_contact", {"References": {"Card": {"Type": "NUMBER", "Value": SECRET}}}),
        ("update_contact", {"SegmentAttributes": {SECRET + " key": {"ValueString": "1"}}}),
        ("update_contact_attributes", {"Attributes": {"note": SECRET * 1_000}}),
        ("update_contact_attributes", {"Attributes": {SECRET + " key": "1"}}),
    ],
)
def test_lifecycle_rejections_never_echo_task_content(
    connect_client: ConnectClient, task_request: RequestBuilder, operation: str, kwargs: dict[str, Any]
) -> None:
    contact_id = _start(connect_client, task_request, Attributes={"big": "x" * 30_000})
    ids = {"InitialContactId" if operation == "update_contact_attributes" else "ContactId": contact_id}

    with pytest.raises(ClientError) as error:
        getattr(connect_client, operation)(InstanceId=INSTANCE, **ids, **kwargs)

    assert "SECRET" not in _message(error)


def _at(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)
