"""The function's role in the template: least privilege for Connect, SQS and DynamoDB."""

from __future__ import annotations

from infra.ledger import ITEM_ACTIONS
from tests.infra.synthesis import (
    FLOW_ID,
    QUICK_CONNECT_ID,
    TEMPLATE_ID,
    SynthesizedApp,
    as_list,
    connect_arn,
    get_att,
    json_key,
    statements_for,
)

CONSUME_ACTIONS = {
    "sqs:ReceiveMessage",
    "sqs:DeleteMessage",
    "sqs:ChangeMessageVisibility",
    "sqs:GetQueueAttributes",
    "sqs:GetQueueUrl",
}


def test_connect_permission_names_the_new_contacts_and_the_default_flow_only(
    default_app: SynthesizedApp,
) -> None:
    start_task, *lifecycle = statements_for(default_app, "connect:")  # lifecycle: test_lifecycle_permissions
    assert start_task == {
        "Action": "connect:StartTaskContact",
        "Effect": "Allow",
        "Resource": [connect_arn("contact/*"), connect_arn(f"contact-flow/{FLOW_ID}")],
    }
    assert [statement["Sid"] for statement in lifecycle] == [
        "UpdateTasks",
        "RescheduleTasks",
        "CompleteTasks",
    ]


def test_connect_permission_follows_the_selectors_the_rules_name(selectors_app: SynthesizedApp) -> None:
    assert statements_for(selectors_app, "connect:") == [
        {
            "Action": "connect:StartTaskContact",
            "Effect": "Allow",
            "Resource": [
                connect_arn("contact/*"),
                connect_arn("contact-flow/*"),  # rule routed-by-event renders its flow from the event
                connect_arn(f"task-template/{TEMPLATE_ID}"),
                connect_arn(f"transfer-destination/{QUICK_CONNECT_ID}"),
            ],
        }
    ]


def test_sqs_permissions_are_consume_on_ingest_and_send_on_the_dlq(default_app: SynthesizedApp) -> None:
    queues = default_app.stack.queues
    by_resource: dict[str, set[str]] = {}
    for statement in statements_for(default_app, "sqs:"):
        key = json_key(statement["Resource"])
        by_resource.setdefault(key, set()).update(as_list(statement["Action"]))

    assert by_resource == {
        json_key(get_att(default_app, queues.queue)): CONSUME_ACTIONS,
        json_key(get_att(default_app, queues.dead_letter_queue)): {
            "sqs:SendMessage",
            "sqs:GetQueueAttributes",
            "sqs:GetQueueUrl",
        },
    }


def test_with_fifo_the_function_consumes_both_ingest_queues_and_may_send_to_both_dlqs(
    fifo_app: SynthesizedApp,
) -> None:
    queues = fifo_app.stack.queues
    assert queues.fifo_lane is not None
    by_resource: dict[str, set[str]] = {}
    for statement in statements_for(fifo_app, "sqs:"):
        by_resource.setdefault(json_key(statement["Resource"]), set()).update(as_list(statement["Action"]))
    send = {"sqs:SendMessage", "sqs:GetQueueAttributes", "sqs:GetQueueUrl"}  # what grant_send_messages gives

    assert by_resource == {
        json_key(get_att(fifo_app, queues.queue)): CONSUME_ACTIONS,
        json_key(get_att(fifo_app, queues.fifo_lane.queue)): CONSUME_ACTIONS,
        json_key(get_att(fifo_app, queues.dead_letter_queue)): send,
        json_key(get_att(fifo_app, queues.fifo_lane.dead_letter_queue)): send,
    }


def test_ledger_permission_is_the_four_item_actions_on_the_table(default_app: SynthesizedApp) -> None:
    assert default_app.stack.ledger is not None
    assert statements_for(default_app, "dynamodb:") == [
        {
            "Action": list(ITEM_ACTIONS),
            "Effect": "Allow",
            "Resource": get_att(default_app, default_app.stack.ledger.table),
        }
    ]


def test_no_statement_grants_a_wildcard_action(default_app: SynthesizedApp, fifo_app: SynthesizedApp) -> None:
    for app in (default_app, fifo_app):
        actions = [action for s in app.function_statements() for action in as_list(s["Action"])]
        assert actions
        assert not [action for action in actions if "*" in action]


def test_role_has_no_managed_policies(default_app: SynthesizedApp) -> None:
    _, role = default_app.only("AWS::IAM::Role")

    assert "ManagedPolicyArns" not in role["Properties"]
