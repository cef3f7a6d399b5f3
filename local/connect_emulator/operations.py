"""The Connect operations the emulator serves, read from botocore's model: names, routes, errors.

Each route is the operation's `http.method` and `requestUri` template (`/contacts/{InstanceId}/{ContactId}`),
matched against a request path; URI labels come back percent-decoded. Which errors an operation can
answer with is the model's list, plus `ThrottlingException`: Connect's front door throttles every API
(each has its own rate quota) even where an operation's model does not list it, and botocore raises it
as `client.exceptions.ThrottlingException` all the same (exception classes are service-wide).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from urllib.parse import unquote

import botocore.session
from botocore.model import OperationModel, ServiceModel

START_TASK_CONTACT = "StartTaskContact"
UPDATE_CONTACT = "UpdateContact"
UPDATE_CONTACT_ATTRIBUTES = "UpdateContactAttributes"
UPDATE_CONTACT_SCHEDULE = "UpdateContactSchedule"
STOP_CONTACT = "StopContact"
DESCRIBE_CONTACT = "DescribeContact"
EMULATED_OPERATIONS = (
    START_TASK_CONTACT,
    UPDATE_CONTACT,
    UPDATE_CONTACT_ATTRIBUTES,
    UPDATE_CONTACT_SCHEDULE,
    STOP_CONTACT,
    DESCRIBE_CONTACT,
)
FRONT_DOOR_ERRORS = frozenset({"ThrottlingException"})
_LABEL = re.compile(r"\{(?P<name>[A-Za-z0-9_]+)(?P<greedy>\+?)\}")


@cache
def connect_model() -> ServiceModel:
    """The Connect service model botocore ships (loaded once per process)."""
    return botocore.session.get_session().get_service_model("connect")


def operation_model(name: str) -> OperationModel:
    return connect_model().operation_model(name)


@cache
def operation_errors(name: str) -> frozenset[str]:
    """The error types `name` can answer with: its modelled errors and the front door's."""
    return frozenset(shape.name for shape in operation_model(name).error_shapes) | FRONT_DOOR_ERRORS


@cache
def all_operation_errors() -> frozenset[str]:
    """Every error type some emulated operation can answer with."""
    return frozenset().union(*(operation_errors(name) for name in EMULATED_OPERATIONS))


def error_status(error_type: str) -> int:
    """The HTTP status the model gives an error shape."""
    return int(connect_model().shape_for(error_type).metadata["error"]["httpStatusCode"])


@dataclass(frozen=True)
class Route:
    operation: str
    method: str
    path: re.Pattern[str]

    def match(self, method: str, path: str) -> dict[str, str] | None:
        """The URI labels, percent-decoded, when `method path` is this operation; else None."""
        if method != self.method:
            return None
        found = self.path.fullmatch(path)
        if found is None:
            return None
        return {name: unquote(value) for name, value in found.groupdict().items()}


@cache
def routes() -> tuple[Route, ...]:
    """One route per emulated operation, from the model's method and URI template."""
    return tuple(_route(name) for name in EMULATED_OPERATIONS)


def match_route(method: str, path: str) -> tuple[str, dict[str, str]] | None:
    """The operation `method path` names and its URI labels, or None."""
    for route in routes():
        labels = route.match(method, path)
        if labels is not None:
            return route.operation, labels
    return None


def _route(name: str) -> Route:
    http = operation_model(name).http
    template = str(http["requestUri"]).split("?", 1)[0]
    pattern, position = [], 0
    for label in _LABEL.finditer(template):
        pattern.append(re.escape(template[position : label.start()]))
        value = ".+" if label.group("greedy") else "[^/]+"
        pattern.append(f"(?P<{label.group('name')}>{value})")
        position = label.end()
    pattern.append(re.escape(template[position:]))
    return Route(operation=name, method=str(http["method"]), path=re.compile("".join(pattern)))
