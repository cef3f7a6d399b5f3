"""``python -m local test``: case files pin what a mapping does, offline. Through ``main``, as run."""

from __future__ import annotations

import json
import re
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator  # type: ignore[import-untyped]  # dev-only, no stubs pinned

from task_creator.mapping.rules import load_mapping
from tests.integration.pipeline_support import run_cli, run_cli_process
from tests.support import EVENTS_DIR, REPO_ROOT, SHIPPED_MAPPING_FILE, load_json

CASES_DIR = REPO_ROOT / "tests" / "mapping_cases"
CASE_SCHEMA_FILE = REPO_ROOT / "docs" / "mapping-cases.schema.json"
FAILURE_KINDS = {"MalformedEvent", "UnmatchedEvent", "MappingError", "LimitViolation"}


def run_cases(*argv: str, mapping: Path = SHIPPED_MAPPING_FILE) -> tuple[int, list[str], str]:
    code, out, err = run_cli("test", "--mapping", str(mapping), *argv)
    return code, out.splitlines(), err


def copy_case(name: str, directory: Path) -> Path:
    return Path(shutil.copy(CASES_DIR / name, directory / name))


def edit_case(path: Path, change: Any) -> None:
    document = json.loads(path.read_text())
    change(document)
    path.write_text(json.dumps(document, indent=2))


def write_json(path: Path, document: Any) -> Path:
    path.write_text(json.dumps(document, indent=2))
    return path


def order_event(**detail: Any) -> dict[str, Any]:
    event: dict[str, Any] = json.loads((EVENTS_DIR / "eventbridge-order-delayed.json").read_text())
    event["detail"].update(detail)
    return event


def iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


# --- the shipped cases --------------------------------------------------------------------------------


def test_the_shipped_cases_pass_against_the_shipped_mapping() -> None:
    code, lines, err = run_cases(str(CASES_DIR))

    assert (code, err) == (0, "")
    count = len(list(CASES_DIR.rglob("*.json")))
    assert len(lines) == count + 1
    assert all(line.startswith("pass ") for line in lines[:-1])
    assert lines[-1] == f"{count} cases: {count} passed, 0 failed, 0 could not run"


def test_the_shipped_cases_follow_the_case_schema() -> None:
    schema = load_json(CASE_SCHEMA_FILE)
    Draft202012Validator.check_schema(schema)
    validator = Draft202012Validator(schema)

    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    for path in sorted(CASES_DIR.rglob("*.json")):
        case = load_json(path)
        assert [error.message for error in validator.iter_errors(case)] == [], path.name
        assert "expect" in case, path.name


def test_the_shipped_cases_cover_every_rule_and_every_failure_kind() -> None:
    outcomes = []
    for path in CASES_DIR.rglob("*.json"):
        expect = load_json(path)["expect"]
        outcomes += expect if isinstance(expect, list) else [expect]
    rules = {task["rule"] for outcome in outcomes for task in outcome.get("tasks", [])}
    kinds = {outcome["deadLetter"]["ErrorType"] for outcome in outcomes if "deadLetter" in outcome}

    actions = {task.get("action", "create") for outcome in outcomes for task in outcome.get("tasks", [])}

    assert rules == {rule.name for rule in load_mapping(SHIPPED_MAPPING_FILE).rules}
    assert actions == {"create", "update", "reschedule", "complete"}
    assert kinds == FAILURE_KINDS
    assert any("tasks" in outcome and "deadLetter" in outcome for outcome in outcomes)  # fan-out, one fails


def test_the_request_schema_names_every_parameter_the_function_sends() -> None:
    from task_creator.mapping.task_fields import ACTION_FIELDS, TASK_ACTIONS  # noqa: PLC0415

    schema = load_json(CASE_SCHEMA_FILE)

    every_field = {field for action in TASK_ACTIONS for field in ACTION_FIELDS[action]}
    assert set(schema["$defs"]["request"]["propertyNames"]["enum"]) == {*every_field, "ClientToken"}
    assert schema["$defs"]["task"]["properties"]["action"]["enum"] == list(TASK_ACTIONS)
    assert set(schema["$defs"]["deadLetter"]["properties"]["ErrorType"]["enum"]) == FAILURE_KINDS


