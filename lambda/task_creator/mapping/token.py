"""The deterministic ClientToken: the same (namespace, rule, event identity) always yields the same token.

Algorithm (version ``tc1``, pinned by a test with a known vector)::

    token = "tc1-" + hex(SHA-256(UTF-8(JSON([namespace, rule_name, identity]))))

The JSON array (compact, no ASCII escaping) keeps the three parts unambiguous, whatever characters they
contain. The token is 68 characters, well inside Connect's 500-character limit.
"""

from __future__ import annotations

import hashlib
import json

TOKEN_VERSION = "tc1"


def client_token(namespace: str, rule_name: str, identity: str) -> str:
    """The ClientToken for one rule's task for one event."""
    canonical = json.dumps([namespace, rule_name, identity], separators=(",", ":"), ensure_ascii=False)
    digest = hashlib.sha256(canonical.encode("utf-8")).hexdigest()
    return f"{TOKEN_VERSION}-{digest}"
