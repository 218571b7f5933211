"""Compact, signed tracking tokens bound to a message (or attachment), a link and a recipient."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from flask import current_app

KINDS = {"open": 1, "click": 2, "attachment": 3, "optout": 4}
KIND_NAMES = {code: name for name, code in KINDS.items()}
SIGNATURE_BYTES = 10
KEY_PURPOSE = b"tracklog tracking token v1"
MAX_TOKEN_LENGTH = 80


@dataclass(frozen=True)
class TokenClaims:
    """What a tracking token stands for: a message or attachment, a link slot, a recipient slot."""

    kind: str
    target_id: int
    link_slot: int = 0
    recipient_slot: int = 0


def _varint(number: int) -> bytes:
    """Unsigned LEB128: small ids make short tokens."""
    out = bytearray()
    while True:
        byte = number & 0x7F
        number >>= 7
        if number:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _read_varints(data: bytes, count: int) -> list[int] | None:
    """Exactly `count` varints filling `data`, or None."""
    numbers, value, shift = [], 0, 0
    for byte in data:
        value |= (byte & 0x7F) << shift
        shift += 7
        if shift > 63:
            return None
        if not byte & 0x80:
            numbers.append(value)
            value, shift = 0, 0
    if shift or len(numbers) != count:
        return None
    return numbers


def _signing_key(secret: str) -> bytes:
    """A key used only for tracking tokens, derived from a secret key."""
    return hmac.new(secret.encode(), KEY_PURPOSE, hashlib.sha256).digest()


def _signature(key: bytes, payload: bytes) -> bytes:
    """The truncated HMAC-SHA256 of a payload."""
    return hmac.new(key, payload, hashlib.sha256).digest()[:SIGNATURE_BYTES]


def _encode(raw: bytes) -> str:
    """URL-safe base64 without padding."""
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def make_token(claims: TokenClaims) -> str:
    """The signed token for these claims, with the current secret key."""
    payload = b"".join(
        _varint(number)
        for number in (
            KINDS[claims.kind],
            claims.target_id,
            claims.link_slot,
            claims.recipient_slot,
        )
    )
    key = _signing_key(current_app.config["SECRET_KEY"])
    return _encode(payload + _signature(key, payload))


def read_token(token: str, expected_kind: str) -> TokenClaims | None:
    """The claims of a genuine token of the expected kind, or None for anything forged or altered.

    Tokens signed with a previous secret key (TRACKLOG_PREVIOUS_SECRET_KEYS) are still accepted.
    """
    return claims_of(token, expected_kind, signing_keys(current_app.config))


def signing_keys(config: Mapping[str, Any]) -> tuple[bytes, ...]:
    """The keys a token may be signed with: the current secret key's, then the previous ones'."""
    secrets = [config["SECRET_KEY"], *config["SECRET_KEY_FALLBACKS"]]
    return tuple(_signing_key(secret) for secret in secrets)


def claims_of(token: str, expected_kind: str, keys: Sequence[bytes]) -> TokenClaims | None:
    """read_token with the signing keys given (derived once by a caller answering many)."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    except (ValueError, UnicodeError):
        return None
    if len(raw) <= SIGNATURE_BYTES or _encode(raw) != token:
        return None
    payload, signature = raw[:-SIGNATURE_BYTES], raw[-SIGNATURE_BYTES:]
    if not any(hmac.compare_digest(_signature(key, payload), signature) for key in keys):
        return None
    numbers = _read_varints(payload, 4)
    if numbers is None or KIND_NAMES.get(numbers[0]) != expected_kind:
        return None
    return TokenClaims(expected_kind, numbers[1], numbers[2], numbers[3])
