"""Validate a request against its operation's input shape in botocore's Connect model.

Everything is read from the model by walking its shapes: required members, member types, min/max of
strings (characters), lists and maps (entries) and numbers (values), enums and `pattern` traits. Nothing
here copies a number from the documentation. Members the model places in the URI (`location: uri`) are
taken from the path, the others from the JSON body. Error HTTP statuses come from the same model
(`httpStatusCode` of each error shape). Messages name the member path (`References.Order.Type`,
`Attachments[0].FileName`) and the constraint, never the value that was sent.
"""

from __future__ import annotations

import base64
import binascii
import math
import re
from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any

from botocore.model import ListShape, MapShape, OperationModel, Shape, StringShape, StructureShape

from local.connect_emulator.errors import MODELLED_ERRORS, InvalidParameter
from local.connect_emulator.operations import (
    START_TASK_CONTACT,
    all_operation_errors,
    error_status,
    operation_model,
)
from local.connect_emulator.patterns import compile_model_pattern

OPERATION_NAME = START_TASK_CONTACT
MAX_NESTING = 32
_CONTAINER_TYPES = ("structure", "list", "map")
_SCALAR_TYPES = ("string", "integer", "long", "float", "double", "boolean", "timestamp", "blob")
_SUPPORTED_TYPES = frozenset(_CONTAINER_TYPES + _SCALAR_TYPES)
_SUPPORTED_LOCATIONS = frozenset({"uri"})


def start_task_contact_model() -> OperationModel:
    """The StartTaskContact operation of the Connect model botocore ships (loaded once per process)."""
    return operation_model(START_TASK_CONTACT)


class ErrorStatuses:
    """The HTTP status of each error type the emulated operations answer with, as the model declares it."""

    def __init__(self) -> None:
        modelled = all_operation_errors()
        missing = modelled - set(MODELLED_ERRORS)
        if missing:
            raise LookupError(f"the model has errors the emulator cannot raise: {', '.join(sorted(missing))}")
        self._statuses = {name: error_status(name) for name in modelled}

    def status_for(self, error_type: str) -> int:
        return self._statuses[error_type]


class RequestValidator:
    """Checks a decoded JSON body and the URI labels against the operation's input shape; raises
    InvalidParameter. `validate` returns the request: body and URI members in one mapping."""

    def __init__(self, operation: OperationModel) -> None:
        input_shape = operation.input_shape
        if not isinstance(input_shape, StructureShape):
            raise TypeError(f"{operation.name} has no structured input")
        self._uri_members: dict[str, str] = {}
        for name, shape in input_shape.members.items():
            location = shape.serialization.get("location")
            if location is not None and location not in _SUPPORTED_LOCATIONS:
                raise NotImplementedError(f"{operation.name}.{name}: {location} members are not handled")
            if location == "uri":
                self._uri_members[name] = shape.serialization.get("name", name)
        self._input = input_shape
        self._patterns: dict[str, re.Pattern[str]] = {}
        for shape in _reachable_shapes(input_shape):
            if shape.type_name not in _SUPPORTED_TYPES or shape.metadata.get("document"):
                raise NotImplementedError(f"shape {shape.name} of type {shape.type_name} is not handled")
            pattern = shape.metadata.get("pattern")
            if pattern is not None:
                self._patterns[pattern] = compile_model_pattern(pattern)

    def validate(self, body: object, uri_labels: Mapping[str, str] | None = None) -> dict[str, Any]:
        if not isinstance(body, Mapping):
            raise _violation("", "Request body must be a JSON object")
        for name in body:
            if name in self._uri_members:
                raise _violation(str(name), "Member belongs in the request URI, not the body")
        labels = uri_labels or {}
        request = dict(body)
        for name, label in self._uri_members.items():
            if label in labels:
                request[name] = labels[label]
        self._structure(request, self._input, "", depth=0)
        return request

    def _value(self, value: object, shape: Shape, path: str, depth: int) -> None:
        if depth > MAX_NESTING:
            raise _violation(path, f"Member must not be nested more than {MAX_NESTING} levels deep")
        kind = shape.type_name
        if kind == "structure":
            if not isinstance(value, Mapping):
                raise _violation(path, "Member must be an object")
            assert isinstance(shape, StructureShape)
            self._structure(value, shape, path, depth)
        elif kind == "list":
            assert isinstance(shape, ListShape)
            self._list(value, shape, path, depth)
        elif kind == "map":
            assert isinstance(shape, MapShape)
            self._map(value, shape, path, depth)
        elif kind == "string":
            assert isinstance(shape, StringShape)
            self._string(value, shape, path)
        else:
            _check_scalar(value, shape, path)

    def _structure(self, value: Mapping[Any, Any], shape: StructureShape, path: str, depth: int) -> None:
        members = shape.members
        for name in value:
            if name not in members:
                raise _violation(_join(path, str(name)[:100]), "Member is not part of the request model")
        for name in shape.required_members:
            if name not in value:
                raise _violation(_join(path, name), "Member must not be null (it is required)")
        for name, member_value in value.items():
            self._value(member_value, members[name], _join(path, name), depth + 1)

    def _list(self, value: object, shape: ListShape, path: str, depth: int) -> None:
        if not isinstance(value, list):
            raise _violation(path, "Member must be a list")
        _check_length(len(value), shape, path, unit="length")
        for index, item in enumerate(value):
            self._value(item, shape.member, f"{path}[{index}]", depth + 1)

    def _map(self, value: object, shape: MapShape, path: str, depth: int) -> None:
        if not isinstance(value, Mapping):
            raise _violation(path, "Member must be an object")
        _check_length(len(value), shape, path, unit="number of entries")
        for position, (key, item) in enumerate(value.items(), start=1):
            assert isinstance(shape.key, StringShape)
            self._string(key, shape.key, f"{path} (key #{position})")
            self._value(item, shape.value, _join(path, key), depth + 1)

    def _string(self, value: object, shape: StringShape, path: str) -> None:
        if not isinstance(value, str):
            raise _violation(path, "Member must be a string")
        _check_length(len(value), shape, path, unit="length")
        if shape.enum and value not in shape.enum:
            raise _violation(path, f"Member must satisfy enum value set: [{', '.join(shape.enum)}]")
        pattern = shape.metadata.get("pattern")
        if pattern is not None and not self._patterns[pattern].search(value):
            raise _violation(path, f"Member must satisfy regular expression pattern: {pattern}")


