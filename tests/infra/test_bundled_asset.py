"""The function's asset, as synth bundled it without Docker: code, dependencies for Lambda's platform
and the mapping; nothing from this machine's tests, tooling or caches."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest

from infra.bundling import (
    LAMBDA_PLATFORM,
    LAMBDA_PYTHON_VERSION,
    AssetSources,
    LambdaPlatform,
    asset_fingerprint,
)
from infra.paths import LAMBDA_ROOT
from tests.infra.synthesis import SynthesizedApp


@pytest.fixture(scope="module")
def asset_dir(default_app: SynthesizedApp) -> Path:
    """The staged directory CDK zips for the function's Code (found through the asset manifest)."""
    _, function = default_app.only("AWS::Lambda::Function")
    asset_hash = function["Properties"]["Code"]["S3Key"].removesuffix(".zip")
    manifest = default_app.assembly_dir / default_app.stack.template_file.replace(".template.", ".assets.")
    source = json.loads(manifest.read_text(encoding="utf-8"))["files"][asset_hash]["source"]
    assert source["packaging"] == "zip"
    return default_app.assembly_dir / str(source["path"])


def test_asset_holds_the_handler_package_and_its_dependencies(asset_dir: Path) -> None:
    assert (asset_dir / "task_creator" / "handler.py").is_file()
    assert (asset_dir / "task_creator" / "__init__.py").is_file()
    for dependency in ("aws_lambda_powertools", "aws_xray_sdk", "boto3", "botocore", "jmespath"):
        assert (asset_dir / dependency / "__init__.py").is_file(), dependency


def test_asset_ships_the_configured_mapping_as_mapping_json(asset_dir: Path) -> None:
    shipped = json.loads((asset_dir / "mapping.json").read_text(encoding="utf-8"))

    assert shipped == json.loads((LAMBDA_ROOT / "mapping.json").read_text(encoding="utf-8"))


def test_asset_dependencies_are_pinned_versions_built_for_lambda_arm64(asset_dir: Path) -> None:
    requirements = {
        line.split("==")[0].lower().replace("-", "_"): line.split("==")[1].strip()
        for line in (LAMBDA_ROOT / "requirements.txt").read_text(encoding="utf-8").splitlines()
        if "==" in line and not line.startswith("#")
    }
    installed = dict(
        path.name.removesuffix(".dist-info").lower().rsplit("-", 1) for path in asset_dir.glob("*.dist-info")
    )
    native = [path.name for path in asset_dir.rglob("*.so")]

    assert {name: installed.get(name) for name in requirements} == requirements
    assert native, "expected at least one compiled extension among the dependencies"
    assert all("aarch64" in name and "cpython-313" in name for name in native), native


def test_asset_carries_no_tests_or_tooling(asset_dir: Path) -> None:
    top_level = {path.name for path in asset_dir.iterdir()}

    assert not top_level & {"tests", "local", "bin", "requirements.txt"}
    assert not (asset_dir / "task_creator" / "tests").exists()


def test_every_module_of_the_asset_has_bytecode_for_the_runtime_that_never_goes_stale(
    asset_dir: Path,
) -> None:
    # Lambda's /var/task is read-only: without bytecode every cold start compiles what it imports.
    sources = [path for path in asset_dir.rglob("*.py") if "__pycache__" not in path.parts]
    tag = f"cpython-{LAMBDA_PYTHON_VERSION.replace('.', '')}"
    pycs = {path: path.parent / "__pycache__" / f"{path.stem}.{tag}.pyc" for path in sources}

    assert [str(path) for path, pyc in pycs.items() if not pyc.exists()] == []
    handler_pyc = pycs[asset_dir / "task_creator" / "handler.py"].read_bytes()
    assert handler_pyc[:4] == importlib.util.MAGIC_NUMBER
    # PEP 552 flags: bit 0 set (hash-based), bit 1 clear (unchecked): valid whatever the files' times.
    assert int.from_bytes(handler_pyc[4:8], "little") == 0b01


def test_asset_hash_changes_with_the_mapping_and_the_platform(tmp_path: Path) -> None:
    mapping = tmp_path / "mapping.json"
    mapping.write_text('{"rules": []}', encoding="utf-8")
    sources = AssetSources(mapping_file=mapping)
    first = asset_fingerprint(sources, LAMBDA_PLATFORM)

    mapping.write_text('{"rules": [], "unmatched": "ignore"}', encoding="utf-8")

    assert asset_fingerprint(sources, LAMBDA_PLATFORM) != first
    assert asset_fingerprint(sources, LambdaPlatform("manylinux2014_x86_64", "3.13")) != asset_fingerprint(
        sources, LAMBDA_PLATFORM
    )


def test_tests_run_on_the_python_the_function_ships_to() -> None:
    running = f"{sys.version_info.major}.{sys.version_info.minor}"

    assert running == LAMBDA_PYTHON_VERSION == LAMBDA_PLATFORM.python_version
