"""The durable idempotency ledger: Powertools idempotency on DynamoDB, keyed per (rule, event identity).

Connect's own ClientToken window for StartTaskContact is undocumented, so the ledger is what makes a
replay days later safe: a key seen before skips the Connect call and reports the stored ContactId. The
key is the ClientToken, itself derived from (namespace, rule, identity). A record left IN_PROGRESS by a
timed-out invocation expires with that invocation (the Lambda context is registered per invocation).

``start`` runs only when the token is new, so whatever it checks (the clock-dependent ScheduledTime) is
never checked again for a task that exists.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)
from aws_lambda_powertools.utilities.idempotency.exceptions import (
    IdempotencyAlreadyInProgressError,
    IdempotencyPersistenceLayerError,
)
from aws_lambda_powertools.utilities.typing import LambdaContext

from task_creator.errors import LedgerUnavailable, TaskInProgress

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.idempotency.persistence.datarecord import DataRecord
    from mypy_boto3_dynamodb import DynamoDBClient

_DUPLICATE_FLAG = "__duplicate__"
_DELIVERY_ID = "DeliveryId"

StartTask = Callable[[], str]


@dataclass(frozen=True)
class LedgerEntry:
    """The task of a token: ``duplicate`` when it was found rather than created now, ``delivery_id`` the
    message (or direct invocation) whose attempt created it (None in entries older than that field)."""

    contact_id: str
    duplicate: bool
    delivery_id: str | None = None


class TaskLedger:
    """Runs ``start`` at most once per ClientToken within the expiry; remembers the ContactId."""

    def __init__(
        self,
        table_name: str,
        *,
        dynamodb_client: DynamoDBClient,
        key_prefix: str,
        expiry: timedelta,
    ) -> None:
        self._config = IdempotencyConfig(
            expires_after_seconds=int(expiry.total_seconds()),
            raise_on_no_idempotency_key=True,
            response_hook=_mark_duplicate,
        )
        persistence = DynamoDBPersistenceLayer(table_name=table_name, boto3_client=dynamodb_client)
        self._start_once = idempotent_function(
            data_keyword_argument="ledger_key",
            persistence_store=persistence,
            config=self._config,
            key_prefix=key_prefix,
        )(_start_and_record)

    def register_lambda_context(self, context: LambdaContext) -> None:
        """Bound IN_PROGRESS records by this invocation's remaining time (call once per invocation)."""
        self._config.register_lambda_context(context)

    def start_once(self, client_token: str, start: StartTask, *, delivery_id: str = "") -> LedgerEntry:
        """``start()`` (which returns the ContactId) unless the token is in the ledger already; a new
        entry remembers ``delivery_id``, so a retry of the same message knows the task is its own."""
        stored = self._once(
            {"clientToken": client_token}, start, delivery_id, "the same task is being created"
        )
        delivery = stored.get(_DELIVERY_ID)
        return LedgerEntry(
            contact_id=str(stored["ContactId"]),
            duplicate=bool(stored.get(_DUPLICATE_FLAG)),
            delivery_id=delivery if isinstance(delivery, str) else None,
        )

    def dead_letter_once(self, delivery_id: str, write: StartTask) -> bool:
        """``write()`` (which writes the record's dead letter and returns its DLQ MessageId) unless this
        delivery was dead-lettered already; False when it was. A deferred record is a new message that
        keeps its delivery id, and the old one comes back if its batch response was lost: both fail the
        same way, and only the first may reach the DLQ."""
        stored = self._once(
            {"deadLetter": delivery_id}, write, delivery_id, "the same record is being dead-lettered"
        )
        return not stored.get(_DUPLICATE_FLAG)

    def _once(self, key: Mapping[str, str], run: StartTask, delivery_id: str, busy: str) -> Mapping[str, Any]:
        try:
            stored: Mapping[str, Any] = self._start_once(ledger_key=key, start=run, delivery_id=delivery_id)
        except IdempotencyAlreadyInProgressError:
            raise TaskInProgress(f"{busy} by another invocation right now") from None
        except IdempotencyPersistenceLayerError as error:
            raise LedgerUnavailable(
                f"idempotency ledger unavailable: {type(error.__cause__).__name__}"
            ) from None
        return stored


def _start_and_record(*, ledger_key: Mapping[str, str], start: StartTask, delivery_id: str) -> dict[str, str]:
    return {"ContactId": start(), _DELIVERY_ID: delivery_id}


def _mark_duplicate(response: Any, idempotent_data: DataRecord) -> Any:
    """Powertools calls this only when it answers from the ledger instead of running the function."""
    return {**response, _DUPLICATE_FLAG: True}
