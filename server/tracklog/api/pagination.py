"""Cursor pagination: lists answer {"items": [...], "next_cursor": "..." | null}."""

from __future__ import annotations

import base64
import json
from typing import Any

from flask import request
from flask_babel import gettext as _
from sqlalchemy import Select

from tracklog.errors import DomainError
from tracklog.extensions import db
from tracklog.inputs import stored_integer

DEFAULT_LIMIT = 50
MAX_LIMIT = 200


class InvalidCursor(DomainError):
    """The cursor was not one this API handed out."""

    status = 400
    code = "invalid_cursor"


def encode_cursor(position: dict[str, Any]) -> str:
    """An opaque cursor for a position in a list."""
    return base64.urlsafe_b64encode(json.dumps(position).encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> dict[str, Any]:
    """The position a cursor stands for, or InvalidCursor."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        position = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, UnicodeError):
        raise InvalidCursor(_("The cursor is not valid; start again without it.")) from None
    if not isinstance(position, dict):
        raise InvalidCursor(_("The cursor is not valid; start again without it."))
    return position


def requested_limit() -> int:
    """The page size asked for with ?limit=, within bounds."""
    raw = request.args.get("limit", "")
    if not raw:
        return DEFAULT_LIMIT
    limit = stored_integer(raw, from_text=True)
    if limit is None or not 1 <= limit <= MAX_LIMIT:
        raise DomainError(
            _("limit must be a whole number from 1 to %(max)d.", max=MAX_LIMIT),
            code="invalid_limit",
        )
    return limit


def paginate_by_id(query: Select, id_column: Any) -> tuple[list[Any], str | None]:
    """One page of a query, newest (highest id) first, and the cursor of the next page."""
    cursor = request.args.get("cursor")
    if cursor:
        after = stored_integer(decode_cursor(cursor).get("before_id"))
        if after is None:
            raise InvalidCursor(_("The cursor is not valid; start again without it."))
        query = query.where(id_column < after)
    limit = requested_limit()
    rows = list(db.session.scalars(query.order_by(id_column.desc()).limit(limit + 1)))
    if len(rows) > limit:
        return rows[:limit], encode_cursor({"before_id": rows[limit - 1].id})
    return rows, None
