"""Cursor pagination over any query: a page of rows and the opaque cursor of the next page.

Lists answer {"items": [...], "next_cursor": "..." | null}; the API and the pages both page
this way. Nothing here reads the request: callers pass the cursor and the page size.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import Select

from tracklog.errors import DomainError
from tracklog.extensions import db
from tracklog.inputs import stored_integer

DEFAULT_LIMIT = 50
MAX_LIMIT = 200


class InvalidCursor(DomainError):
    """The cursor was not one this server handed out."""

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


def paginate_by_id(
    query: Select, id_column: Any, cursor: str | None, limit: int = DEFAULT_LIMIT
) -> tuple[list[Any], str | None]:
    """One page of a query, newest (highest id) first, and the cursor of the next page."""
    if cursor:
        after = stored_integer(decode_cursor(cursor).get("before_id"))
        if after is None:
            raise InvalidCursor(_("The cursor is not valid; start again without it."))
        query = query.where(id_column < after)
    rows = list(db.session.scalars(query.order_by(id_column.desc()).limit(limit + 1)))
    if len(rows) > limit:
        return rows[:limit], encode_cursor({"before_id": rows[limit - 1].id})
    return rows, None
