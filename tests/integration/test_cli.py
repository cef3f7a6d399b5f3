"""``python -m local <command>``: what users run. In-process through ``main`` where that is faster; as a
real subprocess where the process itself is the point (help, exit codes, no traceback, serving)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from task_creator.mapping.token import client_token
from tests.integration.pipeline_support import run_cli, run_cli_process
from tests.support import EVENTS_DIR, SHIPPED_MAPPING_FILE

# --- help and errors ----------------------------------------------------------------------------------


def test_help_lists_every_command_with_examples() -> None:
    result = run_cli_process("--help")

    assert result.returncode == 0
    for command in ("render", "validate", "test", "invoke", "redrive", "emulator", "demo"):
        assert f"python -m local {command}" in result.stdout
    assert "exit codes" in result.stdout


def test_invoke_help_says_when_it_reaches_real_aws(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        run_cli("invoke", "--help")

    assert exit_info.value.code == 0
    help_text = " ".join(capsys.readouterr().out.split())
    assert "to REAL AWS only when AWS credentials and CONNECT_INSTANCE_ID are present" in help_text
    assert "AWS_ENDPOINT_URL_CONNECT is not set" in help_text


def test_an_error_is_one_line_on_stderr_without_a_traceback() -> None:
    result = run_cli_process("render", "no-such-event.json")

    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.splitlines() == ["error: cannot read no-such-event.json: No such file or directory"]


# --- render -------------------------------------------------------------------------------------------


def test_render_json_lists_each_rules_request_with_its_client_token() -> None:
    code, out, _ = run_cli("render", str(EVENTS_DIR / "sqs-eventbridge-batch.json"), "--json")

    assert code == 0
    tasks = json.loads(out)
    assert [task["rule"] for task in tasks] == [
        "order-delayed",
        "payment-failed",
        "order-delayed",
        "vip-escalation",
    ]
    first = tasks[0]
    assert set(first) == {"rule", "eventId", "action", "taskKey", "operations", "request"}
    assert (first["action"], first["taskKey"], first["operations"]) == (
        "create",
        "order:ORD-1001",
        ["StartTaskContact"],
    )
    assert first["request"]["Name"] == "Order ORD-1001 is delayed"
    assert first["request"]["ClientToken"] == client_token("TaskCreator", "order-delayed", "ORD-1001")


def test_render_prints_scheduled_time_as_iso_8601(tmp_path: Path) -> None:
    follow_up = (datetime.now(UTC) + timedelta(days=1)).replace(microsecond=0)
    event = json.loads((EVENTS_DIR / "eventbridge-order-delayed.json").read_text())
    event["detail"]["followUpAt"] = follow_up.isoformat().replace("+00:00", "Z")
    event_file = tmp_path / "event.json"
    event_file.write_text(json.dumps(event))

    code, out, _ = run_cli("render", str(event_file), "--json")

    assert code == 0
    (task,) = json.loads(out)
    assert task["request"]["ScheduledTime"] == follow_up.isoformat().replace("+00:00", "Z")


def test_render_reads_a_bare_payload_with_the_given_source_and_detail_type() -> None:
    payload = str(EVENTS_DIR / "payloads" / "callback-request.json")

    code, out, _ = run_cli(
        "render", payload, "--source", "crm.legacy", "--detail-type", "CallbackRequested", "--json"
    )

    assert code == 0
    (task,) = json.loads(out)
    assert task["rule"] == "callback-request"
    assert task["request"]["Name"] == "Call back Olu Ade"


def test_render_explains_why_poison_records_would_be_dead_lettered() -> None:
    code, out, _ = run_cli("render", str(EVENTS_DIR / "sqs-poison-records.json"))

    assert code == 1
    assert "MalformedEvent: SQS message body is not valid JSON" in out
    assert "no rule matches: the function would dead-letter it (UnmatchedEvent)" in out
    assert "rule support-ticket: MappingError: Name rendered empty" in out


def test_render_shows_a_follow_ups_calls_with_the_contact_id_left_to_the_task_registry() -> None:
    code, out, _ = run_cli("render", str(EVENTS_DIR / "eventbridge-order-delivery-rescheduled.json"))

    assert code == 0
    lines = out.splitlines()
    assert (
        lines[1]
        == "  rule order-delivery-rescheduled -> update the task registered under task key 'order:ORD-1001'"
    )
    assert [line.strip() for line in lines if line.startswith("    Update")] == [
        "UpdateContact",
        "UpdateContactAttributes",
    ]
    assert out.count('"ContactId": "<the ContactId registered under order:ORD-1001>"') == 1
    assert '"InitialContactId": "<the ContactId registered under order:ORD-1001>"' in out  # its own id member
    assert '"Description": "Delivery moved to 2026-11-27 (Carrier capacity)"' in out
    note = " ".join(out.split())
    assert "render cannot resolve the key offline, so this assumes its task exists and is open" in note
    assert "With no task yet the function retries, then dead-letters NoTaskForKey" in note


def test_render_json_of_a_complete_names_its_operation_and_task_key() -> None:
    code, out, _ = run_cli("render", str(EVENTS_DIR / "eventbridge-order-delivered.json"), "--json")

    assert code == 0
    assert json.loads(out) == [
        {
            "rule": "order-delivered",
            "eventId": "8e4b2d71-0a9c-4f36-b1e5-7c2d9f6a0b14",
            "action": "complete",
            "taskKey": "order:ORD-1001",
            "operations": ["StopContact"],
            "request": {},  # StopContact needs only the ids, which the function fills in
        }
    ]


def test_render_checks_a_reschedule_against_the_clock(tmp_path: Path) -> None:
    def moved(at: datetime) -> Path:
        event = json.loads((EVENTS_DIR / "eventbridge-order-delivered.json").read_text())
        event["detail-type"] = "OrderFollowUpMoved"
        event["detail"]["followUpAt"] = at.isoformat()
        path = tmp_path / f"moved-{at.timestamp():.0f}.json"
        path.write_text(json.dumps(event))
        return path

    later = datetime.now(UTC).replace(microsecond=0) + timedelta(days=1)
    code, out, _ = run_cli("render", str(moved(later)), "--json")
    assert code == 0
    (task,) = json.loads(out)
    assert (task["action"], task["operations"]) == ("reschedule", ["UpdateContactSchedule"])
    assert task["request"] == {"ScheduledTime": later.isoformat().replace("+00:00", "Z")}

    code, out, _ = run_cli("render", str(moved(datetime.now(UTC) - timedelta(hours=1))))
    assert code == 1
    assert "rule order-follow-up-moved: LimitViolation: ScheduledTime: is in the past" in out


def test_render_of_a_create_names_the_task_key_it_registers() -> None:
    code, out, _ = run_cli("render", str(EVENTS_DIR / "eventbridge-order-delayed.json"))

    assert code == 0
    assert "  rule order-delayed -> StartTaskContact, registered under task key 'order:ORD-1001'" in out


# --- validate -----------------------------------------------------------------------------------------


def test_validate_explains_every_problem_of_a_broken_mapping(tmp_path: Path) -> None:
    mapping = json.loads(SHIPPED_MAPPING_FILE.read_text())
    mapping["rules"][0]["match"]["source"] = [{"prefixx": "acme."}]
    mapping["rules"][3]["name"] = mapping["rules"][2]["name"]
    broken = tmp_path / "mapping.json"
    broken.write_text(json.dumps(mapping))

    code, out, _ = run_cli("validate", "--mapping", str(broken))

    assert code == 1
    assert out.startswith(f"{broken}: INVALID, 2 problems\n")
    problems = [line for line in out.splitlines() if line.startswith("  - ")]
    assert len(problems) == 2
    assert any("prefixx" in problem for problem in problems)
    assert any("duplicate" in problem.lower() for problem in problems)


def test_validate_accepts_the_shipped_mapping_and_shows_the_bus_rule_pattern() -> None:
    code, out, _ = run_cli("validate", "--mapping", str(SHIPPED_MAPPING_FILE))

    assert code == 0
    assert "valid, 10 rules" in out
    assert (
        "  - order-delivered (complete, task key order:{{ detail.orderId }}; identity: the event's id)" in out
    )
    (pattern_line,) = [line for line in out.splitlines() if line.startswith("bus rule pattern")]
    assert json.loads(pattern_line.split(": ", 1)[1])["$or"][0] == {
        "source": ["acme.orders"],
        "detail-type": ["OrderDelayed", "OrderDeliveryRescheduled", "OrderFollowUpMoved", "OrderDelivered"],
    }
