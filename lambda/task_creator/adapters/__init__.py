"""One adapter per AWS service, each taking its client as a parameter and knowing nothing of the mapping.

``connect`` (Amazon Connect), ``dead_letters`` (the DLQ, SQS), ``ingest_queue`` (the source queue, SQS),
``ledger`` (the idempotency ledger, DynamoDB).
"""
