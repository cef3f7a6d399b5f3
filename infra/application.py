"""Builds and synthesizes the CDK app from context: what app.py runs and what the tests share."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from aws_cdk import App

from infra.compliance import (
    VALIDATION_REPORT_JSON_CONTEXT,
    NagReport,
    add_compliance_checks,
    write_nag_report,
)
from infra.config import TaskCreatorConfig
from infra.stack import TaskCreatorStack


def build_app(
    context: Mapping[str, Any] | None = None,
    *,
    outdir: str | None = None,
    cloudformation_validation: bool = True,
) -> tuple[App, TaskCreatorStack]:
    """The app with its one stack and the cdk-nag checks; DeploymentConfigError if the context is invalid.

    ``context`` adds to what the CDK CLI passes (``cdk.json`` and ``-c key=value`` take precedence).
    ``cloudformation_validation=False`` skips CDK's built-in template schema validation (about 15 s of
    engine start-up per process); ``make synth`` always runs it, tests may skip it.
    """
    app = App(
        context={VALIDATION_REPORT_JSON_CONTEXT: True, **(context or {})},
        outdir=outdir,
        builtin_cloud_formation_validation=cloudformation_validation,
    )
    config = TaskCreatorConfig.from_context(app.node.try_get_context)
    stack = TaskCreatorStack(app, config.stack_name, config=config)
    add_compliance_checks(app)
    return app, stack


def synthesize(app: App) -> NagReport:
    """Synthesize ``app`` and write the cdk-nag report next to the template.

    Inside the CDK CLI a failed validation is reported, not raised; elsewhere CDK raises it. Either way
    the findings end up in the report, whose ``passed`` says whether the synth may be used."""
    try:
        app.synth()
    except RuntimeError as error:  # how jsii surfaces CDK's ValidationFailed outside the CLI
        if "ValidationFailed" not in str(error):
            raise
    return write_nag_report(app, Path(app.outdir))
