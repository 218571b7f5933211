"""The account's settings: read, validated and changed by an admin, every change audited."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from babel.numbers import list_currencies
from flask import current_app
from flask_babel import gettext as _

from tracklog.accent import is_accent
from tracklog.audit.log import changed_fields, record_audit
from tracklog.auth.accounts import require_admin
from tracklog.crm.associations import OPEN_RECORDS_PER_CONTACT as MAX_ASSOCIATED
from tracklog.errors import ValidationFailed
from tracklog.extensions import db
from tracklog.inputs import stored_integer
from tracklog.mailaddress import is_mail_domain
from tracklog.models import Account, User
from tracklog.models.account import DEFAULT_ASSOCIATION_TYPES, LEGAL_BASES

MAX_INTERNAL_DOMAINS = 50
MAX_REPEAT_WINDOW_SECONDS = 24 * 3600
MAX_DAYS = 100 * 365


class SettingRefused(ValueError):
    """A value a setting does not take; the message says what it takes."""


@dataclass(frozen=True)
class Setting:
    """One account setting: its column, how a value sent for it is read, and the kind of input
    a form shows for it (boolean, choices, number, domains, text)."""

    name: str
    read: Callable[[Any], Any]
    kind: str
    nullable: bool = False
    choices: tuple[str, ...] = ()


def boolean(value: Any) -> bool:
    """true or false."""
    if not isinstance(value, bool):
        raise SettingRefused(_("must be true or false"))
    return value


def whole_number(low: int, high: int) -> Callable[[Any], int]:
    """A reader of whole numbers from low to high."""

    def read(value: Any) -> int:
        number = stored_integer(value)
        if number is None or not low <= number <= high:
            raise SettingRefused(
                _("must be a whole number from %(min)d to %(max)d", min=low, max=high)
            )
        return number

    return read


def _choices(allowed: tuple[str, ...] | list[str], *, at_least_one: bool) -> Callable[[Any], list]:
    """A reader of lists drawn from allowed, kept in allowed's order without repeats."""

    def read(value: Any) -> list[str]:
        if not isinstance(value, list) or any(item not in allowed for item in value):
            raise SettingRefused(
                _("must be a list drawn from: %(allowed)s", allowed=", ".join(allowed))
            )
        if at_least_one and not value:
            raise SettingRefused(_("must name at least one"))
        return [item for item in allowed if item in value]

    return read


def _domains(value: Any) -> list[str]:
    """Mail domains, lower-case, without repeats."""
    if not isinstance(value, list) or len(value) > MAX_INTERNAL_DOMAINS:
        raise SettingRefused(
            _("must be a list of at most %(count)d domains", count=MAX_INTERNAL_DOMAINS)
        )
    domains: list[str] = []
    for item in value:
        domain = item.strip().lower().lstrip("@") if isinstance(item, str) else ""
        if not is_mail_domain(domain):
            raise SettingRefused(_("%(value)s is not a mail domain", value=str(item)[:100]))
        if domain not in domains:
            domains.append(domain)
    return domains


def _currency(value: Any) -> str:
    """An ISO 4217 currency code."""
    code = value.strip().upper() if isinstance(value, str) else ""
    if code not in list_currencies():
        raise SettingRefused(_("must be an ISO 4217 currency code such as EUR or USD"))
    return code


def _accent(value: Any) -> str | None:
    """A #rrggbb colour that white text reads on; empty for Fluent's brand blue."""
    colour = value.strip().lower() if isinstance(value, str) else ""
    if not colour:
        return None
    if not is_accent(colour):
        raise SettingRefused(
            _("must be a colour such as #0f6cbd that white text reads on (contrast 4.5:1)")
        )
    return colour


def _attachment_limit(value: Any) -> int:
    """Bytes, up to the largest mail the installation accepts."""
    return whole_number(1024 * 1024, current_app.config["MAX_MAIL_BYTES"])(value)


ASSOCIATION_TYPES = tuple(DEFAULT_ASSOCIATION_TYPES)
ACCOUNT_SETTINGS = (
    Setting("log_by_default", boolean, "boolean"),
    Setting("track_by_default", boolean, "boolean"),
    Setting("create_contacts", boolean, "boolean"),
    Setting(
        "default_association_types",
        _choices(ASSOCIATION_TYPES, at_least_one=False),
        "choices",
        choices=ASSOCIATION_TYPES,
    ),
    Setting("max_associated_deals", whole_number(0, MAX_ASSOCIATED), "number"),
    Setting("max_associated_tickets", whole_number(0, MAX_ASSOCIATED), "number"),
    Setting("privacy_mode", boolean, "boolean"),
    Setting(
        "legal_bases", _choices(LEGAL_BASES, at_least_one=True), "choices", choices=LEGAL_BASES
    ),
    Setting("internal_domains", _domains, "domains"),
    Setting("attachment_size_limit", _attachment_limit, "number"),
    Setting("tracked_attachment_days", whole_number(1, MAX_DAYS), "number", nullable=True),
    Setting(
        "open_repeat_window_seconds",
        whole_number(0, MAX_REPEAT_WINDOW_SECONDS),
        "number",
        nullable=True,
    ),
    Setting("currency", _currency, "text"),
    Setting("accent_color", _accent, "colour", nullable=True),
    Setting("event_retention_days", whole_number(1, MAX_DAYS), "number", nullable=True),
    Setting("mail_retention_days", whole_number(1, MAX_DAYS), "number", nullable=True),
    Setting("recipient_opt_out_link", boolean, "boolean"),
)
SETTINGS_BY_NAME = {setting.name: setting for setting in ACCOUNT_SETTINGS}


def tracked_attachment_days(account: Account) -> int:
    """How long a tracked attachment's link works: the account's choice, else the installation's."""
    return account.tracked_attachment_days or current_app.config["ATTACHMENT_LINK_DAYS"]


def open_repeat_window_seconds(account: Account) -> int:
    """How long repeat opens of one recipient count once: the account's, else the default."""
    chosen = account.open_repeat_window_seconds
    return current_app.config["OPEN_REPEAT_WINDOW_SECONDS"] if chosen is None else chosen


def account_settings(account: Account) -> dict[str, Any]:
    """Every setting as it is now (null where the installation's default or "keep" applies)."""
    return {setting.name: getattr(account, setting.name) for setting in ACCOUNT_SETTINGS}


def read_settings(sent: dict[str, Any], settings: dict[str, Setting], unknown: str) -> dict:
    """The sent settings, each read by its Setting, or ValidationFailed naming every bad one
    (unknown: what a name that is no setting is told)."""
    changes: dict[str, Any] = {}
    problems: dict[str, str] = {}
    for name, value in sent.items():
        setting = settings.get(name)
        if setting is None:
            problems[name] = unknown
        elif value is None and setting.nullable:
            changes[name] = None
        else:
            try:
                changes[name] = setting.read(value)
            except SettingRefused as refused:
                problems[name] = str(refused)
    if problems:
        raise ValidationFailed(_("Some settings were not changed."), details={"fields": problems})
    return changes


def change_account_settings(actor: User, sent: dict[str, Any]) -> dict[str, Any]:
    """Apply an admin's changes all at once (or none), audit them, and answer the settings."""
    require_admin(actor, _("Only an admin can change the account's settings."))
    changes = read_settings(sent, SETTINGS_BY_NAME, _("not a setting of the account"))
    account = actor.account
    before = account_settings(account)
    for name, value in changes.items():
        setattr(account, name, value)
    changed = changed_fields(before, changes)
    if changed:
        record_audit(actor, account.id, "settings_changed", ("account", account.id), changed)
    db.session.commit()
    return account_settings(account)
