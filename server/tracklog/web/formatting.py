"""How every page writes times and amounts: in the reader's language, time zone and currency."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from babel.dates import get_datetime_format
from flask import Blueprint
from flask_babel import (
    format_currency,
    format_date,
    format_datetime,
    format_time,
    format_timedelta,
    get_locale,
    get_timezone,
)
from flask_login import current_user

from tracklog.models import utcnow
from tracklog.models.account import DEFAULT_CURRENCY

formatting = Blueprint("formatting", __name__)


def as_datetime(value: datetime | str | None) -> datetime | None:
    """A moment from a datetime or the ISO 8601 text the API answers (a Z means UTC)."""
    if isinstance(value, str):
        return datetime.fromisoformat(value.replace("Z", "+00:00")) if value else None
    return value


@formatting.app_template_filter("when")
def when(value: datetime | str | None, width: str = "medium") -> str:
    """Jinja: a date and time in the reader's language and time zone ("" for none).

    The medium width leaves out the seconds, as people write a time.
    """
    moment = as_datetime(value)
    if moment is None:
        return ""
    if width != "medium":
        return format_datetime(moment, width)
    pattern = get_datetime_format(width, locale=get_locale()).replace("'", "")
    return pattern.replace("{1}", format_date(moment, width)).replace(
        "{0}", format_time(moment, "short")
    )


@formatting.app_template_filter("day")
def day(value: date | datetime | str | None, width: str = "medium") -> str:
    """Jinja: a day in the reader's language (a moment is first put in the reader's zone)."""
    if isinstance(value, str | datetime):
        moment = as_datetime(value)
        return format_date(moment, width) if moment else ""
    return format_date(value, width) if value else ""


@formatting.app_template_filter("ago")
def ago(value: datetime | str | None) -> str:
    """Jinja: how long ago (or in how long) a moment is, in the reader's language."""
    moment = as_datetime(value)
    if moment is None:
        return ""
    return format_timedelta(moment - utcnow(), add_direction=True, threshold=1.1)


def account_currency() -> str:
    """The ISO 4217 code of the signed-in user's account (the default outside a session)."""
    account = getattr(current_user, "account", None)
    return getattr(account, "currency", None) or DEFAULT_CURRENCY


@formatting.app_template_filter("amount_text")
def amount_text(value: Decimal | int | None) -> str:
    """Jinja: an amount in the account's currency, written the reader's way."""
    return format_currency(value or 0, account_currency())


@formatting.app_context_processor
def reader_settings() -> dict[str, Any]:
    """The reader's time zone and the account's currency, for page scripts and forms."""
    return {"reader_time_zone": str(get_timezone()), "account_currency": account_currency()}
