"""Tracing that costs nothing when it is off: Powertools Tracer (and the X-Ray SDK) is imported only when on.

Tracing is off unless ``POWERTOOLS_TRACE_DISABLED=false`` (the stack sets it when X-Ray is enabled).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

Handler = TypeVar("Handler", bound=Callable[..., Any])


@functools.cache
def _tracer() -> Any:
    from aws_lambda_powertools import Tracer  # noqa: PLC0415 - ~300 ms of imports, only when tracing is on

    return Tracer()


@functools.cache
def traced[Handler: Callable[..., Any]](handler: Handler, *, enabled: bool) -> Handler:
    """``handler`` wrapped in a Tracer segment when tracing is on (once per container); else ``handler``."""
    if not enabled:
        return handler
    wrapped: Handler = _tracer().capture_method(handler)
    return wrapped
