"""cfn-lint, a real CloudFormation validator, reads what we deploy: zero findings under the project's
.cfnlintrc (whose every suppression carries its reason), with sockets disabled (pytest-socket), so it
never downloads anything.

cfn-lint ships no type information, so its modules are imported by name (their attributes are Any)."""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

import pytest

from infra.paths import REPO_ROOT
from tests.infra.synthesis import SynthesizedApp

CONFIG_FILE = REPO_ROOT / ".cfnlintrc"

pytestmark = pytest.mark.disable_socket


def findings(template: Path) -> list[str]:
    """cfn-lint's findings on ``template``, as ``make synth`` runs it (the project's .cfnlintrc)."""
    config = importlib.import_module("cfnlint.config").ConfigMixIn(
        ["--config-file", str(CONFIG_FILE), str(template)]
    )
    return [str(match) for match in importlib.import_module("cfnlint.runner").Runner(config).run()]


def config_file_settings() -> dict[str, Any]:
    settings: dict[str, Any] = (
        importlib.import_module("cfnlint.config").ConfigFileArgs(config_file=CONFIG_FILE).file_args
    )
    return settings


def template_of(app: SynthesizedApp) -> Path:
    return app.assembly_dir / app.stack.template_file


@pytest.mark.parametrize("variant", ["default_app", "fifo_app", "selectors_app", "outcomes_app"])
def test_synthesized_template_has_no_cfn_lint_findings(variant: str, request: pytest.FixtureRequest) -> None:
    app: SynthesizedApp = request.getfixturevalue(variant)

    assert findings(template_of(app)) == []


def test_a_template_with_many_bus_rules_has_no_cfn_lint_findings(generated_app: SynthesizedApp) -> None:
    assert len(generated_app.resources("AWS::Events::Rule")) > 1
    assert findings(template_of(generated_app)) == []


def test_cfn_lint_still_reports_what_it_should(tmp_path: Path) -> None:
    broken = tmp_path / "Broken.template.json"
    broken.write_text(
        '{"Resources": {"Queue": {"Type": "AWS::SQS::Queue", "Properties": {"Nope": 1}}}}', encoding="utf-8"
    )

    assert any("E3002" in finding for finding in findings(broken))


def test_every_suppressed_check_is_listed_with_its_reason() -> None:
    config = config_file_settings()
    lines = CONFIG_FILE.read_text(encoding="utf-8").splitlines()

    for check in config.get("ignore_checks", []):
        position = lines.index(f"  - {check}")
        reason = lines[position - 1].strip()
        assert reason.startswith("#"), f"{check} is suppressed without a reason"
        assert len(reason) > 20, f"{check}'s reason says nothing"
    assert config["templates"] == ["cdk.out/*.template.json"]
