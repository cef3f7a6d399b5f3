"""``python -m local <command>``: render, validate, test, invoke, redrive, replay, outcomes, emulator, demo.

Every failure ends as one line on stderr (``error: ...``) and an exit code (1: the command found a
problem, 2: it could not run as asked); set ``TASK_CREATOR_DEBUG=1`` to see the traceback of an
unexpected one.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from typing import TextIO

from local.cli.errors import EXIT_FAILED, CliError, Command

INTERRUPTED = 130


def main(argv: Sequence[str] | None = None, *, out: TextIO | None = None, err: TextIO | None = None) -> int:
    """Run one command; returns its exit code."""
    out = out or sys.stdout
    err = err or sys.stderr
    from local.cli.parser import build_parser  # noqa: PLC0415 - keeps `import local.cli` light

    args = build_parser().parse_args(argv)
    run: Command = args.run
    try:
        return run(args, out, err)
    except CliError as error:
        err.write(error.report())
        return error.exit_code
    except KeyboardInterrupt:
        err.write("interrupted\n")
        return INTERRUPTED
    except Exception as error:
        if os.environ.get("TASK_CREATOR_DEBUG"):
            raise
        text = " ".join(str(error).split())  # one line, whatever the exception's text holds
        err.write(f"error: unexpected {type(error).__name__}: {text} (TASK_CREATOR_DEBUG=1 shows where)\n")
        return EXIT_FAILED
