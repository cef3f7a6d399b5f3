"""The function's environment, validated at synth with the function's own settings parser.

A setting the function would refuse at cold start must never deploy (every invocation would fail), so
the stack refuses to synth it, naming the CDK context key to change. That includes what the function
refuses about its settings and its mapping together: lifecycle rules without the ledger table.
"""

from __future__ import annotations

from infra.config import DeploymentConfigError, TaskCreatorConfig
from infra.stack_values import CONTEXT_KEY_OF_VARIABLE, function_environment
from task_creator.errors import SettingsError
from task_creator.mapping.rules import TaskMapping
from task_creator.settings import Settings

# Stands in for what CloudFormation resolves at deploy time (the DLQs' URLs, the ledger's name).
DEPLOY_TIME_PLACEHOLDER = "resolved-at-deploy-time"
LEDGER_VARIABLE = "IDEMPOTENCY_TABLE"


def check_function_settings(config: TaskCreatorConfig, mapping: TaskMapping) -> Settings:
    """The settings the deployed function will parse; DeploymentConfigError naming each context key
    whose value the function would refuse, on its own or with this mapping."""
    environment = function_environment(
        config,
        dlq_url=DEPLOY_TIME_PLACEHOLDER,
        fifo_dlq_url=DEPLOY_TIME_PLACEHOLDER if config.fifo else None,
        ledger_table_name=DEPLOY_TIME_PLACEHOLDER if config.idempotency else None,
    )
    try:
        settings = Settings.from_environ(environment)
    except SettingsError as error:
        raise DeploymentConfigError(
            [_problem(variable, message) for variable, message in error.problems.items()]
        ) from None
    refusal = _ledger_refusal(settings, mapping)
    if refusal is not None:
        raise DeploymentConfigError([_ledger_problem(refusal, mapping)])
    return settings


def _ledger_refusal(settings: Settings, mapping: TaskMapping) -> str | None:
    """What the function says when it refuses, at cold start, these settings for this mapping
    (``Settings.check_mapping``, as ``build_dependencies`` calls it); None when it would start."""
    try:
        settings.check_mapping(mapping)
    except SettingsError as error:
        return error.problems[LEDGER_VARIABLE]
    return None


def _ledger_problem(refusal: str, mapping: TaskMapping) -> str:
    rules = ", ".join(rule.name for rule in mapping.rules if rule.is_lifecycle)
    return (
        f"idempotency: the function would refuse it at every cold start ({refusal}): pass -c "
        f"idempotency=true (the default), or take the lifecycle rules ({rules}) out of mappingFile "
        f"{mapping.origin}"
    )


def _problem(variable: str, message: str) -> str:
    key = CONTEXT_KEY_OF_VARIABLE.get(variable)
    if key is None:
        return f"the stack sets {variable} to a value the function refuses ({message}): a Task Creator bug"
    return (
        f"{key}: the function would refuse it at every cold start ({message}): "
        f"pass -c {key}=... with a value it accepts"
    )
