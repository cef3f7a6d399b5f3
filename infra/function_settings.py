"""The function's environment, validated at synth with the function's own settings parser.

A setting the function would refuse at cold start must never deploy (every invocation would fail), so
the stack refuses to synth it, naming the CDK context key to change.
"""

from __future__ import annotations

import infra  # noqa: F401  (puts lambda/ on sys.path before task_creator is imported)
from infra.config import DeploymentConfigError, TaskCreatorConfig
from infra.stack_values import CONTEXT_KEY_OF_VARIABLE, function_environment
from task_creator.errors import SettingsError
from task_creator.settings import Settings

# Stands in for what CloudFormation resolves at deploy time (the DLQs' URLs, the ledger's name).
DEPLOY_TIME_PLACEHOLDER = "resolved-at-deploy-time"


def check_function_settings(config: TaskCreatorConfig) -> Settings:
    """The settings the deployed function will parse; DeploymentConfigError naming each context key
    whose value the function would refuse."""
    environment = function_environment(
        config,
        dlq_url=DEPLOY_TIME_PLACEHOLDER,
        fifo_dlq_url=DEPLOY_TIME_PLACEHOLDER if config.fifo else None,
        ledger_table_name=DEPLOY_TIME_PLACEHOLDER if config.idempotency else None,
    )
    try:
        return Settings.from_environ(environment)
    except SettingsError as error:
        raise DeploymentConfigError(
            [_problem(variable, message) for variable, message in error.problems.items()]
        ) from None


def _problem(variable: str, message: str) -> str:
    key = CONTEXT_KEY_OF_VARIABLE.get(variable)
    if key is None:
        return f"the stack sets {variable} to a value the function refuses ({message}): a Task Creator bug"
    return (
        f"{key}: the function would refuse it at every cold start ({message}): "
        f"pass -c {key}=... with a value it accepts"
    )
