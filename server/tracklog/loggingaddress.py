"""The logging address, log+<key>[.<draft>]@<BCC domain>: built, parsed and recognised only here."""

from __future__ import annotations

from flask import current_app

PREFIX = "log+"
# The characters of account keys and draft ids: lower case, as addresses are compared, and no
# look-alikes (0/o, 1/l) for keys people read out or copy by hand.
ALPHABET = "abcdefghijkmnpqrstuvwxyz23456789"


def logging_address(key: str, draft_public_id: str | None = None) -> str:
    """The address that logs mail into the account with this key (and this draft, from compose)."""
    local = f"{PREFIX}{key}.{draft_public_id}" if draft_public_id else f"{PREFIX}{key}"
    return f"{local}@{current_app.config['BCC_DOMAIN']}"


def parse_logging_address(address: str) -> tuple[str, str | None] | None:
    """The (account key, draft id) of a logging address, or None for any other address.

    Addresses are compared in lower case: mail systems may change the case of a domain, and keys
    and draft ids are made of lower-case characters only.
    """
    local, _sep, domain = (address or "").strip().strip("<>").lower().rpartition("@")
    if domain != current_app.config["BCC_DOMAIN"].lower() or not local.startswith(PREFIX):
        return None
    key, _dot, draft = local[len(PREFIX) :].partition(".")
    if not key:
        return None
    return key, draft or None


def is_logging_address(address: str) -> bool:
    """Whether an address is one of tracklog's logging addresses (never a recipient)."""
    return parse_logging_address(address) is not None
