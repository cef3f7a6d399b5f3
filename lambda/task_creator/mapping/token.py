"""The deterministic ClientToken: the same (namespace, rule, event identity) always yields the same token.

Algorithm (version ``tc1``, pinned by a test with a known vector)::

    token = "tc1-" + hex(SHA-256(UTF-8(JSON([namespace, rule_name, identity]))))

The JSON array (compact, no ASCII escaping) keeps the three parts unambiguous, whatever characters they
contain. The token is 68 characters, well inside Connect's 500-character limit. A part that is not
valid Unicode (an unpaired surrogate) has no UTF-8 form, hence no token: MappingError. The envelope and
``render_identity`` refuse such identities first; this is the last line.
"""

from __future__ import annotations

import hashlib
import json

from task_creator.errors import MappingError

TOKEN_VERSION = "tc1"


def client_token(namespace: str, rule_name: str, identity: str) -> str:
    """The ClientToken for one rule's task for one event."""
    canonical = json.dumps([namespace, rule_name, identity], separators=(",", ":"), ensure_ascii=False)
    try:
        encoded = canonical.encode("utf-8")
    except UnicodeEncodeError:
        parts = {"namespace": namespace, "rule name": rule_name, "event identity": identity}
        invalid = next(name for name, part in parts.items() if not _encodes(part))
        raise MappingError(
            f"no ClientToken: the {invalid} is not valid Unicode (an unpaired surrogate)"
        ) from None
    return f"{TOKEN_VERSION}-{hashlib.sha256(encoded).hexdigest()}"


def _encodes(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
