"""Rotating the account's logging address: a new key, the old one kept for a grace period."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask_babel import gettext as _

from tracklog.audit.log import record_audit
from tracklog.auth.accounts import bcc_address, new_bcc_key, require_admin
from tracklog.errors import ValidationFailed
from tracklog.extensions import db
from tracklog.loggingaddress import logging_address
from tracklog.models import Account, User, utcnow
from tracklog.settings.account import SettingRefused, whole_number

DEFAULT_GRACE_DAYS = 7
MAX_GRACE_DAYS = 90


def logging_address_json(account: Account) -> dict[str, Any]:
    """The account's logging address, and the previous one while it still works."""
    in_grace = account.previous_bcc_key and account.previous_bcc_key_until
    return {
        "address": bcc_address(account),
        "previous_address": logging_address(account.previous_bcc_key) if in_grace else None,
        "previous_works_until": account.previous_bcc_key_until.isoformat() if in_grace else None,
    }


def read_grace_days(value: Any) -> int:
    """Whole days from 0 to MAX_GRACE_DAYS (absent: the default), or ValidationFailed."""
    if value is None:
        return DEFAULT_GRACE_DAYS
    try:
        return whole_number(0, MAX_GRACE_DAYS)(value)
    except SettingRefused as refused:
        raise ValidationFailed(
            str(refused), details={"fields": {"grace_days": str(refused)}}
        ) from None


def rotate_logging_address(actor: User, grace_days: Any = None) -> dict[str, Any]:
    """Give the account a new logging key; mail to the old one is logged for the grace period,
    then refused with the new address named (admins only, audited)."""
    require_admin(actor, _("Only an admin can change the account's logging address."))
    days = read_grace_days(grace_days)
    account = actor.account
    old_address = bcc_address(account)
    account.previous_bcc_key = account.bcc_key
    account.previous_bcc_key_until = utcnow() + timedelta(days=days)
    account.bcc_key = new_bcc_key()
    changes = {"address": [old_address, bcc_address(account)], "grace_days": [None, days]}
    record_audit(actor, account.id, "bcc_address_rotated", ("account", account.id), changes)
    db.session.commit()
    return logging_address_json(account)
