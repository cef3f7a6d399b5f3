"""cdk-nag at every synth: the AWS Solutions and Serverless packs, as CDK policy-validation plugins.

An unacknowledged finding of either pack fails the synth. CDK writes the findings to
``cdk.out/validation-report.json`` (and, with the context flag below, ``policy-validation-report.json``);
``write_nag_report`` adds ``cdk.out/cdk-nag-report.json``: the packs that ran, every unacknowledged
finding, and every acknowledgement with the construct it applies to and its reason, so reviewers see
what was accepted and why without reading the code. The template carries the acknowledgements too
(``cdk_nag`` metadata on each resource).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aws_cdk import App, Validations
from cdk_nag import AwsSolutionsChecks, ServerlessChecks
from constructs import IConstruct

NAG_PACKS = ("AwsSolutions", "Serverless")
NAG_REPORT_FILE = "cdk-nag-report.json"
VALIDATION_REPORT_FILE = "validation-report.json"
# Also write cdk.out/policy-validation-report.json (the flat format CI tools read).
VALIDATION_REPORT_JSON_CONTEXT = "@aws-cdk/core:validationReportJson"
_ACKNOWLEDGED_PREFIX = re.compile(r"^annotation::", re.IGNORECASE)  # how CDK stores the rule ids


@dataclass(frozen=True)
class NagReport:
    """What cdk-nag found and what the stack acknowledged."""

    unacknowledged: list[dict[str, Any]] = field(default_factory=list)
    acknowledged: list[dict[str, str]] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.unacknowledged

    def as_json(self) -> dict[str, Any]:
        return {
            "packs": list(NAG_PACKS),
            "passed": self.passed,
            "unacknowledged": self.unacknowledged,
            "acknowledged": self.acknowledged,
        }


def add_compliance_checks(app: App) -> None:
    """Register both cdk-nag packs on the whole app (acknowledgements also go into the template)."""
    Validations.of(app).add_plugins(
        AwsSolutionsChecks(app, write_suppressions_to_cloud_formation=True),
        ServerlessChecks(app, write_suppressions_to_cloud_formation=True),
    )


def nag_report(root: IConstruct, assembly_dir: Path) -> NagReport:
    """The findings of the synth that wrote ``assembly_dir``, and the acknowledgements under ``root``."""
    return NagReport(
        unacknowledged=unacknowledged_findings(assembly_dir), acknowledged=acknowledgements(root)
    )


def write_nag_report(root: IConstruct, assembly_dir: Path) -> NagReport:
    """Write ``cdk-nag-report.json`` into the cloud assembly and return it."""
    report = nag_report(root, assembly_dir)
    (assembly_dir / NAG_REPORT_FILE).write_text(
        json.dumps(report.as_json(), indent=2) + "\n", encoding="utf-8"
    )
    return report


def unacknowledged_findings(assembly_dir: Path) -> list[dict[str, Any]]:
    """The nag packs' violations in CDK's validation report (none when the file is absent)."""
    path = assembly_dir / VALIDATION_REPORT_FILE
    if not path.is_file():
        return []
    document = json.loads(path.read_text(encoding="utf-8"))
    return [
        {
            "pack": report.get("pluginName"),
            "rule": violation.get("ruleName"),
            "severity": violation.get("severity"),
            "description": violation.get("description"),
            "constructs": [c.get("constructPath") for c in violation.get("violatingConstructs", [])],
        }
        for report in document.get("pluginReports", [])
        if report.get("pluginName") in NAG_PACKS
        for violation in report.get("violations", [])
    ]


def acknowledgements(root: IConstruct) -> list[dict[str, str]]:
    """Every ``Validations.of(x).acknowledge(...)`` under ``root``: rule, construct path and reason."""
    found: list[dict[str, str]] = []
    for construct in root.node.find_all():
        for entry in construct.node.metadata:
            if entry.type != Validations.ACKNOWLEDGED_RULES_METADATA_KEY or not isinstance(entry.data, dict):
                continue
            for rule, reason in entry.data.items():
                found.append(
                    {
                        "rule": _ACKNOWLEDGED_PREFIX.sub("", str(rule)),
                        "construct": construct.node.path,
                        "reason": str(reason),
                    }
                )
    return found
