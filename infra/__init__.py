"""The CDK app of Task Creator: one construct per capability, wired by ``stack.py``.

``lambda/`` is the Lambda asset root, not an importable package name, so this is the one place that
puts it on ``sys.path``: the stack validates the mapping file at synth with the function's own loader.
"""

from __future__ import annotations

import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
LAMBDA_ROOT = REPO_ROOT / "lambda"

if str(LAMBDA_ROOT) not in sys.path:
    sys.path.insert(0, str(LAMBDA_ROOT))
