"""Where a webhook may send: https URLs whose host resolves to public addresses only.

The rule is checked when a webhook is made and again before every delivery, and the delivery then
connects to the address the check approved: a name whose DNS answer turned private since is
refused, and no second lookup can point the request elsewhere. So a webhook can never be aimed at
the server's own network. TRACKLOG_WEBHOOK_ALLOW_HTTP allows http and local addresses
(development and tests).
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from flask_babel import gettext as _

from tracklog.errors import ValidationFailed

MAX_URL_LENGTH = 2000
DEFAULT_PORTS = {"http": 80, "https": 443}


@dataclass(frozen=True)
class Target:
    """A checked URL: its host, and the address to connect to instead of looking it up again."""

    scheme: str
    host: str
    port: int
    path: str
    address: str

    def pinned_url(self) -> str:
        """The URL with the checked address in place of the host name."""
        literal = f"[{self.address}]" if ":" in self.address else self.address
        return urlunsplit((self.scheme, f"{literal}:{self.port}", self.path, "", ""))

    def host_header(self) -> str:
        """The Host header the receiver expects: the name, with the port unless it is usual."""
        name = f"[{self.host}]" if ":" in self.host else self.host
        return name if DEFAULT_PORTS[self.scheme] == self.port else f"{name}:{self.port}"


def refused(message: str) -> ValidationFailed:
    """The error of a URL the rule refuses, naming the url field."""
    return ValidationFailed(message, details={"fields": {"url": message}})


def is_public(address: str) -> bool:
    """Whether an address is on the public internet (an IPv4-mapped or 6to4 IPv6 address is
    judged by the IPv4 address it carries)."""
    ip: Any = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address):
        ip = ip.ipv4_mapped or ip.sixtofour or ip
    return ip.is_global and not (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
    )


def resolve(host: str, port: int) -> list[str]:
    """Every address the host name stands for (an address literal stands for itself)."""
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError, ValueError):  # ValueError: a NUL in the name
        raise refused(_("The URL's host name does not resolve.")) from None
    return list(dict.fromkeys(str(info[4][0]) for info in found))


def parse_url(url: Any, allow_http: bool) -> tuple[str, str, int, str]:
    """The scheme, host, port and path of a URL the rule's form accepts."""
    if not isinstance(url, str) or not url.strip() or len(url) > MAX_URL_LENGTH:
        raise refused(
            _("The URL must be text of at most %(count)d characters.", count=MAX_URL_LENGTH)
        )
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        raise refused(_("The URL is not valid.")) from None
    schemes = ("https", "http") if allow_http else ("https",)
    if parts.scheme.lower() not in schemes:
        raise refused(_("Webhooks are sent to https URLs only."))
    if not parts.hostname or parts.username is not None or parts.password is not None:
        raise refused(_("The URL needs a host name and no user name or password."))
    scheme = parts.scheme.lower()
    path = urlunsplit(("", "", parts.path or "/", parts.query, ""))
    return scheme, parts.hostname, port or DEFAULT_PORTS[scheme], path


def check_url(url: Any, allow_http: bool) -> Target:
    """The URL's target when the rule allows it, else ValidationFailed saying why."""
    scheme, host, port, path = parse_url(url, allow_http)
    addresses = resolve(host, port)
    if not allow_http and not all(is_public(address) for address in addresses):
        raise refused(_("Webhooks are sent to public internet addresses only."))
    return Target(scheme=scheme, host=host, port=port, path=path, address=addresses[0])
