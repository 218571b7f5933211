"""Mail addresses as tracklog stores them: trimmed, lower-case, checked for shape."""

from __future__ import annotations

import re

from flask_babel import gettext as _

from tracklog.errors import ValidationFailed

_DOMAIN = r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+"
_ADDRESS = re.compile(r"^[^@\s<>(),;:\"\[\]]+@" + _DOMAIN + "$")
_MAIL_DOMAIN = re.compile(r"^(?=.{1,253}$)" + _DOMAIN + "$")


def normalise_email(value: str, field: str = "email") -> str:
    """The canonical form of an address, or ValidationFailed naming the field."""
    address = (value or "").strip().lower()
    if len(address) > 320 or not _ADDRESS.match(address):
        raise ValidationFailed(
            _("%(value)s is not a valid email address.", value=value or "''"),
            details={"fields": {field: _("not a valid email address")}},
        )
    return address


def domain_of(address: str) -> str:
    """The domain part of a normalised address."""
    return address.rpartition("@")[2]


def is_mail_domain(text: str) -> bool:
    """Whether text is a domain mail can be addressed to (at least two labels)."""
    return bool(_MAIL_DOMAIN.match(text))
