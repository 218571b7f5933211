"""A user's notification preferences: what each may be, read and changed (API and page)."""

from __future__ import annotations

from datetime import time
from typing import Any

from flask_babel import gettext as _

from tracklog.errors import ValidationFailed
from tracklog.extensions import db
from tracklog.models import User
from tracklog.notify.feed import preferences

OPEN_CHOICES = ("first", "every", "none")


def _times(value: dict[str, Any]) -> bool:
    """Whether start and end are HH:MM times."""
    try:
        time.fromisoformat(value["start"]), time.fromisoformat(value["end"])
    except (TypeError, ValueError):
        return False
    return True


PREFERENCE_CHECKS = {
    "opens": lambda value: value in OPEN_CHOICES,
    "clicks": lambda value: isinstance(value, bool),
    "attachments": lambda value: isinstance(value, bool),
    "replies": lambda value: isinstance(value, bool),
    "logging": lambda value: isinstance(value, bool),
    "quiet_hours": lambda value: (
        value is None
        or (isinstance(value, dict) and set(value) == {"start", "end"} and _times(value))
    ),
}


def read_preference_changes(sent: dict[str, Any]) -> dict[str, Any]:
    """The sent preferences, or ValidationFailed naming every bad one."""
    bad = {
        name: _("not a valid value")
        for name, value in sent.items()
        if name not in PREFERENCE_CHECKS or not PREFERENCE_CHECKS[name](value)
    }
    if bad:
        raise ValidationFailed(_("Some preferences are not valid."), details={"fields": bad})
    return sent


def apply_preference_changes(user: User, changes: dict[str, Any]) -> None:
    """Merge read changes into the user's preferences (the caller commits)."""
    user.notification_preferences = preferences(user) | changes


def change_preferences(user: User, sent: dict[str, Any]) -> dict[str, Any]:
    """Change some of the user's preferences, all or none, and answer them all."""
    apply_preference_changes(user, read_preference_changes(sent))
    db.session.commit()
    return preferences(user)
