"""The JSON API under /api/v1, authenticated with a bearer token."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, g, request
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import validate_csrf
from sqlalchemy import Select
from wtforms import ValidationError

from tracklog.api.errors import API_PREFIX
from tracklog.auth.bearer import authenticate, bearer_token, check_scope
from tracklog.errors import DomainError, Forbidden
from tracklog.extensions import csrf
from tracklog.inputs import stored_integer
from tracklog.models import User
from tracklog.paging import DEFAULT_LIMIT, MAX_LIMIT, paginate_by_id
from tracklog.tracking.sightings import note_sighting

api = Blueprint("api", __name__, url_prefix=API_PREFIX)
csrf.exempt(api)


def session_user() -> User | None:
    """The signed-in web UI user, for calls from tracklog's own pages (CSRF-checked when unsafe)."""
    if "Authorization" in request.headers or not current_user.is_authenticated:
        return None
    if request.method not in ("GET", "HEAD", "OPTIONS"):
        try:
            validate_csrf(request.headers.get("X-CSRFToken", ""))
        except ValidationError:
            raise Forbidden(
                _("Send the page's CSRF token in the X-CSRFToken header."), code="csrf_failed"
            ) from None
    return current_user._get_current_object()


@api.before_request
def authenticate_request() -> None:
    """Every API call acts as the user its bearer token (or the web UI's session) stands for."""
    user = session_user()
    if user is None:
        user, scope = authenticate(bearer_token(request))
        check_scope(scope, request.endpoint)
    g.api_user = user
    g._login_user = user  # Flask-Login's current_user, so locale and time zone follow the user
    note_sighting(user, request)


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


def requested_page(query: Select, id_column: Any) -> tuple[list[Any], str | None]:
    """The page of a query that ?cursor= and ?limit= ask for, and the next page's cursor."""
    return paginate_by_id(query, id_column, request.args.get("cursor"), requested_limit())


from tracklog.api import record_routes  # noqa: E402,F401 - registers the record routes on `api`
