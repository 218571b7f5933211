"""A user's own settings: defaults for new mail, language and time zone (not audited: personal)."""

from __future__ import annotations

from functools import cache
from typing import Any
from zoneinfo import available_timezones

from flask_babel import gettext as _

from tracklog.config import LANGUAGES
from tracklog.errors import ValidationFailed
from tracklog.extensions import db
from tracklog.models import User
from tracklog.notify.preferences import apply_preference_changes, read_preference_changes
from tracklog.settings.account import Setting, SettingRefused, boolean, read_settings


@cache
def time_zones() -> tuple[str, ...]:
    """The IANA time zone names this installation knows, sorted."""
    return tuple(sorted(available_timezones()))


def _language(value: Any) -> str:
    """One of the shipped languages."""
    if value not in LANGUAGES:
        raise SettingRefused(_("must be one of: %(choices)s", choices=", ".join(LANGUAGES)))
    return value


def _time_zone(value: Any) -> str:
    """An IANA time zone name such as Europe/Stockholm."""
    if value not in time_zones():
        raise SettingRefused(_("must be a time zone name such as Europe/Stockholm"))
    return value


PERSONAL_SETTINGS = (
    # null: follow the account's default
    Setting("track_by_default", boolean, "default", nullable=True),
    Setting("log_by_default", boolean, "default", nullable=True),
    # null: the browser's language
    Setting("locale", _language, "language", nullable=True),
    Setting("time_zone", _time_zone, "time_zone"),
)
PERSONAL_BY_NAME = {setting.name: setting for setting in PERSONAL_SETTINGS}


def personal_settings(user: User) -> dict[str, Any]:
    """The user's own settings as they are now (null where the account or browser decides)."""
    return {setting.name: getattr(user, setting.name) for setting in PERSONAL_SETTINGS}


def personal_settings_json(user: User) -> dict[str, Any]:
    """The user's own settings and the account's defaults they fall back on."""
    account = user.account
    return personal_settings(user) | {
        "account_defaults": {
            "track_by_default": account.track_by_default,
            "log_by_default": account.log_by_default,
        }
    }


def read_personal_changes(sent: dict[str, Any]) -> dict[str, Any]:
    """The sent personal settings, each read, or ValidationFailed naming every bad one."""
    return read_settings(sent, PERSONAL_BY_NAME, _("not one of your settings"))


def apply_personal_changes(user: User, changes: dict[str, Any]) -> None:
    """Set read changes on the user (the caller commits)."""
    for name, value in changes.items():
        setattr(user, name, value)


def change_personal_settings(user: User, sent: dict[str, Any]) -> dict[str, Any]:
    """Apply the user's own changes all at once (or none) and answer their settings."""
    apply_personal_changes(user, read_personal_changes(sent))
    db.session.commit()
    return personal_settings_json(user)


def change_own_settings(
    user: User, settings_sent: dict[str, Any], preferences_sent: dict[str, Any]
) -> None:
    """Change the user's own settings and notification preferences together, all or none (the
    settings page saves both at once)."""
    problems: dict[str, str] = {}
    read: list[dict[str, Any]] = []
    for reader, sent in (
        (read_personal_changes, settings_sent),
        (read_preference_changes, preferences_sent),
    ):
        try:
            read.append(reader(sent))
        except ValidationFailed as refused:
            problems |= refused.details["fields"]
    if problems:
        raise ValidationFailed(_("Some settings were not changed."), details={"fields": problems})
    apply_personal_changes(user, read[0])
    apply_preference_changes(user, read[1])
    db.session.commit()
