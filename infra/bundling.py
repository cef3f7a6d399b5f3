"""Packaging the function without Docker: pinned wheels for Lambda's platform, the code, the mapping.

``LocalPythonBundling`` is CDK's ``ILocalBundling``: it runs before Docker bundling and returns False
only when it cannot bundle here (no pip, or no wheels for the platform), so CDK falls back to Docker
bundling in the runtime's build image (``docker_fallback_command``).

The asset holds, at its root: the function's dependencies (``pip install --target`` of
``lambda/requirements.txt`` for the Lambda platform and Python version, binary wheels only), the
``task_creator`` package, and the configured mapping file as ``mapping.json``. Never tests, ``local/``,
or a ``__pycache__`` left on this machine. The asset's bytecode is compiled afresh, for the runtime's
Python, with ``unchecked-hash`` pycs: Lambda's ``/var/task`` is read-only, so without them every cold
start would compile every module it imports (about 0.7 s), and a timestamp pyc would be judged stale
after the zip round trip. The dependency install is cached under ``build/`` keyed by the requirements
file and the platform, so repeated synths copy instead of reinstalling.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from fnmatch import fnmatch
from pathlib import Path
from typing import Any

import jsii
from aws_cdk import ILocalBundling

from infra.paths import LAMBDA_ROOT, REPO_ROOT

PACKAGE_NAME = "task_creator"
MAPPING_ASSET_NAME = "mapping.json"
CACHE_NAMES = ("__pycache__", "*.pyc", "*.pyo")
JUNK_NAMES = (*CACHE_NAMES, ".pytest_cache", ".mypy_cache", "tests", "local")
TOP_LEVEL_EXCLUDED = ("tests", "local", "bin")
COMPILE_OPTIONS = ("--invalidation-mode", "unchecked-hash")
BUNDLER_VERSION = "2"  # bump when the asset layout changes, so cached asset hashes change too


class BundlingFailed(RuntimeError):
    """pip could not install the requirements for the target platform."""


@dataclass(frozen=True)
class LambdaPlatform:
    """What pip must target: Lambda's CPU architecture and Python version."""

    pip_platform: str  # e.g. manylinux2014_aarch64
    python_version: str  # e.g. 3.13

    @property
    def key(self) -> str:
        return f"{self.pip_platform}-cp{self.python_version}"


LAMBDA_PYTHON_VERSION = "3.13"  # the function's runtime; the tests run on the same version
LAMBDA_PLATFORM = LambdaPlatform(pip_platform="manylinux2014_aarch64", python_version=LAMBDA_PYTHON_VERSION)


@dataclass(frozen=True)
class AssetSources:
    """Where the asset's parts come from."""

    mapping_file: Path
    requirements_file: Path = LAMBDA_ROOT / "requirements.txt"
    package_dir: Path = LAMBDA_ROOT / PACKAGE_NAME
    cache_root: Path = REPO_ROOT / "build" / "lambda-deps"