def test_the_cases_in_the_mapping_reference_pass(tmp_path: Path) -> None:
    text = (REPO_ROOT / "docs" / "mapping.md").read_text(encoding="utf-8")
    blocks = [json.loads(block) for block in re.findall(r"```json\n(.*?)\n```", text, re.DOTALL)]
    cases = [block for block in blocks if isinstance(block, dict) and "event" in block and "expect" in block]
    paths = [write_json(tmp_path / f"case-{index}.json", case) for index, case in enumerate(cases)]

    code, lines, _ = run_cases(*map(str, paths))

    assert cases
    assert code == 0, lines


# --- failing cases ------------------------------------------------------------------------------------


def test_a_case_fails_when_a_request_field_differs(tmp_path: Path) -> None:
    case = copy_case("order-delayed.json", tmp_path)
    edit_case(case, lambda d: d["expect"]["tasks"][0]["request"].update(Name="Order ORD-1001 is late"))

    code, lines, _ = run_cases(str(case))

    assert code == 1
    assert lines == [
        f'FAIL    {case}: order-delayed.Name: expected "Order ORD-1001 is late", '
        'got "Order ORD-1001 is delayed"',
        "1 case: 0 passed, 1 failed, 0 could not run",
    ]


def test_a_case_fails_when_another_rule_creates_the_task(tmp_path: Path) -> None:
    case = copy_case("payment-failed.json", tmp_path)
    edit_case(case, lambda d: d["expect"]["tasks"][0].update(rule="refund-failed"))

    code, lines, _ = run_cases(str(case))

    assert code == 1
    assert lines[0] == (
        f"FAIL    {case}: expected a task of rule refund-failed, none is sent; "
        "unexpected task of rule payment-failed"
    )


def test_a_case_fails_on_the_wrong_error_type_and_says_why_the_event_failed(tmp_path: Path) -> None:
    case = copy_case("support-ticket-without-subject.json", tmp_path)
    edit_case(case, lambda d: d["expect"].update(deadLetter={"ErrorType": "LimitViolation"}))

    code, lines, _ = run_cases(str(case))

    assert code == 1
    assert lines[0] == (
        f'FAIL    {case}: deadLetter.ErrorType: expected "LimitViolation", got "MappingError" '
        "([support-ticket] Name rendered empty for this event)"
    )


def test_a_case_fails_when_the_event_is_dead_lettered_instead_of_creating_its_task(tmp_path: Path) -> None:
    case = write_json(
        tmp_path / "case.json",
        {"event": order_event(priority="low"), "expect": {"tasks": [{"rule": "order-delayed"}]}},
    )

    code, lines, _ = run_cases(str(case))

    assert code == 1
    assert lines[0] == (
        f"FAIL    {case}: expected a task of rule order-delayed, none is sent; unexpected dead letter: "
        "UnmatchedEvent: no mapping rule matches source 'acme.orders' detail-type 'OrderDelayed'"
    )


def test_the_client_token_is_compared_when_the_case_gives_it(tmp_path: Path) -> None:
    case = copy_case("order-delayed.json", tmp_path)

    code, lines, _ = run_cases(str(case), "--token-namespace", "OrdersStack")

    assert code == 1
    assert "order-delayed.ClientToken: expected " in lines[0]


def test_every_record_of_a_batch_has_its_own_expectation(tmp_path: Path) -> None:
    case = copy_case("sqs-eventbridge-batch.json", tmp_path)
    edit_case(case, lambda d: d["expect"][1].update(tasks=[{"rule": "order-delayed"}]))

    code, lines, _ = run_cases(str(case))

    assert code == 1
    assert lines[0] == (
        f"FAIL    {case}: record 1: expected a task of rule order-delayed, none is sent; "
        "record 1: unexpected task of rule payment-failed"
    )


# --- the clock ----------------------------------------------------------------------------------------


def test_scheduled_time_compares_as_the_moment_sent_and_null_means_not_sent(tmp_path: Path) -> None:
    event = order_event(followUpAt="2026-11-24T09:00:00Z")
    scheduled = write_json(
        tmp_path / "scheduled.json",
        {
            "now": "2026-11-23T14:05:00Z",
            "event": event,
            "expect": {
                "tasks": [
                    {"rule": "order-delayed", "request": {"ScheduledTime": "2026-11-24T10:00:00+01:00"}}
                ]
            },
        },
    )
    started_now = write_json(
        tmp_path / "started-now.json",
        {
            "now": "2026-11-25T00:00:00Z",
            "event": event,
            "expect": {"tasks": [{"rule": "order-delayed", "request": {"ScheduledTime": None}}]},
        },
    )

    code, lines, _ = run_cases(str(scheduled), str(started_now))

    assert code == 0, lines


