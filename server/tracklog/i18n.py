"""Language and time zone of each request: the user's choice, else the browser's."""

from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import current_app, has_request_context, request
from flask_login import current_user

from tracklog.config import LANGUAGES


def select_locale() -> str:
    """The signed-in user's language, else ?lang=, else Accept-Language; the CLI's outside one."""
    if not has_request_context():
        return current_app.config.get("CLI_LOCALE", "en")
    chosen = getattr(current_user, "locale", None) if current_user else None
    if chosen in LANGUAGES:
        return chosen
    override = request.args.get("lang")
    if override in LANGUAGES:
        return override
    return request.accept_languages.best_match(LANGUAGES, default="en")


def known_zone(name: str | None) -> ZoneInfo:
    """The named time zone, or UTC when the name is empty or no time zone database knows it."""
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def select_timezone() -> str:
    """The signed-in user's time zone, else UTC."""
    return known_zone(getattr(current_user, "time_zone", None)).key
