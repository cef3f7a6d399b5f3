"""Idempotency, concurrency and injected faults (answers lost after creation included), seen through a
real boto3 client."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError, ConnectionClosedError
from mypy_boto3_connect import ConnectClient

from local.connect_emulator import (
    CONNECTION_DROPPED,
    EMULATED_OPERATIONS,
    LOST_RESPONSE_KINDS,
    ConfigError,
    ConnectEmulator,
    FaultConfig,
    FixedLatency,
    LognormalLatency,
    OperationFaults,
    RateLimit,
    UniformLatency,
)
from local.connect_emulator.faults import LatencySampler, TokenBucket

if TYPE_CHECKING:
    from tests.integration.conftest import EmulatorHttp

RequestBuilder = Callable[..., dict[str, Any]]


# idempotency ------------------------------------------------------------------------------------------
def test_repeated_client_token_returns_same_contact_id_and_creates_one_task(
    connect_client: ConnectClient, connect_emulator: ConnectEmulator, task_request: RequestBuilder
) -> None:
    request = task_request(ClientToken="order-1042-damaged")

    first = connect_client.start_task_contact(**request)["ContactId"]
    second = connect_client.start_task_contact(**request)["ContactId"]

    assert second == first
    assert [task.contact_id for task in connect_emulator.tasks()] == [first]
    counters = connect_emulator.counters()
    assert (counters.calls, counters.created, counters.duplicates) == (2, 1, 1)


def test_client_token_is_scoped_per_instance(
    connect_client: ConnectClient, connect_emulator: ConnectEmulator, task_request: RequestBuilder
) -> None:
    on_first = connect_client.start_task_contact(**task_request(InstanceId="instance-a", ClientToken="t-1"))
    on_second = connect_client.start_task_contact(**task_request(InstanceId="instance-b", ClientToken="t-1"))

    assert on_first["ContactId"] != on_second["ContactId"]
    assert connect_emulator.counters().created == 2


def test_request_without_client_token_gets_a_fresh_one(
    emulator_http: EmulatorHttp, connect_emulator: ConnectEmulator, task_request: RequestBuilder
) -> None:
    request = task_request(ClientToken=None)

    first = emulator_http.start_task_contact(request)
    second = emulator_http.start_task_contact(request)

    assert first.status == second.status == 200
    assert first.body["ContactId"] != second.body["ContactId"]
    tokens = [task.client_token for task in connect_emulator.tasks()]
    assert len(set(tokens)) == 2
    assert all(
        task.client_token_generated and "ClientToken" not in task.request for task in connect_emulator.tasks()
    )


def test_concurrent_retries_of_one_request_create_exactly_one_task(
    emulator_http: EmulatorHttp, connect_emulator: ConnectEmulator, task_request: RequestBuilder
) -> None:
    request = task_request(ClientToken="burst-retry")

    with ThreadPoolExecutor(max_workers=10) as pool:
        responses = list(pool.map(lambda _: emulator_http.start_task_contact(request), range(30)))

    assert {response.status for response in responses} == {200}
    assert len({response.body["ContactId"] for response in responses}) == 1
    counters = connect_emulator.counters()
    assert (counters.created, counters.duplicates) == (1, 29)


def test_concurrent_distinct_requests_are_all_created(
    emulator_http: EmulatorHttp, connect_emulator: ConnectEmulator, task_request: RequestBuilder
) -> None:
    requests = [task_request() for _ in range(40)]

    with ThreadPoolExecutor(max_workers=10) as pool:
        responses = list(pool.map(emulator_http.start_task_contact, requests))

    assert len({response.body["ContactId"] for response in responses}) == 40
    assert connect_emulator.counters().created == len(connect_emulator.tasks()) == 40


# rate quota -------------------------------------------------------------------------------------------
def test_calls_past_the_token_bucket_burst_are_throttled(
    connect_client: ConnectClient, connect_emulator: ConnectEmulator, task_request: RequestBuilder
) -> None:
    connect_emulator.set_faults(FaultConfig(rate_limit=RateLimit(requests_per_second=0.001, burst=2)))
    connect_client.start_task_contact(**task_request())
    connect_client.start_task_contact(**task_request())

    with pytest.raises(connect_client.exceptions.ThrottlingException) as error:
        connect_client.start_task_contact(**task_request())

    assert error.value.response["ResponseMetadata"]["HTTPStatusCode"] == 429
    counters = connect_emulator.counters()
    assert (counters.created, counters.throttles) == (2, 1)
    assert counters.rejections == {"ThrottlingException": 1}


def test_token_bucket_refills_at_its_rate_up_to_its_burst() -> None:
    now = [0.0]
    bucket = TokenBucket(RateLimit(requests_per_second=2.0, burst=3), clock=lambda: now[0])

    assert [bucket.try_acquire() for _ in range(4)] == [True, True, True, False]
    now[0] = 0.5  # one token back
    assert [bucket.try_acquire() for _ in range(2)] == [True, False]
    now[0] = 100.0  # never more than the burst
    assert [bucket.try_acquire() for _ in range(4)] == [True, True, True, False]


# injected errors --------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("error_type", "status"),
    [
        ("InvalidParameterException", 400),
        ("InvalidRequestException", 400),
        ("ResourceNotFoundException", 404),
        ("ThrottlingException", 429),
        ("ServiceQuotaExceededException", 402),
        ("InternalServiceException", 500),
    ],
)
def test_error_rate_of_one_raises_that_modelled_exception(
    connect_client: ConnectClient,
    connect_emulator: ConnectEmulator,
    task_request: RequestBuilder,
    error_type: str,
    status: int,
) -> None:
    connect_emulator.set_faults(FaultConfig(error_rates={error_type: 1.0}))

    with pytest.raises(getattr(connect_client.exceptions, error_type)) as error:
        connect_client.start_task_contact(**task_request())

    assert error.value.response["ResponseMetadata"]["HTTPStatusCode"] == status
    assert connect_emulator.counters().injected_faults == {error_type: 1}
    assert connect_emulator.tasks() == []


def test_seeded_error_rates_give_the_same_outcomes_after_reset(
    emulator_http: EmulatorHttp, connect_emulator: ConnectEmulator, task_request: RequestBuilder
) -> None:
    faults = FaultConfig(error_rates={"InternalServiceException": 0.3, "ThrottlingException": 0.2}, seed=7)

    def outcomes() -> list[str | None]:
        connect_emulator.set_faults(faults)
        return [emulator_http.start_task_contact(task_request()).error_type for _ in range(40)]

    first_run = outcomes()
    second_run = outcomes()

    assert first_run == second_run
    assert {None, "InternalServiceException", "ThrottlingException"} == set(first_run)


def test_error_rates_must_name_modelled_errors_and_add_up_to_at_most_one() -> None:
    with pytest.raises(ConfigError, match="unknown error type"):
        FaultConfig(error_rates={"AccessDenied": 0.5})
    with pytest.raises(ConfigError, match="at most 1"):
        FaultConfig(error_rates={"ThrottlingException": 0.6, "InternalServiceException": 0.6})


# answers lost after the task was created ---------------------------------------------------------------
def test_lost_response_creates_the_task_and_answers_500(
    connect_client: ConnectClient, connect_emulator: ConnectEmulator, task_request: RequestBuilder
) -> None:
    connect_emulator.set_faults(FaultConfig(lost_response_rates={"InternalServiceException": 1.0}))
    request = task_request(ClientToken="order-1042-lost-500")

    with pytest.raises(connect_client.exceptions.InternalServiceException) as error:
        connect_client.start_task_contact(**request)

    assert error.value.response["ResponseMetadata"]["HTTPStatusCode"] == 500
    [task] = connect_emulator.tasks()
    assert (task.client_token, task.request) == ("order-1042-lost-500", request)
    counters = connect_emulator.counters()
    assert (counters.calls, counters.created, counters.rejections) == (1, 1, {})
    assert counters.lost_responses == {"InternalServiceException": 1}


def test_dropped_connection_after_creation_reaches_botocore_as_a_closed_connection(
    connect_client: ConnectClient, connect_emulator: ConnectEmulator, task_request: RequestBuilder
) -> None:
    connect_emulator.set_faults(FaultConfig(lost_response_rates={CONNECTION_DROPPED: 1.0}))

    with pytest.raises(ConnectionClosedError):
        connect_client.start_task_contact(**task_request(ClientToken="order-1042-dropped"))

    assert [task.client_token for task in connect_emulator.tasks()] == ["order-1042-dropped"]
    assert connect_emulator.counters().lost_responses == {CONNECTION_DROPPED: 1}


@pytest.mark.parametrize("kind", sorted(LOST_RESPONSE_KINDS))
def test_retry_after_a_lost_response_gets_the_created_contact_id(
    connect_client: ConnectClient, connect_emulator: ConnectEmulator, task_request: RequestBuilder, kind: str
) -> None:
    connect_emulator.set_faults(FaultConfig(lost_response_rates={kind: 1.0}))
    request = task_request(ClientToken=f"order-1042-{kind}")
    with pytest.raises((ClientError, ConnectionClosedError)):
        connect_client.start_task_contact(**request)

    retried = connect_client.start_task_contact(**request)["ContactId"]  # a duplicate: nothing is lost again

    [task] = connect_emulator.tasks()
    assert retried == task.contact_id
    counters = connect_emulator.counters()
    assert (counters.calls, counters.created, counters.duplicates) == (2, 1, 1)


@pytest.mark.parametrize("kind", sorted(LOST_RESPONSE_KINDS))
def test_botocore_retry_inside_one_call_hides_a_lost_response(
    connect_emulator: ConnectEmulator,
    connect_client_factory: Callable[..., ConnectClient],
    task_request: RequestBuilder,
    kind: str,
) -> None:
    connect_client_factory(connect_emulator)  # points AWS_ENDPOINT_URL_CONNECT at the emulator
    retrying = boto3.client(
        "connect",
        region_name="us-east-1",
        config=Config(retries={"mode": "standard", "total_max_attempts": 2}),
    )
    connect_emulator.set_faults(FaultConfig(lost_response_rates={kind: 1.0}))

    contact_id = retrying.start_task_contact(**task_request())["ContactId"]

    assert [task.contact_id for task in connect_emulator.tasks()] == [contact_id]
    counters = connect_emulator.counters()
    assert (counters.calls, counters.created, counters.duplicates) == (2, 1, 1)
    assert counters.lost_responses == {kind: 1}


def test_seeded_lost_responses_repeat_and_leave_the_error_draws_alone(
    emulator_http: EmulatorHttp, connect_emulator: ConnectEmulator, task_request: RequestBuilder
) -> None:
    errors_only = FaultConfig(error_rates={"ThrottlingException": 0.3}, seed=5)
    with_lost = replace(errors_only, lost_response_rates={"InternalServiceException": 0.4})

    def outcomes(faults: FaultConfig) -> list[tuple[int, str | None]]:
        connect_emulator.set_faults(faults)
        answers = [emulator_http.start_task_contact(task_request()) for _ in range(40)]
        return [(answer.status, answer.error_type) for answer in answers]

    first, second, baseline = outcomes(with_lost), outcomes(with_lost), outcomes(errors_only)

    assert first == second
    throttled = [status == 429 for status, _ in first]
    assert throttled == [status == 429 for status, _ in baseline]
    lost = [answer for answer in first if answer == (500, "InternalServiceException")]
    assert 0 < len(lost) < throttled.count(False)


def test_lost_response_rates_must_name_a_kind_and_add_up_to_at_most_one() -> None:
    with pytest.raises(ConfigError, match="unknown kind 'ThrottlingException'"):
        FaultConfig(lost_response_rates={"ThrottlingException": 0.1})
    with pytest.raises(ConfigError, match="at most 1"):
        FaultConfig(lost_response_rates={"InternalServiceException": 0.6, CONNECTION_DROPPED: 0.6})
    assert FaultConfig.from_json({"lost_response_rates": {CONNECTION_DROPPED: 0.5}}).lost_response_rates == {
        CONNECTION_DROPPED: 0.5
    }


# active-task quota ------------------------------------------------------------------------------------
def test_active_task_quota_rejects_new_tasks_until_one_is_completed(
    connect_client: ConnectClient, connect_emulator: ConnectEmulator, task_request: RequestBuilder
) -> None:
    connect_emulator.set_faults(FaultConfig(active_task_quota=2))
    first = connect_client.start_task_contact(**task_request())["ContactId"]
    connect_client.start_task_contact(**task_request())

    with pytest.raises(connect_client.exceptions.ServiceQuotaExceededException) as error:
        connect_client.start_task_contact(**task_request())
    connect_emulator.complete_task(first)
    third = connect_client.start_task_contact(**task_request())["ContactId"]

    assert "active-task limit of 2" in error.value.response["Error"]["Message"]
    assert third not in {first}
    counters = connect_emulator.counters()
    assert (counters.created, counters.completed, counters.active) == (3, 1, 2)
    assert counters.rejections_by_rule == {"active_task_quota": 1}


def test_retry_of_a_created_task_is_a_duplicate_even_when_the_active_quota_is_full(
    connect_client: ConnectClient, connect_emulator: ConnectEmulator, task_request: RequestBuilder
) -> None:
    connect_emulator.set_faults(FaultConfig(active_task_quota=1))
    request = task_request()
    created = connect_client.start_task_contact(**request)["ContactId"]

    assert connect_client.start_task_contact(**request)["ContactId"] == created


# latency ----------------------------------------------------------------------------------------------
def test_fixed_latency_delays_every_call_and_is_counted(
    connect_client: ConnectClient, connect_emulator: ConnectEmulator, task_request: RequestBuilder
) -> None:
    connect_emulator.set_faults(FaultConfig(latency=FixedLatency(seconds=0.02)))

    connect_client.start_task_contact(**task_request())
    connect_client.start_task_contact(**task_request())

    counters = connect_emulator.counters()
    assert counters.injected_faults == {"Latency": 2}
    assert counters.injected_latency_seconds == pytest.approx(0.04)
    assert counters.created == 2


@pytest.mark.parametrize(
    "latency",
    [
        UniformLatency(min_seconds=0.1, max_seconds=0.3),
        LognormalLatency(median_seconds=0.05, sigma=1.5, max_seconds=2),
    ],
    ids=["uniform", "lognormal"],
)
def test_latency_distributions_stay_in_their_bounds_and_are_reproducible(
    latency: UniformLatency | LognormalLatency,
) -> None:
    def draws() -> list[float]:
        sampler = LatencySampler(latency, random.Random(11))
        return [sampler.next_delay() for _ in range(500)]

    first = draws()
    lower, upper = (0.1, 0.3) if isinstance(latency, UniformLatency) else (0.0, 2.0)

    assert first == draws()
    assert all(lower <= delay <= upper for delay in first)
    assert len(set(first)) > 400


def test_faults_can_be_changed_at_runtime_over_http(
    connect_client: ConnectClient,
    connect_emulator: ConnectEmulator,
    emulator_http: EmulatorHttp,
    task_request: RequestBuilder,
) -> None:
    document = {
        "latency": {"kind": "uniform", "min_seconds": 0, "max_seconds": 0},
        "rate_limit": {"requests_per_second": 50, "burst": 5},
        "error_rates": {"InternalServiceException": 1.0},
        "lost_response_rates": {"ConnectionDropped": 0.25, "InternalServiceException": 0.25},
        "active_task_quota": 10,
        "seed": 3,
    }

    answer = emulator_http.request("PUT", "/_emulator/faults", document)

    assert answer.status == 200
    assert answer.body == emulator_http.request("GET", "/_emulator/faults").body == document
    assert connect_emulator.faults == FaultConfig.from_json(document)
    with pytest.raises(connect_client.exceptions.InternalServiceException):
        connect_client.start_task_contact(**task_request())


@pytest.mark.parametrize(
    "document",
    [
        {"error_rates": {"InternalServiceException": 2}},
        {"lost_response_rates": {"ThrottlingException": 0.5}},
        {"lost_response_rates": {"ConnectionDropped": 0.7, "InternalServiceException": 0.7}},
        {"lost_response_rates": [0.5]},
        {"latency": {"kind": "gaussian"}},
        {"rate": 5},
        [1, 2],
    ],
)
def test_invalid_fault_settings_over_http_are_refused_and_change_nothing(
    connect_emulator: ConnectEmulator, emulator_http: EmulatorHttp, document: object
) -> None:
    before = connect_emulator.faults

    answer = emulator_http.request("PUT", "/_emulator/faults", document)

    assert answer.status == 400
    assert answer.body["Message"]
    assert connect_emulator.faults == before


def test_reset_restores_the_configured_faults(
    connect_client: ConnectClient, connect_emulator: ConnectEmulator, task_request: RequestBuilder
) -> None:
    connect_emulator.set_faults(
        replace(connect_emulator.faults, error_rates={"InternalServiceException": 1.0})
    )
    with pytest.raises(ClientError):
        connect_client.start_task_contact(**task_request())

    connect_emulator.reset()

    assert connect_client.start_task_contact(**task_request())["ContactId"]
    assert connect_emulator.counters().calls == 1


# faults on the lifecycle operations -------------------------------------------------------------------
INSTANCE = "11111111-2222-3333-4444-555555555555"
_SIGNED = {
    "Authorization": "AWS4-HMAC-SHA256 Credential=testing/20250101/us-east-1/connect/aws4_request, "
    "SignedHeaders=host;x-amz-date, Signature=" + "0" * 64
}


def _lifecycle_calls(client: ConnectClient, contact_id: str) -> dict[str, Callable[[], object]]:
    ids: dict[str, Any] = {"InstanceId": INSTANCE, "ContactId": contact_id}
    in_two_hours = datetime.fromtimestamp(time.time() + 7_200, UTC)
    return {
        "UpdateContact": lambda: client.update_contact(**ids, Name="Renamed"),
        "UpdateContactAttributes": lambda: client.update_contact_attributes(
            InstanceId=INSTANCE, InitialContactId=contact_id, Attributes={"status": "open"}
        ),
        "UpdateContactSchedule": lambda: client.update_contact_schedule(**ids, ScheduledTime=in_two_hours),
        "StopContact": lambda: client.stop_contact(**ids),
        "DescribeContact": lambda: client.describe_contact(**ids),
    }


LIFECYCLE_OPERATIONS = [name for name in EMULATED_OPERATIONS if name != "StartTaskContact"]


@pytest.mark.parametrize("operation", LIFECYCLE_OPERATIONS)
def test_error_rates_reach_every_operation_and_change_nothing(
    connect_client: ConnectClient,
    connect_emulator: ConnectEmulator,
    task_request: RequestBuilder,
    operation: str,
) -> None:
    scheduled = task_request(ScheduledTime=time.time() + 3_600)
    contact_id = connect_client.start_task_contact(**scheduled)["ContactId"]
    connect_emulator.set_faults(FaultConfig(error_rates={"InternalServiceException": 1.0}))

    with pytest.raises(connect_client.exceptions.InternalServiceException) as error:
        _lifecycle_calls(connect_client, contact_id)[operation]()

    assert error.value.response["ResponseMetadata"]["HTTPStatusCode"] == 500
    assert len(connect_emulator.task(contact_id).history) == 1
    assert connect_emulator.counters().operations[operation].injected_faults == {
        "InternalServiceException": 1
    }


def test_an_error_type_an_operation_cannot_answer_with_leaves_its_calls_alone(
    connect_client: ConnectClient, connect_emulator: ConnectEmulator, task_request: RequestBuilder
) -> None:
    contact_id = connect_client.start_task_contact(**task_request())["ContactId"]
    connect_emulator.set_faults(FaultConfig(error_rates={"ServiceQuotaExceededException": 1.0}))

    connect_client.update_contact(InstanceId=INSTANCE, ContactId=contact_id, Name="Renamed")
    with pytest.raises(connect_client.exceptions.ServiceQuotaExceededException):
        connect_client.start_task_contact(**task_request())

    assert connect_emulator.task(contact_id).state.name == "Renamed"


def test_operation_faults_replace_the_top_level_ones_for_that_operation_only(
    connect_client: ConnectClient, connect_emulator: ConnectEmulator, task_request: RequestBuilder
) -> None:
    contact_id = connect_client.start_task_contact(**task_request())["ContactId"]
    connect_emulator.set_faults(
        FaultConfig(
            error_rates={"InternalServiceException": 1.0},
            operations={
                "StopContact": OperationFaults(error_rates={"ContactNotFoundException": 1.0}),
                "DescribeContact": OperationFaults(error_rates={}),
            },
        )
    )

    with pytest.raises(connect_client.exceptions.ContactNotFoundException) as stopped:
        connect_client.stop_contact(InstanceId=INSTANCE, ContactId=contact_id)
    described = connect_client.describe_contact(InstanceId=INSTANCE, ContactId=contact_id)
    with pytest.raises(connect_client.exceptions.InternalServiceException):
        connect_client.update_contact(InstanceId=INSTANCE, ContactId=contact_id, Name="Renamed")

    assert stopped.value.response["ResponseMetadata"]["HTTPStatusCode"] == 410
    assert described["Contact"]["Id"] == contact_id
    assert connect_emulator.task(contact_id).active


@pytest.mark.parametrize("operation", ["UpdateContactAttributes", "StopContact"])
def test_throttling_reaches_operations_whose_model_does_not_list_it(
    connect_client: ConnectClient,
    connect_emulator: ConnectEmulator,
    task_request: RequestBuilder,
    operation: str,
) -> None:
    contact_id = connect_client.start_task_contact(**task_request())["ContactId"]
    connect_emulator.set_faults(
        FaultConfig(operations={operation: OperationFaults(error_rates={"ThrottlingException": 1.0})})
    )

    with pytest.raises(connect_client.exceptions.ThrottlingException) as error:
        _lifecycle_calls(connect_client, contact_id)[operation]()

    assert error.value.response["ResponseMetadata"]["HTTPStatusCode"] == 429


def test_each_operation_has_its_own_token_bucket(
    connect_client: ConnectClient, connect_emulator: ConnectEmulator, task_request: RequestBuilder
) -> None:
    connect_emulator.set_faults(
        FaultConfig(
            rate_limit=RateLimit(requests_per_second=0.001, burst=1),
            operations={
                "UpdateContact": OperationFaults(rate_limit=RateLimit(requests_per_second=0.001, burst=2))
            },
        )
    )
    contact_id = connect_client.start_task_contact(**task_request())["ContactId"]
    connect_client.describe_contact(InstanceId=INSTANCE, ContactId=contact_id)
    connect_client.update_contact(InstanceId=INSTANCE, ContactId=contact_id, Name="one")
    connect_client.update_contact(InstanceId=INSTANCE, ContactId=contact_id, Name="two")

    with pytest.raises(connect_client.exceptions.ThrottlingException):
        connect_client.describe_contact(InstanceId=INSTANCE, ContactId=contact_id)
    with pytest.raises(connect_client.exceptions.ThrottlingException):
        connect_client.update_contact(InstanceId=INSTANCE, ContactId=contact_id, Name="three")

    operations = connect_emulator.counters().operations
    assert (operations["DescribeContact"].throttles, operations["UpdateContact"].throttles) == (1, 1)
    assert connect_emulator.counters().throttles == 0  # StartTaskContact's own bucket was not touched


def test_a_lost_answer_after_a_lifecycle_change_leaves_the_change_applied(
    connect_client: ConnectClient, connect_emulator: ConnectEmulator, task_request: RequestBuilder
) -> None:
    contact_id = connect_client.start_task_contact(**task_request())["ContactId"]
    connect_emulator.set_faults(FaultConfig(lost_response_rates={"InternalServiceException": 1.0}))

    with pytest.raises(connect_client.exceptions.InternalServiceException) as error:
        connect_client.update_contact_attributes(
            InstanceId=INSTANCE, InitialContactId=contact_id, Attributes={"status": "refunded"}
        )

    assert "UpdateContactAttributes took effect" in error.value.response["Error"]["Message"]
    assert connect_emulator.task(contact_id).state.attributes == {"status": "refunded"}
    counters = connect_emulator.counters().operations["UpdateContactAttributes"]
    assert (counters.calls, counters.succeeded, counters.lost_responses) == (
        1,
        1,
        {"InternalServiceException": 1},
    )


def test_a_stop_whose_connection_dropped_is_seen_ended_when_retried(
    connect_client: ConnectClient, connect_emulator: ConnectEmulator, task_request: RequestBuilder
) -> None:
    contact_id = connect_client.start_task_contact(**task_request())["ContactId"]
    connect_emulator.set_faults(
        FaultConfig(
            operations={"StopContact": OperationFaults(lost_response_rates={CONNECTION_DROPPED: 1.0})}
        )
    )

    with pytest.raises(ConnectionClosedError):
        connect_client.stop_contact(InstanceId=INSTANCE, ContactId=contact_id)
    with pytest.raises(connect_client.exceptions.InvalidRequestException) as retried:
        connect_client.stop_contact(InstanceId=INSTANCE, ContactId=contact_id)

    assert "already ended" in retried.value.response["Error"]["Message"]
    assert not connect_emulator.task(contact_id).active


def test_latency_of_one_operation_is_counted_under_it(
    connect_client: ConnectClient, connect_emulator: ConnectEmulator, task_request: RequestBuilder
) -> None:
    contact_id = connect_client.start_task_contact(**task_request())["ContactId"]
    connect_emulator.set_faults(
        FaultConfig(operations={"DescribeContact": OperationFaults(latency=FixedLatency(seconds=0.02))})
    )

    connect_client.describe_contact(InstanceId=INSTANCE, ContactId=contact_id)
    connect_client.start_task_contact(**task_request())

    counters = connect_emulator.counters()
    assert counters.operations["DescribeContact"].injected_faults == {"Latency": 1}
    assert counters.operations["DescribeContact"].injected_latency_seconds == pytest.approx(0.02)
    assert counters.injected_faults == {}


def test_seeded_start_task_contact_outcomes_ignore_calls_of_other_operations(
    emulator_http: EmulatorHttp, connect_emulator: ConnectEmulator, task_request: RequestBuilder
) -> None:
    faults = FaultConfig(error_rates={"ThrottlingException": 0.4}, seed=11)

    def outcomes(*, interleave: bool) -> list[int]:
        connect_emulator.set_faults(faults)
        statuses = []
        for _ in range(30):
            statuses.append(emulator_http.start_task_contact(task_request()).status)
            if interleave:
                emulator_http.request("GET", f"/contacts/{INSTANCE}/c-1", headers=_SIGNED)
        return statuses

    assert outcomes(interleave=True) == outcomes(interleave=False)


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ({"operations": {"StopContacts": {}}}, "did you mean 'StopContact'"),
        ({"operations": {"StopContact": {"errors": {}}}}, "operations.StopContact: unknown setting 'errors'"),
        (
            {"operations": {"StopContact": {"error_rates": {"ServiceQuotaExceededException": 0.5}}}},
            "operations.StopContact.error_rates: unknown error type",
        ),
        ({"operations": {"StopContact": {"rate_limit": {"burst": 2}}}}, "requests_per_second is required"),
        (
            {"operations": {"StopContact": {"lost_response_rates": {"ConnectionDropped": 1.5}}}},
            "must be a probability",
        ),
    ],
)
def test_operation_fault_settings_that_are_wrong_are_refused_by_name(
    document: dict[str, object], message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        FaultConfig.from_json(document)


def test_operation_faults_round_trip_over_http(
    connect_emulator: ConnectEmulator, emulator_http: EmulatorHttp
) -> None:
    document = {
        "latency": {"kind": "fixed", "seconds": 0},
        "rate_limit": None,
        "error_rates": {"ThrottlingException": 0.1},
        "lost_response_rates": {},
        "active_task_quota": None,
        "seed": 5,
        "operations": {
            "StopContact": {"error_rates": {"ContactNotFoundException": 0.5}},
            "UpdateContact": {
                "rate_limit": {"requests_per_second": 1, "burst": 1},
                "lost_response_rates": {},
            },
        },
    }

    answer = emulator_http.request("PUT", "/_emulator/faults", document)

    assert answer.status == 200
    assert answer.body == emulator_http.request("GET", "/_emulator/faults").body == document
    assert connect_emulator.faults.for_operation("UpdateContact").error_rates == {"ThrottlingException": 0.1}