def test_the_pinned_now_decides_the_scheduled_time_check(tmp_path: Path) -> None:
    case = copy_case("order-delayed-follow-up.json", tmp_path)
    edit_case(case, lambda d: d.update(now="2026-11-17T09:00:00Z"))  # followUpAt is now 7 days ahead

    code, lines, _ = run_cases(str(case))

    assert code == 1
    assert lines[0] == (
        f"FAIL    {case}: expected a task of rule order-delayed, none is sent; unexpected dead letter: "
        "LimitViolation: [order-delayed] ScheduledTime: is more than 6 days ahead"
    )


def test_a_case_without_now_runs_at_the_real_clock_says_so_and_update_pins_now(tmp_path: Path) -> None:
    follow_up = iso(datetime.now(UTC).replace(microsecond=0) + timedelta(days=1))
    case = write_json(
        tmp_path / "case.json",
        {
            "event": order_event(followUpAt=follow_up),
            "expect": {"tasks": [{"rule": "order-delayed", "request": {"ScheduledTime": follow_up}}]},
        },
    )

    code, lines, _ = run_cases(str(case))
    assert code == 0
    assert lines[0].endswith('(at the real clock: pin "now" so the case does not go stale)')

    before = datetime.now(UTC).replace(microsecond=0)
    code, lines, _ = run_cases(str(case), "--update")
    assert code == 0
    assert lines[0].startswith(f'updated {case}: tasks order-delayed; pinned "now": ')
    now = datetime.fromisoformat(json.loads(case.read_text())["now"])
    assert before <= now <= datetime.now(UTC)
    code, lines, _ = run_cases(str(case))
    assert (code, lines[0]) == (0, f"pass    {case}: tasks order-delayed")


# --- ignored ------------------------------------------------------------------------------------------


def test_an_unmatched_event_is_ignored_when_the_mapping_says_so(tmp_path: Path) -> None:
    mapping = write_json(
        tmp_path / "mapping.json",
        {
            "unmatched": "ignore",
            "rules": [{"name": "orders", "match": {"source": ["acme.orders"]}, "task": {"Name": "Order"}}],
        },
    )
    newsletter = json.loads((EVENTS_DIR / "sqs-poison-records.json").read_text())["Records"][1]
    ignored = write_json(tmp_path / "ignored.json", {"event": newsletter, "expect": {"ignored": True}})
    created = write_json(
        tmp_path / "created.json", {"event": newsletter, "expect": {"tasks": [{"rule": "orders"}]}}
    )

    code, lines, _ = run_cases(str(ignored), str(created), mapping=mapping)

    assert code == 1
    assert lines == [
        f"pass    {ignored}: ignored",
        f"FAIL    {created}: expected tasks orders, got ignored",
        "2 cases: 1 passed, 1 failed, 0 could not run",
    ]


# --- --update -----------------------------------------------------------------------------------------


def test_update_rewrites_a_failing_case_keeping_what_it_pins_and_leaves_passing_ones_alone(
    tmp_path: Path,
) -> None:
    failing = write_json(
        tmp_path / "failing.json",
        {
            "description": "pins the name only",
            "event": order_event(),
            "expect": {"tasks": [{"rule": "order-delayed", "request": {"Name": "old name"}}]},
        },
    )
    passing = copy_case("payment-failed.json", tmp_path)
    untouched = passing.read_bytes()

    code, lines, _ = run_cases(str(failing), str(passing), "--update")

    assert code == 0
    assert lines == [
        f"updated {failing}: tasks order-delayed",
        f"pass    {passing}: tasks payment-failed",
        "2 cases: 1 passed, 0 failed, 0 could not run, 1 updated",
    ]
    assert json.loads(failing.read_text()) == {
        "description": "pins the name only",
        "event": order_event(),
        "expect": {"tasks": [{"rule": "order-delayed", "request": {"Name": "Order ORD-1001 is delayed"}}]},
    }
    assert passing.read_bytes() == untouched
    assert run_cases(str(failing))[0] == 0


