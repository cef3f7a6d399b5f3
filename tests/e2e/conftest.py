"""Everything under tests/e2e runs the offline pipeline as users do (``make demo``): marked ``e2e``."""

from __future__ import annotations

from pathlib import Path

import pytest

E2E_TESTS_DIR = Path(__file__).parent


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if E2E_TESTS_DIR in item.path.parents:
            item.add_marker(pytest.mark.e2e)
