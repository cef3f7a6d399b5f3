"""``python -m local <command>``: the Task Creator command line (``python -m local --help``)."""

import infra  # noqa: F401 - puts lambda/ (the function's package) on sys.path
from local.cli import main

raise SystemExit(main())