def _check_scalar(value: object, shape: Shape, path: str) -> None:
    kind = shape.type_name
    if kind == "boolean":
        if not isinstance(value, bool):
            raise _violation(path, "Member must be a boolean")
    elif kind in ("integer", "long"):
        if isinstance(value, bool) or not isinstance(value, int):
            raise _violation(path, "Member must be an integer")
        _check_range(value, shape, path)
    elif kind in ("float", "double"):
        if not _is_finite_number(value):
            raise _violation(path, "Member must be a number")
        assert isinstance(value, int | float)
        _check_range(value, shape, path)
    elif kind == "timestamp":
        _check_timestamp(value, shape, path)
    elif kind == "blob" and not _is_base64(value):
        raise _violation(path, "Member must be base64-encoded text")


def _check_timestamp(value: object, shape: Shape, path: str) -> None:
    wire_format = shape.serialization.get("timestampFormat", "unixTimestamp")
    if wire_format == "unixTimestamp":
        if not _is_finite_number(value):
            raise _violation(path, "Member must be a timestamp in epoch seconds (a JSON number)")
        return
    if not isinstance(value, str):
        raise _violation(path, f"Member must be a timestamp string ({wire_format})")
    if wire_format == "iso8601":
        try:
            datetime.fromisoformat(value)
        except ValueError:
            raise _violation(path, "Member must be an ISO 8601 timestamp") from None


def _check_length(length: int, shape: Shape, path: str, *, unit: str) -> None:
    minimum, maximum = shape.metadata.get("min"), shape.metadata.get("max")
    if minimum is not None and length < minimum:
        raise _violation(path, f"Member must have {unit} greater than or equal to {minimum}")
    if maximum is not None and length > maximum:
        raise _violation(path, f"Member must have {unit} less than or equal to {maximum}")


def _check_range(number: float, shape: Shape, path: str) -> None:
    minimum, maximum = shape.metadata.get("min"), shape.metadata.get("max")
    if minimum is not None and number < minimum:
        raise _violation(path, f"Member must have value greater than or equal to {minimum}")
    if maximum is not None and number > maximum:
        raise _violation(path, f"Member must have value less than or equal to {maximum}")


def _is_finite_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _is_base64(value: object) -> bool:
    if not isinstance(value, str):
        return False
    try:
        base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return False
    return True


def _reachable_shapes(root: Shape) -> Iterator[Shape]:
    """Every shape under `root` once (the model is recursive: SegmentAttributeValue contains itself)."""
    seen: set[str] = set()
    pending = [root]
    while pending:
        shape = pending.pop()
        if shape.name in seen:
            continue
        seen.add(shape.name)
        yield shape
        if isinstance(shape, StructureShape):
            pending.extend(shape.members.values())
        elif isinstance(shape, ListShape):
            pending.append(shape.member)
        elif isinstance(shape, MapShape):
            pending.extend((shape.key, shape.value))


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def _violation(path: str, constraint: str) -> InvalidParameter:
    where = f"Value at '{path}' failed to satisfy constraint: " if path else ""
    return InvalidParameter(f"1 validation error detected: {where}{constraint}", rule="model")