def test_update_turns_a_bare_event_into_a_case(tmp_path: Path) -> None:
    event_file = Path(shutil.copy(EVENTS_DIR / "sqs-poison-records.json", tmp_path / "poison.json"))
    original = json.loads(event_file.read_text())

    code, lines, _ = run_cases(str(event_file))
    assert code == 2
    assert lines[0] == f'ERROR   {event_file}: not a case file (no "expect"): --update turns it into one'

    code, lines, _ = run_cases(str(event_file), "--update")
    assert code == 0
    assert lines[0].startswith(
        f"updated {event_file}: record 0: dead-letter MalformedEvent: SQS message body"
    )
    case = json.loads(event_file.read_text())
    assert list(case) == ["event", "expect"]  # outside this repository: no $schema path to point at
    assert case["event"] == original
    assert case["expect"] == [
        {"deadLetter": {"ErrorType": "MalformedEvent", "Rule": "-"}},
        {"deadLetter": {"ErrorType": "UnmatchedEvent", "Rule": "-"}},
        {"deadLetter": {"ErrorType": "MappingError", "Rule": "support-ticket"}},
    ]
    assert run_cases(str(event_file))[0] == 0


def test_a_shipped_case_pins_the_request_render_prints() -> None:
    lines = run_cli("render", str(EVENTS_DIR / "eventbridge-payment-failed.json"), "--json")[1]
    (rendered,) = json.loads(lines)
    shipped = load_json(CASES_DIR / "payment-failed.json")

    assert shipped["expect"] == {"tasks": [{"rule": "payment-failed", "request": rendered["request"]}]}


# --- files and directories ----------------------------------------------------------------------------


def test_a_directory_runs_every_json_file_under_it(tmp_path: Path) -> None:
    nested = tmp_path / "orders" / "delayed"
    nested.mkdir(parents=True)
    copy_case("order-delayed.json", nested)
    copy_case("payment-failed.json", tmp_path)
    (tmp_path / "README.md").write_text("not a case")

    code, lines, _ = run_cases(str(tmp_path))

    assert code == 0
    assert [line.split()[1] for line in lines[:-1]] == [
        f"{nested / 'order-delayed.json'}:",
        f"{tmp_path / 'payment-failed.json'}:",
    ]


def test_a_file_that_is_not_a_valid_case_is_reported_and_the_others_still_run(tmp_path: Path) -> None:
    broken = copy_case("malformed-body.json", tmp_path)
    edit_case(broken, lambda d: d["expect"]["deadLetter"].update(ErrorType="Poison"))
    not_json = tmp_path / "not-json.json"
    not_json.write_text("{")
    misplaced = write_json(
        tmp_path / "misplaced.json",
        {"attributes": {"source": "crm.legacy"}, "event": order_event(), "expect": {"ignored": True}},
    )
    no_such_day = write_json(
        tmp_path / "no-such-day.json", {"now": "2026-02-30T10:00Z", "event": {}, "expect": {"ignored": True}}
    )
    good = copy_case("order-delayed.json", tmp_path)

    code, lines, _ = run_cases(str(broken), str(not_json), str(misplaced), str(no_such_day), str(good))

    assert code == 2
    assert lines[0].startswith(f"ERROR   {broken}: expect.deadLetter.ErrorType: 'Poison' is not one of [")
    assert lines[1] == f"ERROR   {not_json}: {not_json} is not valid JSON: " + (
        "Expecting property name enclosed in double quotes at line 1 column 2"
    )
    assert lines[2] == f"ERROR   {misplaced}: attributes: " + (
        "apply to a bare payload, not to an SQS record or an EventBridge event"
    )
    assert lines[3] == (
        f"ERROR   {no_such_day}: now: '2026-02-30T10:00Z' is not a moment: day is out of range for month"
    )
    assert lines[4] == f"pass    {good}: tasks order-delayed"
    assert lines[5] == "5 cases: 1 passed, 0 failed, 4 could not run"


# --- usage errors -------------------------------------------------------------------------------------


def test_a_missing_case_path_is_a_one_line_usage_error_without_a_traceback() -> None:
    result = run_cli_process("test", "tests/no-such-cases")

    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.splitlines() == ["error: cannot read tests/no-such-cases: No such file or directory"]


