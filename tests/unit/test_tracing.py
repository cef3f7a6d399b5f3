"""Tracing costs nothing when it is off: the Tracer and the X-Ray SDK are not even imported."""

from __future__ import annotations

import subprocess
import sys

from task_creator.tracing import traced
from tests.support import REPO_ROOT


def handler(event: object, context: object) -> str:
    return "handled"


def test_tracing_off_returns_the_handler_itself() -> None:
    assert traced(handler, enabled=False) is handler


def test_importing_the_handler_does_not_import_the_xray_sdk() -> None:
    probe = "import sys, task_creator.handler; print('aws_xray_sdk' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=REPO_ROOT / "lambda", capture_output=True, text=True, check=True
    )

    assert result.stdout.strip() == "False"
