"""How commands fail: one clear line on stderr and an exit code, never a traceback."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from typing import TextIO

EXIT_OK = 0
EXIT_FAILED = 1  # the command ran and found a problem (invalid mapping, a dead letter, a timeout)
EXIT_USAGE = 2  # the command could not run as asked (bad arguments, unreadable file, bad settings)

Command = Callable[[argparse.Namespace, TextIO, TextIO], int]
"""What every command is: ``(arguments, stdout, stderr) -> exit code``."""


class CliError(Exception):
    """A failure to report as ``error: <message>`` with ``exit_code``; ``details`` (the problems of an
    invalid mapping, say) follow it, one ``  - <detail>`` line each."""

    def __init__(self, message: str, *, exit_code: int = EXIT_FAILED, details: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.exit_code = exit_code
        self.details = tuple(details)

    def report(self) -> str:
        """What goes to stderr."""
        return f"error: {self.message}\n" + "".join(f"  - {detail}\n" for detail in self.details)


class UsageError(CliError):
    """The command cannot run as asked."""

    def __init__(self, message: str, *, details: Sequence[str] = ()) -> None:
        super().__init__(message, exit_code=EXIT_USAGE, details=details)


def plural(count: int, noun: str) -> str:
    """``1 rule``, ``2 rules``, ``0 messages``."""
    return f"{count} {noun}{'' if count == 1 else 's'}"
