"""A faithful local peer of Amazon Connect's StartTaskContact, served over HTTP on loopback.

The production boto3 client talks to it through `AWS_ENDPOINT_URL_CONNECT`, so serialisation, SigV4,
retries and error parsing are the real ones. Requests are checked against botocore's Connect model and
Connect's documented rules; faults (latency, rate quota, errors, answers lost after the task was
created, active-task quota) can be injected.

    with ConnectEmulator(EmulatorConfig()) as emulator:
        monkeypatch.setenv("AWS_ENDPOINT_URL_CONNECT", emulator.endpoint_url)
        ...
        assert emulator.counters().created == 1

HTTP routes besides `PUT /contact/task`:
    GET  /_emulator/tasks                      {"Tasks": [{ContactId, InstanceId, ClientToken, Request, ...}]}
    GET  /_emulator/counters                   Counters.to_json()
    POST /_emulator/reset                      tasks, tokens, chains, counters and faults back to the start
    GET  /_emulator/faults, PUT /_emulator/faults   FaultConfig JSON, e.g. {"latency": {"kind": "uniform",
         "min_seconds": 0.05, "max_seconds": 0.2}, "rate_limit": {"requests_per_second": 5, "burst": 10},
         "error_rates": {"ThrottlingException": 0.1}, "active_task_quota": 100, "seed": 7,
         "lost_response_rates": {"InternalServiceException": 0.05, "ConnectionDropped": 0.05}}
    POST /_emulator/tasks/{ContactId}/complete frees one slot of the active-task quota
"""

from local.connect_emulator.config import (
    ConfigError,
    EmulatorConfig,
    FaultConfig,
    FixedLatency,
    Latency,
    LognormalLatency,
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
from local.connect_emulator.state import Counters, TaskRecord

__all__ = [
    "CONNECTION_DROPPED",
    "LOST_RESPONSE_KINDS",
    "ConfigError",
    "ConnectEmulator",
    "Counters",
    "EmulatorConfig",
    "EmulatorError",
    "EmulatorNotRunning",
    "FaultConfig",
    "FixedLatency",
    "Latency",
    "LognormalLatency",
    "RateLimit",
    "TaskRecord",
    "UniformLatency",
    "UnknownContact",
    "serve",
]
