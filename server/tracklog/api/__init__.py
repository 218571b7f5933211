"""The JSON API under /api/v1, authenticated with a bearer token."""

from __future__ import annotations

from flask import Blueprint, g, request

from tracklog.api.errors import API_PREFIX
from tracklog.auth.bearer import authenticate, bearer_token
from tracklog.extensions import csrf
from tracklog.tracking.sightings import note_sighting

api = Blueprint("api", __name__, url_prefix=API_PREFIX)
csrf.exempt(api)


@api.before_request
def authenticate_request() -> None:
    """Every API call acts as the user its bearer token stands for."""
    user = authenticate(bearer_token(request))
    g.api_user = user
    g._login_user = user  # Flask-Login's current_user, so locale and time zone follow the user
    note_sighting(user, request)


from tracklog.api import records  # noqa: E402,F401 - registers the record routes on `api`
