"""GET /openapi.json and GET /api/docs: the API's description, open to anyone."""

from __future__ import annotations

import json

from flask import Blueprint, Response, current_app, render_template
from flask_babel import get_locale

from tracklog.api.openapi import build_document

docs = Blueprint("docs", __name__)


@docs.get("/openapi.json")
def openapi_json() -> Response:
    """The OpenAPI 3.1 document of /api/v1, in the order it was built (not key-sorted)."""
    body = json.dumps(build_document(current_app), ensure_ascii=False)
    return current_app.response_class(body, mimetype="application/json")


@docs.get("/api/docs")
def api_docs() -> str:
    """A page that renders /openapi.json with the bundled script, no CDN."""
    return render_template("api/docs.html", lang=str(get_locale() or "en"))
