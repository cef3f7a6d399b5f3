#!/usr/bin/env python3
"""CDK entry point: reads the context, builds the stack, synthesizes. Nothing else lives here.

Run through the pinned CLI (``make synth`` / ``make deploy``, or ``npx cdk ...``), which reads cdk.json.
"""

from __future__ import annotations

import sys

from infra.application import build_app, synthesize
from infra.compliance import NAG_REPORT_FILE
from infra.config import DeploymentConfigError


def main() -> int:
    try:
        app, _ = build_app()
    except DeploymentConfigError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    report = synthesize(app)
    if not report.passed:
        rules = ", ".join(sorted({str(finding["rule"]) for finding in report.unacknowledged}))
        print(f"error: cdk-nag findings not acknowledged: {rules} (see {NAG_REPORT_FILE})", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
