"""The command line as its users find it (issue 8, section 4): the mapping `invoke` reads, what to set
when AWS configuration is missing, `--faults` as documented, exit codes and wording that say what
happened once, and a demo that survives one bad sample. A redrive that ends (refused loops, pacing,
long polling) is in test_cli_operations.py, beside the other redrive tests."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from local.aws import EmbeddedAws
from local.connect_emulator import ConnectEmulator
from tests.integration.pipeline_support import run_cli, run_cli_process
from tests.support import EVENTS_DIR, REPO_ROOT

ORDER_DELAYED = EVENTS_DIR / "eventbridge-order-delayed.json"


def write_json(path: Path, document: Any) -> Path:
    path.write_text(json.dumps(document))
    return path


def custom_event(tmp_path: Path) -> Path:
    """An event no shipped rule matches."""
    event = json.loads(ORDER_DELAYED.read_text())
    event.update({"source": "acme.custom", "detail-type": "Custom", "detail": {"who": "Ana", "url": "nope"}})
    return write_json(tmp_path / "event.json", event)


def custom_mapping(tmp_path: Path, **task: Any) -> Path:
    rule = {
        "name": "custom",
        "match": {"source": ["acme.custom"]},
        "task": {"Name": "Hi {{ detail.who }}", **task},
    }
    return write_json(tmp_path / "mapping.json", {"rules": [rule]})


@pytest.fixture
def no_target_in_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("CONNECT_INSTANCE_ID", "AWS_ENDPOINT_URL_CONNECT", "MAPPING_FILE"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def sqs_at_moto(embedded_aws: EmbeddedAws, monkeypatch: pytest.MonkeyPatch) -> EmbeddedAws:
    monkeypatch.setenv("AWS_ENDPOINT_URL_SQS", embedded_aws.endpoint_url)
    return embedded_aws


def without_region(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("AWS_DEFAULT_REGION", "AWS_REGION"):
        monkeypatch.delenv(name, raising=False)


def without_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SECURITY_TOKEN", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")  # no instance metadata lookup on a dev machine


# --- invoke reads the author's mapping ----------------------------------------------------------------


@pytest.mark.usefixtures("no_target_in_environment", "embedded_aws")
def test_invoke_locally_uses_the_mapping_given_with_mapping_option(tmp_path: Path) -> None:
    code, out, err = run_cli(
        "invoke", str(custom_event(tmp_path)), "--mapping", str(custom_mapping(tmp_path)), "--quiet"
    )

    assert code == 0, err
    assert "Tasks Connect received: 1" in out
    assert '"Name": "Hi Ana"' in out


@pytest.mark.usefixtures("no_target_in_environment", "embedded_aws")
def test_invoke_locally_honours_mapping_file_like_render(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    event = str(custom_event(tmp_path))
    monkeypatch.setenv("MAPPING_FILE", str(custom_mapping(tmp_path)))

    rendered = run_cli("render", event, "--json")
    code, out, _ = run_cli("invoke", event, "--quiet")

    assert rendered[0] == 0
    assert [task["request"]["Name"] for task in json.loads(rendered[1])] == ["Hi Ana"]
    assert code == 0
    assert '"Name": "Hi Ana"' in out
    assert "UnmatchedEvent" not in out


@pytest.mark.usefixtures("no_target_in_environment")
def test_invoke_against_your_endpoints_uses_the_mapping_option(
    tmp_path: Path, connect_emulator: ConnectEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL_CONNECT", connect_emulator.endpoint_url)

    code, out, _ = run_cli(
        "invoke", str(custom_event(tmp_path)), "--mapping", str(custom_mapping(tmp_path)), "--quiet"
    )

    assert code == 0
    assert [task["rule"] for task in json.loads(out.removeprefix("Response:\n"))["tasks"]] == ["custom"]
    assert [task.request["Name"] for task in connect_emulator.tasks()] == ["Hi Ana"]


@pytest.mark.usefixtures("no_target_in_environment", "embedded_aws")
def test_invoke_names_a_dead_letters_error_type_once(tmp_path: Path) -> None:
    mapping = custom_mapping(tmp_path, References={"Doc": {"Type": "URL", "Value": "{{ detail.url }}"}})

    code, out, _ = run_cli("invoke", str(custom_event(tmp_path)), "--mapping", str(mapping), "--quiet")

    assert code == 0
    dead_letters = out.split("Dead letters: 1\n", 1)[1].splitlines()
    assert dead_letters[0] == (
        "  InvalidParameterException: [custom] References.Doc.Value is not a valid URL (an http or https URL)"
    )


# --- missing region or credentials: one line saying what to set ---------------------------------------


def test_redrive_without_a_region_says_what_to_set(
    sqs_at_moto: EmbeddedAws, monkeypatch: pytest.MonkeyPatch
) -> None:
    without_region(monkeypatch)

    code, out, err = run_cli(
        "redrive", "--dlq", "http://127.0.0.1:1/1/dlq", "--to", "http://127.0.0.1:1/1/in"
    )

    assert code == 2
    assert out == ""
    assert err == (
        "error: no AWS region configured: set AWS_DEFAULT_REGION (e.g. export AWS_DEFAULT_REGION=eu-west-1), "
        "or a region in your AWS profile (AWS_PROFILE)\n"
    )


def test_redrive_with_only_aws_region_says_boto3_reads_aws_default_region(
    sqs_at_moto: EmbeddedAws, monkeypatch: pytest.MonkeyPatch
) -> None:
    without_region(monkeypatch)
    monkeypatch.setenv("AWS_REGION", "eu-west-1")

    code, _, err = run_cli("redrive", "--dlq", "http://127.0.0.1:1/1/dlq", "--to", "http://127.0.0.1:1/1/in")

    assert code == 2
    assert err == (
        "error: AWS_REGION=eu-west-1 is set, but boto3 reads AWS_DEFAULT_REGION: "
        "export AWS_DEFAULT_REGION=eu-west-1\n"
    )


def test_redrive_without_credentials_says_what_to_set(
    sqs_at_moto: EmbeddedAws, monkeypatch: pytest.MonkeyPatch
) -> None:
    without_credentials(monkeypatch)
    dlq, ingest = (sqs_at_moto.sqs().create_queue(QueueName=name)["QueueUrl"] for name in ("dlq", "ingest"))

    code, _, err = run_cli("redrive", "--dlq", dlq, "--to", ingest)

    assert code == 2
    assert len(err.splitlines()) == 1
    assert err.startswith("error: no AWS credentials found: set AWS_PROFILE")
    assert "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY" in err


@pytest.mark.usefixtures("no_target_in_environment")
def test_invoke_against_your_endpoints_without_credentials_says_what_to_set(
    connect_emulator: ConnectEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL_CONNECT", connect_emulator.endpoint_url)
    without_credentials(monkeypatch)

    code, out, err = run_cli("invoke", str(EVENTS_DIR / "sqs-raw-payloads.json"), "--quiet")

    assert code == 2
    assert out == ""
    assert err.startswith("error: no AWS credentials found (boto3 signs every call, even to a local endpoint")
    assert "set AWS_PROFILE" in err
    assert connect_emulator.counters().calls == 0


@pytest.mark.usefixtures("no_target_in_environment")
def test_invoke_against_your_endpoints_without_a_region_says_what_to_set(
    connect_emulator: ConnectEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL_CONNECT", connect_emulator.endpoint_url)
    without_region(monkeypatch)

    code, _, err = run_cli("invoke", str(ORDER_DELAYED), "--quiet")

    assert code == 2
    assert err.startswith("error: no AWS region configured: set AWS_DEFAULT_REGION")


# --- emulator --faults: inline JSON or a file, validated by field -------------------------------------


def test_emulator_takes_inline_json_faults() -> None:
    faults = '{"rate_limit": {"requests_per_second": 2, "burst": 3}}'
    process = subprocess.Popen(
        [sys.executable, "-m", "local", "emulator", "--port", "0", "--faults", faults],
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert process.stdout is not None
        endpoint = process.stdout.readline().rsplit(" ", 1)[-1].strip()
        with urllib.request.urlopen(f"{endpoint}/_emulator/faults", timeout=10) as response:
            served = json.loads(response.read())
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
    assert served["rate_limit"] == {"requests_per_second": 2, "burst": 3}


def test_emulator_faults_that_miss_a_field_name_it(tmp_path: Path) -> None:
    faults = write_json(tmp_path / "faults.json", {"rate_limit": {"requests_per_second": 2}})

    code, _, err = run_cli("emulator", "--faults", str(faults))

    assert code == 2
    assert err == "error: invalid emulator settings: rate_limit.burst is required\n"


@pytest.mark.parametrize(
    ("faults", "message"),
    [
        ('{"ratelimit": {}}', "fault settings: unknown setting 'ratelimit' (did you mean 'rate_limit'?)"),
        (
            '{"rate_limit": {"requests_per_second": "2", "burst": 2}}',
            "rate_limit.requests_per_second must be a positive number",
        ),
        ('{"latency": {"kind": "uniform", "min_seconds": 1}}', "latency.max_seconds is required"),
        ('{"latency": {"kind": "fixed", "second": 1}}', "unknown setting 'second' (did you mean 'seconds'?)"),
        ("[1]", "the fault settings must be a JSON object"),
    ],
)
def test_emulator_faults_errors_name_the_field(faults: str, message: str) -> None:
    code, _, err = run_cli("emulator", "--faults", faults)

    assert code == 2
    assert err.startswith("error: invalid emulator settings: ")
    assert message in err
    assert len(err.splitlines()) == 1


def test_emulator_reports_inline_faults_that_are_not_json() -> None:
    code, _, err = run_cli("emulator", "--faults", '{"rate_limit": ')

    assert code == 2
    assert err.startswith("error: --faults is not valid JSON: ")


# --- validate and render: exit codes, problems, wording -----------------------------------------------


def test_validate_a_missing_mapping_file_exits_2(tmp_path: Path) -> None:
    missing = tmp_path / "missing.json"

    code, out, err = run_cli("validate", "--mapping", str(missing))

    assert code == 2
    assert out == ""
    assert err == f"error: cannot read {missing}: No such file or directory\n"


def test_validate_counts_a_single_rule_in_the_singular(tmp_path: Path) -> None:
    code, out, _ = run_cli("validate", "--mapping", str(custom_mapping(tmp_path)))

    assert code == 0
    assert out.splitlines()[0].endswith(": valid, 1 rule")


def test_render_with_a_broken_mapping_lists_each_problem(tmp_path: Path) -> None:
    broken = write_json(
        tmp_path / "broken.json",
        {"rules": [{"name": "a", "match": {"source": ["x"]}, "task": {"Nmae": "x"}, "evntId": "{{ id }}"}]},
    )

    code, out, err = run_cli("render", str(ORDER_DELAYED), "--mapping", str(broken))

    assert code == 2
    assert out == ""
    heading, *problems = err.splitlines()
    assert heading == f"error: {broken} is not a valid mapping, 3 problems:"
    assert len(problems) == 3
    assert all(problem.startswith("  - rule 'a': ") for problem in problems)
    assert problems[0].startswith("  - rule 'a': unknown key 'evntId'")
    assert any("task.Nmae: not a StartTaskContact parameter" in problem for problem in problems)
    assert any("task.Name is required" in problem for problem in problems)


def test_validate_suggests_the_nearest_valid_key(tmp_path: Path) -> None:
    rule = {"name": "a", "match": {"source": ["x"]}, "evntId": "{{ id }}", "task": {"Nmae": "x", "Name": "x"}}
    mapping = write_json(tmp_path / "typo.json", {"rule": [rule], "rules": [rule]})

    code, out, _ = run_cli("validate", "--mapping", str(mapping))

    assert code == 1
    assert "unknown key 'evntId' (did you mean 'eventId'?)" in out
    assert "task.Nmae: not a StartTaskContact parameter (did you mean 'Name'?)" in out
    assert "unknown top-level key 'rule' (did you mean 'rules'?)" in out


# --- demo: one bad sample is reported, the others run -------------------------------------------------


def test_demo_reports_a_malformed_sample_and_runs_the_others(tmp_path: Path) -> None:
    events = tmp_path / "events"
    events.mkdir()
    shutil.copy(ORDER_DELAYED, events / "good.json")
    bad = json.loads(ORDER_DELAYED.read_text())
    bad["detail-type"] = 5  # PutEvents refuses it: ParamValidationError
    write_json(events / "bad-detail-type.json", bad)
    (events / "not-json.json").write_text("{")

    result = run_cli_process(
        "demo",
        "--events",
        str(events),
        "--log",
        str(tmp_path / "function.log"),
        "--timeout",
        "30",
        timeout=90,
    )

    assert result.returncode == 1, result.stderr
    assert "unexpected" not in result.stderr
    assert "demo: skipped sample bad-detail-type.json: ParamValidationError: " in result.stderr
    assert "Entries[0].DetailType" in result.stderr
    assert "demo: skipped sample not-json.json: cannot read a JSON invocation" in result.stderr
    assert "messages published per round: 1" in result.stdout
    assert "tasks created: 1" in result.stdout
