"""The deterministic ClientToken: pinned by known vectors, derived from (namespace, rule, identity)."""

from __future__ import annotations

import hashlib

import pytest

from task_creator.errors import MappingError
from task_creator.mapping.limits import ID_MAX_CHARS
from task_creator.mapping.token import client_token

# The documented algorithm, version tc1: "tc1-" + hex(SHA-256(UTF-8(compact JSON array, no ASCII escaping))).
KNOWN_VECTORS = [
    (
        ("task-creator", "order-delayed", "ORD-1001"),
        '["task-creator","order-delayed","ORD-1001"]',
        "tc1-5c8e2180be3372214afcbe488be0fd006dfc11865ad6df152ac2e311f54de051",
    ),
    (
        ("ns", "règle", 'événement "1"'),
        '["ns","règle","événement \\"1\\""]',
        "tc1-bc474afbde2c96e7d1ece3d85e7c5891f8fa4f54c2f3fc00b19ecf07f5c38554",
    ),
]


@pytest.mark.parametrize(("parts", "canonical_json", "token"), KNOWN_VECTORS)
def test_known_vector_follows_the_documented_algorithm(
    parts: tuple[str, str, str], canonical_json: str, token: str
) -> None:
    independently = "tc1-" + hashlib.sha256(canonical_json.encode("utf-8")).hexdigest()

    assert client_token(*parts) == independently == token


def test_token_fits_connects_client_token_limit() -> None:
    token = client_token("n" * 1000, "r" * 64, "i" * 5000)

    assert len(token) == 68 <= ID_MAX_CHARS["ClientToken"] == 500


def test_same_inputs_always_give_the_same_token() -> None:
    assert client_token("prod", "order-delayed", "ORD-1") == client_token("prod", "order-delayed", "ORD-1")


@pytest.mark.parametrize(
    "changed",
    [
        pytest.param(("staging", "order-delayed", "ORD-1"), id="namespace"),
        pytest.param(("prod", "vip-escalation", "ORD-1"), id="rule"),
        pytest.param(("prod", "order-delayed", "ORD-2"), id="identity"),
    ],
)
def test_each_part_changes_the_token(changed: tuple[str, str, str]) -> None:
    assert client_token(*changed) != client_token("prod", "order-delayed", "ORD-1")


def test_parts_cannot_be_shifted_into_each_other() -> None:
    assert client_token("a-b", "c", "d") != client_token("a", "b-c", "d")
    assert client_token("a", "b", "c") != client_token("a", "", "bc")
    assert client_token('a","b', "c", "d") != client_token("a", "b", "c")


@pytest.mark.parametrize(
    ("parts", "named"),
    [
        pytest.param(("ns", "order-delayed", "ORD-\ud800"), "event identity", id="identity"),
        pytest.param(("ns-\udc80", "order-delayed", "ORD-1"), "namespace", id="namespace"),
    ],
)
def test_part_that_is_not_valid_unicode_is_a_mapping_error_naming_the_part(
    parts: tuple[str, str, str], named: str
) -> None:
    with pytest.raises(MappingError, match=f"the {named} is not valid Unicode") as raised:
        client_token(*parts)

    raised.value.message.encode("utf-8")


def test_a_surrogate_pair_written_as_one_character_has_a_token() -> None:
    assert client_token("ns", "r", "😀") != client_token("ns", "r", "?")