def asset_fingerprint(sources: AssetSources, platform: LambdaPlatform) -> str:
    """A hash of everything that ends up in the asset: the code, the requirements, the mapping, the
    platform. Used as the asset's custom hash, so an unchanged function is neither rebundled nor
    redeployed, and a changed mapping file (even outside ``lambda/``) always is."""
    digest = hashlib.sha256()
    for part in (BUNDLER_VERSION, platform.key):
        digest.update(part.encode() + b"\0")
    digest.update(sources.requirements_file.read_bytes() + b"\0")
    digest.update(sources.mapping_file.read_bytes() + b"\0")
    for path in _package_files(sources.package_dir):
        digest.update(path.relative_to(sources.package_dir).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


def build_asset(output_dir: Path, sources: AssetSources, platform: LambdaPlatform) -> None:
    """Write the complete asset into ``output_dir``; raise BundlingFailed if pip fails."""
    dependencies = cached_dependencies(sources, platform)
    shutil.copytree(
        dependencies,
        output_dir,
        dirs_exist_ok=True,
        ignore=shutil.ignore_patterns(*CACHE_NAMES),
        copy_function=_link_or_copy,
    )
    shutil.copytree(
        sources.package_dir, output_dir / PACKAGE_NAME, ignore=shutil.ignore_patterns(*JUNK_NAMES)
    )
    shutil.copyfile(sources.mapping_file, output_dir / MAPPING_ASSET_NAME)
    compile_bytecode(output_dir, platform)


def compile_bytecode(output_dir: Path, platform: LambdaPlatform) -> bool:
    """Compile the asset's modules for the runtime (``unchecked-hash`` pycs, valid whatever the files'
    times); False, leaving the asset without bytecode, when this interpreter is another Python version
    (its pycs would be ignored)."""
    if f"{sys.version_info.major}.{sys.version_info.minor}" != platform.python_version:
        return False
    completed = subprocess.run(
        [sys.executable, "-m", "compileall", "-q", "-j", "0", *COMPILE_OPTIONS, str(output_dir)],
        capture_output=True,
        text=True,
        check=False,
    )
    if completed.returncode != 0:
        raise BundlingFailed(f"compiling the asset's bytecode failed:\n{completed.stdout.strip()}")
    return True


def cached_dependencies(sources: AssetSources, platform: LambdaPlatform) -> Path:
    """The requirements installed for ``platform``, installing them once per requirements content."""
    key = hashlib.sha256(sources.requirements_file.read_bytes() + platform.key.encode()).hexdigest()[:20]
    target = sources.cache_root / f"{platform.key}-{key}"
    if target.is_dir():
        return target
    sources.cache_root.mkdir(parents=True, exist_ok=True)
    staging = sources.cache_root / f".{target.name}.{os.getpid()}.tmp"
    shutil.rmtree(staging, ignore_errors=True)
    command = [
        *(sys.executable, "-m", "pip", "install", "--quiet", "--no-compile", "--disable-pip-version-check"),
        *("--target", str(staging), "--platform", platform.pip_platform, "--only-binary=:all:"),
        *("--python-version", platform.python_version, "--implementation", "cp"),
        *("-r", str(sources.requirements_file)),
    ]
    completed = subprocess.run(command, capture_output=True, text=True, check=False)
    if completed.returncode != 0:
        shutil.rmtree(staging, ignore_errors=True)
        raise BundlingFailed(f"pip install for {platform.key} failed:\n{completed.stderr.strip()}")
    _remove_junk(staging)
    try:
        staging.rename(target)
    except OSError:  # another synth finished the same install first
        shutil.rmtree(staging, ignore_errors=True)
    return target


def docker_fallback_command() -> list[str]:
    """The same asset built inside the runtime's build image (used only if local bundling fails).

    The caller mounts the mapping file's folder at /mapping and names the file in $MAPPING_FILE_NAME."""
    script = " && ".join(
        [
            "pip install --quiet --no-compile -r requirements.txt -t /asset-output",
            f"cp -r {PACKAGE_NAME} /asset-output/",
            f"cp /mapping/$MAPPING_FILE_NAME /asset-output/{MAPPING_ASSET_NAME}",
            "rm -rf /asset-output/bin /asset-output/tests /asset-output/local",
            "find /asset-output \\( -name __pycache__ -o -name '*.pyc' \\) -prune -exec rm -rf {} +",
            f"rm -rf /asset-output/{PACKAGE_NAME}/tests",
            f"python -m compileall -q {' '.join(COMPILE_OPTIONS)} /asset-output",
        ]
    )
    return ["bash", "-c", script]


@jsii.implements(ILocalBundling)
class LocalPythonBundling:
    """CDK's local bundling hook: builds the asset on this machine with pip, no Docker needed."""

    def __init__(self, sources: AssetSources, platform: LambdaPlatform) -> None:
        self._sources = sources
        self._platform = platform

    def try_bundle(self, output_dir: str, *_args: Any, **_options: Any) -> bool:
        try:
            build_asset(Path(output_dir), self._sources, self._platform)
        except (BundlingFailed, OSError) as error:
            print(f"local bundling failed, falling back to Docker: {error}", file=sys.stderr)
            return False
        return True


def _link_or_copy(source: str, destination: str) -> None:
    """Hard-link a cached dependency file into the asset (CDK never writes to a staged asset), or copy
    it when the asset is on another file system."""
    try:
        os.link(source, destination)
    except OSError:
        shutil.copy2(source, destination)


def _package_files(package_dir: Path) -> Iterable[Path]:
    return sorted(
        path
        for path in package_dir.rglob("*")
        if path.is_file() and not any(_is_junk(part) for part in path.relative_to(package_dir).parts)
    )


def _is_junk(name: str) -> bool:
    return any(fnmatch(name, pattern) for pattern in JUNK_NAMES)


def _remove_junk(root: Path) -> None:
    for path in sorted(root.rglob("*"), reverse=True):
        if path.name == "__pycache__" and path.is_dir():
            shutil.rmtree(path)
        elif path.suffix in (".pyc", ".pyo") and path.is_file():
            path.unlink()
    for name in TOP_LEVEL_EXCLUDED:
        shutil.rmtree(root / name, ignore_errors=True)


def main() -> None:
    """``python -m infra.bundling``: install the function's pinned dependencies for Lambda's platform
    into the cache under build/ (``make test`` does this first, so the tests themselves never reach a
    package registry)."""
    sources = AssetSources(mapping_file=LAMBDA_ROOT / MAPPING_ASSET_NAME)
    print(cached_dependencies(sources, LAMBDA_PLATFORM))


if __name__ == "__main__":
    main()
