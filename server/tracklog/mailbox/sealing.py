"""Secrets of connected mailboxes, sealed at rest: AES-GCM with a key derived from the server's
secret key (HKDF-SHA256, a purpose of its own). A secret sealed under a previous key still opens
after a rotation (TRACKLOG_PREVIOUS_SECRET_KEYS) and is sealed again under the current one at
its next save."""

from __future__ import annotations

import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app

from tracklog.errors import DomainError

PURPOSE = b"tracklog mailbox secrets v1"
NONCE_BYTES = 12


class SecretUnreadable(DomainError):
    """A sealed secret opens under none of the server's keys (the secret key was replaced)."""

    status = 409
    code = "mailbox_secret_unreadable"


def _key(secret_key: str) -> bytes:
    """The sealing key derived from one secret key."""
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=PURPOSE).derive(
        secret_key.encode()
    )


def _secret_keys() -> list[str]:
    """The current secret key, then the previous ones."""
    config = current_app.config
    return [config["SECRET_KEY"], *config.get("SECRET_KEY_FALLBACKS", [])]


def seal(plain: bytes) -> bytes:
    """The secret sealed under the current key: a fresh nonce, then the ciphertext and tag."""
    nonce = os.urandom(NONCE_BYTES)
    return nonce + AESGCM(_key(_secret_keys()[0])).encrypt(nonce, plain, PURPOSE)


def unseal(sealed: bytes) -> bytes:
    """The secret, opened with the current or a previous key."""
    nonce, body = sealed[:NONCE_BYTES], sealed[NONCE_BYTES:]
    for secret_key in _secret_keys():
        try:
            return AESGCM(_key(secret_key)).decrypt(nonce, body, PURPOSE)
        except InvalidTag:
            continue
    raise SecretUnreadable(
        "The mailbox's saved sign-in cannot be read with this server's keys; connect it again."
    )
