"""The mapping file, loaded and validated at synth with the function's own loader.

A mapping the function would reject at cold start must never deploy, so the stack refuses to synth it.
"""

from __future__ import annotations

from pathlib import Path

import infra  # noqa: F401  (puts lambda/ on sys.path before task_creator is imported)
from infra.config import DeploymentConfigError
from task_creator.errors import MappingFileError
from task_creator.mapping.rules import TaskMapping, load_mapping
from task_creator.mapping.templates import has_placeholder

__all__ = ["has_placeholder", "load_deployment_mapping"]


def load_deployment_mapping(path: Path) -> TaskMapping:
    """The validated mapping at ``path``; DeploymentConfigError listing every problem otherwise."""
    try:
        return load_mapping(path)
    except MappingFileError as error:
        raise DeploymentConfigError(
            [f"mappingFile {path}: {problem}" for problem in error.problems]
            + ["fix the file, or point -c mappingFile=... at another one"]
        ) from None
