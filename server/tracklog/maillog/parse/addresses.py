"""The mailboxes in address headers: read leniently, normalised, garbage kept as unreadable."""

from __future__ import annotations

import re
from dataclasses import dataclass
from email import policy as email_policy
from email.utils import getaddresses

from tracklog.inputs import storable_text
from tracklog.maillog.parse.headers import HEADER_TITLES, decode_words, first, raw_text
from tracklog.maillog.parse.reading import Reading
from tracklog.maillog.parse.text import WHITESPACE

MAX_ADDRESS_HEADER = 100_000
_LABEL = r"[a-z0-9_](?:[a-z0-9_-]*[a-z0-9_])?"
_DOMAIN = re.compile(rf"^(?:\[[^\[\]\s]+\]|{_LABEL}(?:\.{_LABEL})*)$")
_LOCAL = re.compile(r"^(?:\"[^\"\r\n]+\"|[^\s<>()\[\],;:@\"\\]+)$")


@dataclass(frozen=True)
class Address:
    """One mailbox from an address header."""

    email: str
    name: str


def sender(headers: dict[str, list[str]], reading: Reading) -> Address | None:
    """The first From address, falling back to Sender."""
    found = []
    for name in ("from", "sender"):
        value = first(headers, name)
        if value is not None:
            found.extend(_addresses(value, name, reading))
    for address in found:
        if address.email:
            return address
    if not found and "from" not in headers:
        reading.note("no_from")
    return found[0] if found else None


def address_list(headers: dict[str, list[str]], name: str, reading: Reading) -> list[Address]:
    """Every address in all the headers of one name, without repeats."""
    result: list[Address] = []
    seen: set[str] = set()
    for value in headers.get(name, []):
        for address in _addresses(value, name, reading):
            key = address.email or f"\x00{address.name}"
            if key not in seen:
                seen.add(key)
                result.append(address)
    return result


def _addresses(value: str, name: str, reading: Reading) -> list[Address]:
    """The mailboxes in one address header, groups flattened, garbage kept as unreadable."""
    title = HEADER_TITLES.get(name, name)
    if len(value) > MAX_ADDRESS_HEADER:
        reading.note("address_header_too_long", header=title)
        value = value[:MAX_ADDRESS_HEADER]
    result = []
    for display, spec in _address_pairs(value, name):
        address_name = WHITESPACE.sub(" ", decode_words(raw_text(display or "", reading), reading))
        address = Address(
            email=_normalise_address(spec or ""), name=storable_text(address_name).strip()
        )
        if not address.email and not address.name:
            if spec and spec.strip():
                address = Address(email="", name=storable_text(spec).strip()[:200])
            else:
                continue
        if not address.email:
            reading.note("unreadable_address", header=title)
        result.append(address)
    if not result and value.strip() and not re.fullmatch(r"[^:]*:\s*;?", value.strip()):
        reading.note("unreadable_address_header", header=title)
    return result


def _address_pairs(value: str, name: str) -> list[tuple[str, str]]:
    """(name, address) pairs from the modern parser, or the lenient one when it reads more."""
    try:
        header = email_policy.default.header_factory(name, value)
        pairs = [(address.display_name, address.addr_spec) for address in header.addresses]
    except Exception:  # the strict parser trips on some garbage
        pairs = []
    readable = sum(1 for _display, spec in pairs if _normalise_address(spec or ""))
    if readable == len(pairs) and pairs:
        return pairs
    try:
        lenient = getaddresses([value])
    except Exception:
        return pairs
    if sum(1 for _display, spec in lenient if _normalise_address(spec or "")) > readable:
        return lenient
    return pairs


def _normalise_address(spec: str) -> str:
    """A lower-case address with an ASCII (IDNA) domain, or "" when it is not an address."""
    spec = storable_text(spec).strip().strip("<>").strip()
    local, at, domain = spec.rpartition("@")
    if not at or not local or not domain or len(spec) > 320:
        return ""
    domain = domain.strip().rstrip(".").lower()
    if not domain.isascii():
        try:
            domain = domain.encode("idna").decode("ascii").lower()
        except (UnicodeError, ValueError):
            return ""
    if not _DOMAIN.match(domain) or not _LOCAL.match(local):
        return ""
    return f"{local.lower()}@{domain}"
