"""What a command that talks to AWS needs from the environment, checked before the first call.

Without these checks boto3 fails late and obscurely: no region is ``NoRegionError`` when a client is
built, no credentials is ``NoCredentialsError`` on the first call, which the function itself reports
as a retryable ``ConnectUnavailable``. Each check fails with one line saying what to set.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

import boto3

from local.cli.errors import UsageError

CREDENTIALS_HINT = (
    "set AWS_PROFILE (a profile of your AWS config), or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY "
    "(plus AWS_SESSION_TOKEN for temporary credentials)"
)


def require_region(session: boto3.Session, environ: Mapping[str, str] = os.environ) -> str:
    """The region boto3 will use, or a UsageError saying what to set. boto3 reads AWS_DEFAULT_REGION
    (or the profile's ``region``), not AWS_REGION: a user who set only that is told so."""
    if session.region_name:
        return session.region_name
    region = environ.get("AWS_REGION")
    if region:
        raise UsageError(
            f"AWS_REGION={region} is set, but boto3 reads AWS_DEFAULT_REGION: "
            f"export AWS_DEFAULT_REGION={region}"
        )
    raise UsageError(
        "no AWS region configured: set AWS_DEFAULT_REGION (e.g. export AWS_DEFAULT_REGION=eu-west-1), "
        "or a region in your AWS profile (AWS_PROFILE)"
    )


def require_credentials(session: boto3.Session, *, why: str = "") -> None:
    """A UsageError saying what to set when boto3 finds no credentials at all."""
    if session.get_credentials() is None:
        reason = f" ({why})" if why else ""
        raise UsageError(f"no AWS credentials found{reason}: {CREDENTIALS_HINT}")
