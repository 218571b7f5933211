"""Tombstones of erased contacts: a keyed hash of the address, so logging never recreates them."""

from __future__ import annotations

import hashlib
import hmac

from flask import current_app
from sqlalchemy import select

from tracklog.extensions import db
from tracklog.models import ErasedAddress


def address_hash(address: str, secret_key: str | None = None) -> str:
    """The HMAC-SHA256 of the normalised address under the installation's secret key."""
    key = (secret_key or current_app.config["SECRET_KEY"]).encode()
    return hmac.new(key, address.strip().lower().encode(), hashlib.sha256).hexdigest()


def address_hashes(address: str) -> list[str]:
    """The address's hash under the secret key and each previous one, so that hashes stored
    before a key change (TRACKLOG_PREVIOUS_SECRET_KEYS) still match."""
    keys = [current_app.config["SECRET_KEY"], *current_app.config["SECRET_KEY_FALLBACKS"]]
    return [address_hash(address, key) for key in keys]


def is_erased(account_id: int, address: str) -> bool:
    """Whether the address belongs to a contact the account erased on request."""
    query = select(ErasedAddress.id).where(
        ErasedAddress.account_id == account_id,
        ErasedAddress.address_hash.in_(address_hashes(address)),
    )
    return db.session.scalar(query) is not None


def add_tombstone(account_id: int, address: str) -> None:
    """Remember that the address was erased (once: a second erasure keeps the first date)."""
    if not is_erased(account_id, address):
        db.session.add(ErasedAddress(account_id=account_id, address_hash=address_hash(address)))
