"""A faithful local peer of Amazon Connect's task operations, served over HTTP on loopback.

StartTaskContact, UpdateContact, UpdateContactAttributes, UpdateContactSchedule, StopContact and
DescribeContact, on the methods and URIs of botocore's Connect model. The production boto3 client talks
to it through `AWS_ENDPOINT_URL_CONNECT`, so serialisation, SigV4, retries and error parsing are the real
ones. Requests are checked against the model and Connect's documented rules; faults (latency, rate
quota, errors, answers lost after the call took effect, active-task quota) can be injected, for every
operation or per operation.

    with ConnectEmulator(EmulatorConfig()) as emulator:
        monkeypatch.setenv("AWS_ENDPOINT_URL_CONNECT", emulator.endpoint_url)
        ...
        assert emulator.counters().created == 1

HTTP routes besides Connect's:
    GET  /_emulator/tasks                      {"Tasks": [TaskRecord.to_json(), ...]}: ContactId, InstanceId,
         ClientToken, Request (as received), Status, Contact (current state), History (operations applied)
    GET  /_emulator/tasks/{ContactId}          one TaskRecord.to_json() (404 if unknown)
    GET  /_emulator/counters                   Counters.to_json(), with "operations": {name: {...}}
    POST /_emulator/reset                      tasks, tokens, chains, counters and faults back to the start
    GET  /_emulator/faults, PUT /_emulator/faults   FaultConfig JSON, e.g. {"latency": {"kind": "uniform",
         "min_seconds": 0.05, "max_seconds": 0.2}, "rate_limit": {"requests_per_second": 5, "burst": 10},
         "error_rates": {"ThrottlingException": 0.1}, "active_task_quota": 100, "seed": 7,
         "lost_response_rates": {"InternalServiceException": 0.05, "ConnectionDropped": 0.05},
         "operations": {"StopContact": {"error_rates": {"InternalServiceException": 0.5}}}}
    POST /_emulator/tasks/{ContactId}/complete ends a task as an agent would, freeing a slot of the
         active-task quota
"""

from local.connect_emulator.config import (
    ConfigError,
    EmulatorConfig,
    FaultConfig,
    FixedLatency,
    Latency,
    LognormalLatency,
    OperationFaults,
    RateLimit,
    UniformLatency,
)
from local.connect_emulator.emulator import ConnectEmulator, EmulatorNotRunning, serve
from local.connect_emulator.errors import (
    CONNECTION_DROPPED,
    LOST_RESPONSE_KINDS,
    EmulatorError,
    UnknownContact,
)
from local.connect_emulator.operations import EMULATED_OPERATIONS
from local.connect_emulator.records import ContactState, Counters, HistoryEntry, OperationCounters, TaskRecord

__all__ = [
    "CONNECTION_DROPPED",
    "EMULATED_OPERATIONS",
    "LOST_RESPONSE_KINDS",
    "ConfigError",
    "ConnectEmulator",
    "ContactState",
    "Counters",
    "EmulatorConfig",
    "EmulatorError",
    "EmulatorNotRunning",
    "FaultConfig",
    "FixedLatency",
    "HistoryEntry",
    "Latency",
    "LognormalLatency",
    "OperationCounters",
    "OperationFaults",
    "RateLimit",
    "TaskRecord",
    "UniformLatency",
    "UnknownContact",
    "serve",
]
