"""The country of an address, from the offline iptocc database (no network lookups)."""

from __future__ import annotations

import ipaddress
from functools import lru_cache

import iptocc


# Every rule with networks parses the hit's address: the recorder asks for the same few often.
@lru_cache(maxsize=4096)
def parse_ip(ip: str | None) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """An address from text (IPv4-mapped IPv6 as the IPv4 address), or None for garbage."""
    if not ip:
        return None
    try:
        address = ipaddress.ip_address(ip.strip())
    except ValueError:
        return None
    if address.version == 6 and address.ipv4_mapped:
        return address.ipv4_mapped
    return address


# The recorder asks for the same addresses often (a recipient's repeats, a proxy's hits).
@lru_cache(maxsize=4096)
def country_of(ip: str | None) -> str | None:
    """The ISO country code of a public address, or None for private, reserved or garbage."""
    address = parse_ip(ip)
    if address is None or not address.is_global:
        return None
    try:
        code = iptocc.country_code(str(address))
    except ValueError:
        return None
    return code.upper() if code else None