def test_a_directory_without_cases_is_a_usage_error(tmp_path: Path) -> None:
    code, lines, err = run_cases(str(tmp_path))

    assert (code, lines) == (2, [])
    assert err == f"error: no case files (*.json) in {tmp_path}\n"


def test_an_invalid_mapping_is_a_usage_error(tmp_path: Path) -> None:
    mapping = write_json(tmp_path / "mapping.json", {"rules": []})

    code, lines, err = run_cases(str(CASES_DIR), mapping=mapping)

    assert (code, lines) == (2, [])
    assert err.startswith(f"error: {mapping} is not a valid mapping")


def test_a_window_that_is_not_positive_is_a_usage_error() -> None:
    code, _, err = run_cases(str(CASES_DIR), "--scheduled-time-window-days", "0")

    assert code == 2
    assert err == "error: --scheduled-time-window-days must be more than 0\n"


def test_no_cases_named_is_an_argument_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        run_cli("test")

    assert exit_info.value.code == 2
    assert "the following arguments are required: CASES" in capsys.readouterr().err


# --- lifecycle rules: a follow-up's outcome is its action, its task key and its fields -------------------


def rescheduled_event(**detail: Any) -> dict[str, Any]:
    event: dict[str, Any] = json.loads(
        (EVENTS_DIR / "eventbridge-order-delivery-rescheduled.json").read_text()
    )
    event["detail"].update(detail)
    return event


def test_update_writes_a_follow_ups_action_task_key_and_fields(tmp_path: Path) -> None:
    path = write_json(tmp_path / "rescheduled.json", rescheduled_event())

    code, lines, _ = run_cases("--update", str(path))

    assert code == 0
    assert lines[0] == f"updated {path}: update order-delivery-rescheduled (key order:ORD-1001)"
    (task,) = load_json(path)["expect"]["tasks"]
    assert task == {
        "rule": "order-delivery-rescheduled",
        "action": "update",
        "taskKey": "order:ORD-1001",
        "request": {  # the fields only: the function adds InstanceId and the key's ContactId
            "Description": "Delivery moved to 2026-11-27 (Carrier capacity)",
            "Attributes": {"deliveryDate": "2026-11-27", "status": "rescheduled"},
            "References": {"Tracking": {"Type": "URL", "Value": "https://track.example.com/ORD-1001"}},
        },
    }
    assert run_cases(str(path))[0] == 0


def test_a_case_fails_when_a_follow_up_acts_on_another_task_key(tmp_path: Path) -> None:
    path = copy_case("order-delivery-rescheduled.json", tmp_path)
    edit_case(path, lambda case: case["event"]["detail"].update(orderId="ORD-2002"))

    code, lines, _ = run_cases(str(path))

    assert code == 1
    assert 'order-delivery-rescheduled.taskKey: expected "order:ORD-1001", got "order:ORD-2002"' in lines[0]


def test_a_case_fails_when_the_rule_does_another_action(tmp_path: Path) -> None:
    path = copy_case("order-delivered.json", tmp_path)
    edit_case(path, lambda case: case["expect"]["tasks"][0].update(action="update"))

    code, lines, _ = run_cases(str(path))

    assert code == 1
    assert 'order-delivered.action: expected "update", got "complete"' in lines[0]


def test_a_follow_up_field_left_empty_is_not_sent(tmp_path: Path) -> None:
    event = rescheduled_event()
    del event["detail"]["trackingUrl"]
    case = {
        "event": event,
        "expect": {"tasks": [{"rule": "order-delivery-rescheduled", "request": {"References": None}}]},
    }

    code, lines, _ = run_cases(str(write_json(tmp_path / "case.json", case)))

    assert (code, lines[0].split(":", 1)[0]) == (0, f"pass    {tmp_path / 'case.json'}")


def test_a_reschedule_case_is_checked_against_its_pinned_now(tmp_path: Path) -> None:
    path = copy_case("order-follow-up-moved.json", tmp_path)
    edit_case(path, lambda case: case.update(now="2026-11-25T10:00:00Z"))  # the new time has passed

    code, lines, _ = run_cases(str(path))

    assert code == 1
    assert "expected a task of rule order-follow-up-moved, none is sent" in lines[0]
    assert (
        "unexpected dead letter: LimitViolation: [order-follow-up-moved] ScheduledTime: is in the past"
        in lines[0]
    )
