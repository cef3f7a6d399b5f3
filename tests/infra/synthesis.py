"""Synthesized Task Creator apps for the infra tests: built once per session, shared by every test.

Synth is the slow part (a Node process, the asset bundle), so each variant is synthesized once and the
tests read its template, its cdk-nag report and its cloud assembly.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aws_cdk.assertions import Template

from infra.application import build_app, synthesize
from infra.compliance import NagReport
from infra.stack import TaskCreatorStack
from infra.stack_values import METRICS_NAMESPACE

DATA_DIR = Path(__file__).parent / "data"
SELECTORS_MAPPING = DATA_DIR / "selectors.mapping.json"
BROKEN_MAPPING = DATA_DIR / "broken.mapping.json"
LIFECYCLE_MAPPING = DATA_DIR / "lifecycle.mapping.json"
OUTCOME_LOOPS_MAPPING = DATA_DIR / "outcome-loops.mapping.json"
OUTCOME_SOURCE = "acme.task-outcomes"  # the outcomes app's: a source its mapping's prefix rule covers
INSTANCE_ID = "11111111-2222-3333-4444-555555555555"
FLOW_ID = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
TEMPLATE_ID = "77777777-7777-7777-7777-777777777777"
QUICK_CONNECT_ID = "99999999-9999-9999-9999-999999999999"
PRODUCER_ARN = "arn:aws:iam::123456789012:role/order-service"
ALARM_EMAIL = "ops@example.com"
BASE_CONTEXT: dict[str, Any] = {"connectInstanceId": INSTANCE_ID, "contactFlowId": FLOW_ID}
# Variants that do not inspect the asset skip bundling (CDK stages lambda/ as it is instead).
SKIP_BUNDLING: dict[str, Any] = {"aws:cdk:bundling-stacks": []}


@dataclass(frozen=True)
class SynthesizedApp:
    """One synthesized app: its stack, template, cloud assembly directory and cdk-nag report."""

    stack: TaskCreatorStack
    template: Template
    template_json: dict[str, Any]
    assembly_dir: Path
    nag: NagReport

    def resources(self, resource_type: str) -> dict[str, dict[str, Any]]:
        """Logical id -> resource, for every resource of ``resource_type``."""
        return {
            logical_id: resource
            for logical_id, resource in self.template_json["Resources"].items()
            if resource["Type"] == resource_type
        }

    def only(self, resource_type: str) -> tuple[str, dict[str, Any]]:
        """The single resource of ``resource_type`` (fails if there are several)."""
        found = self.resources(resource_type)
        assert len(found) == 1, f"expected one {resource_type}, found {sorted(found)}"
        return next(iter(found.items()))

    def logical_id(self, construct: Any) -> str:
        """The logical id of an L2 construct's default child (e.g. a Queue's CfnQueue)."""
        return str(self.stack.get_logical_id(construct.node.default_child))

    def properties_of(self, construct: Any) -> dict[str, Any]:
        """The template properties of an L2 construct's default child."""
        properties: dict[str, Any] = self.template_json["Resources"][self.logical_id(construct)]["Properties"]
        return properties

    def function_statements(self) -> list[dict[str, Any]]:
        """Every statement of the function role's policies."""
        role_id = self.logical_id(self.stack.task_function.role)
        return [
            statement
            for policy in self.resources("AWS::IAM::Policy").values()
            if {"Ref": role_id} in policy["Properties"]["Roles"]
            for statement in policy["Properties"]["PolicyDocument"]["Statement"]
        ]


def get_att(app: SynthesizedApp, construct: Any) -> dict[str, Any]:
    """How the template refers to a construct's ARN."""
    return {"Fn::GetAtt": [app.logical_id(construct), "Arn"]}


def connect_arn(path: str) -> dict[str, Any]:
    """How the template writes arn:<partition>:connect:<region>:<account>:instance/<test instance>/<path>."""
    parts = ["arn:", {"Ref": "AWS::Partition"}, ":connect:", {"Ref": "AWS::Region"}, ":"]
    return {"Fn::Join": ["", [*parts, {"Ref": "AWS::AccountId"}, f":instance/{INSTANCE_ID}/{path}"]]}


def as_list(value: Any) -> list[Any]:
    """IAM writes one action as a string and several as a list."""
    return value if isinstance(value, list) else [value]


def json_key(value: Any) -> str:
    """A canonical text for comparing template values (intrinsics included)."""
    return json.dumps(value, sort_keys=True)


def statements_for(app: SynthesizedApp, action_prefix: str) -> list[dict[str, Any]]:
    """The function role's statements with an action of this service (e.g. ``"sqs:"``)."""
    return [
        s for s in app.function_statements() if any(a.startswith(action_prefix) for a in as_list(s["Action"]))
    ]


def alarm(app: SynthesizedApp, name: str) -> dict[str, Any]:
    """The alarm the Monitoring construct named ``name`` (its logical id is Monitoring<name><hash>)."""
    pattern = re.compile(rf"^Monitoring{name}[0-9A-F]{{8}}$")
    (found,) = [
        r["Properties"] for k, r in app.resources("AWS::CloudWatch::Alarm").items() if pattern.match(k)
    ]
    properties: dict[str, Any] = found
    return properties


def dashboard_widgets(app: SynthesizedApp) -> list[dict[str, Any]]:
    """The dashboard's widgets, with every CloudFormation reference in their text read as "<ref>"."""
    _, dashboard = app.only("AWS::CloudWatch::Dashboard")
    parts = dashboard["Properties"]["DashboardBody"]["Fn::Join"][1]
    widgets: list[dict[str, Any]] = json.loads(
        "".join(part if isinstance(part, str) else "<ref>" for part in parts)
    )["widgets"]
    return widgets


def custom_metrics(widget: dict[str, Any]) -> list[list[Any]]:
    """The function's metrics a widget graphs: [namespace, name, dimension, value, ..., options]."""
    return [m for m in widget["properties"].get("metrics", []) if m[0] == METRICS_NAMESPACE]


def synthesize_app(context: Mapping[str, Any], outdir: Path) -> SynthesizedApp:
    """Build and synthesize an app (no CloudFormation schema validation: ``make synth`` runs that)."""
    app, stack = build_app(context, outdir=str(outdir), cloudformation_validation=False)
    nag = synthesize(app)
    template_json = json.loads((outdir / stack.template_file).read_text(encoding="utf-8"))
    return SynthesizedApp(
        stack=stack,
        template=Template.from_json(template_json),
        template_json=template_json,
        assembly_dir=outdir,
        nag=nag,
    )
