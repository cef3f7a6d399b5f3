"""EventBridge, for the function's outcome events: PutEvents in calls of up to 10 entries.

``publish`` never raises: it answers which entries were not accepted (a failed call fails all of its
entries; a failed entry in an accepted call fails alone), so the caller can retry the records they
belong to. EventBridge's error text is not kept: only its code, which quotes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

if TYPE_CHECKING:
    from mypy_boto3_events import EventBridgeClient

PUT_EVENTS_MAX_ENTRIES = 10


@dataclass(frozen=True)
class PublishResult:
    published: int
    failed: frozenset[int]  # indexes into the entries given
    error_codes: tuple[str, ...] = ()


class OutcomeEventBus:
    def __init__(self, events_client: EventBridgeClient) -> None:
        self._client = events_client

    def publish(self, entries: Sequence[dict[str, Any]]) -> PublishResult:
        failed: set[int] = set()
        codes: list[str] = []
        for start in range(0, len(entries), PUT_EVENTS_MAX_ENTRIES):
            chunk = list(entries[start : start + PUT_EVENTS_MAX_ENTRIES])
            for offset, code in self._put(chunk):
                failed.add(start + offset)
                codes.append(code)
        return PublishResult(
            published=len(entries) - len(failed), failed=frozenset(failed), error_codes=tuple(codes)
        )

    def _put(self, chunk: list[dict[str, Any]]) -> list[tuple[int, str]]:
        """The (offset, error code) of each entry of ``chunk`` EventBridge did not accept."""
        try:
            response = self._client.put_events(Entries=chunk)  # type: ignore[arg-type]
        except ClientError as error:
            code = str(error.response.get("Error", {}).get("Code") or "ClientError")
            return [(offset, code) for offset in range(len(chunk))]
        except BotoCoreError as error:
            return [(offset, type(error).__name__) for offset in range(len(chunk))]
        if not response.get("FailedEntryCount"):
            return []
        results = response.get("Entries") or []
        failures = [
            (offset, str(result.get("ErrorCode") or "FailedEntry"))
            for offset, result in enumerate(results)
            if result.get("ErrorCode") or not result.get("EventId")
        ]
        # Fewer results than entries would be a broken response: count the missing ones as failed.
        failures.extend((offset, "MissingEntryResult") for offset in range(len(results), len(chunk)))
        return failures
