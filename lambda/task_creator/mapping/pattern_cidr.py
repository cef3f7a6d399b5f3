"""The ``cidr`` filter: ``{"cidr": "10.0.0.0/24"}`` matches the IP address strings in that network.

The network is read as EventBridge reads it (one ``/``, IPv4 mask bits 0-31, IPv6 0-127); an event
value matches when it is a plain IPv4 (dotted decimal) or IPv6 (hex and colons) address of the same
version inside the network.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Final

from task_creator.mapping.pattern_values import CompiledFilter, string_argument

_IPV4: Final = re.compile(r"[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+")
_IPV6: Final = re.compile(r"[0-9a-fA-F:]*:[0-9a-fA-F:]*")
_MASK: Final = re.compile(r"[+-]?[0-9]+")


def build_cidr(argument: object, path: str, problems: list[str]) -> CompiledFilter | None:
    text = string_argument("cidr", argument, path, problems)
    if text is None:
        return None
    network = _cidr_network(text, path, problems)
    if network is None:
        return None

    def test(value: object) -> bool:
        address = _ip_address(value) if isinstance(value, str) else None
        return address is not None and address.version == network.version and address in network

    return CompiledFilter(test)


def _cidr_network(
    text: str, path: str, problems: list[str]
) -> ipaddress.IPv4Network | ipaddress.IPv6Network | None:
    """``address/bits``, as EventBridge reads it: one '/', IPv4 bits 0-31, IPv6 bits 0-127."""
    hint = "cidr expects an IPv4 or IPv6 network like '10.0.0.0/24' or '2001:db8::/32'"
    address_text, slash, mask_text = text.partition("/")
    address = _ip_address(address_text)
    if not slash or "/" in mask_text or not _MASK.fullmatch(mask_text) or address is None:
        problems.append(f"{path}: {hint}, got {text!r}")
        return None
    bits, widest = int(mask_text), 31 if address.version == 4 else 127
    if not 0 <= bits <= widest:
        whole = " (EventBridge refuses a whole-address mask: write the address as a literal value)"
        problems.append(
            f"{path}: cidr mask bits must be 0 to {widest} for IPv{address.version}, got {bits}"
            + (whole if bits > widest else "")
        )
        return None
    return ipaddress.ip_network(f"{address}/{bits}", strict=False)


def _ip_address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """A plain IPv4 (dotted decimal) or IPv6 (hex and colons) address, else None."""
    if not (_IPV4.fullmatch(text) or _IPV6.fullmatch(text)):
        return None
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None
