"""The single JSON error shape of /api/v1, and the handlers that produce it."""

from __future__ import annotations

import json
from typing import Any

from flask import Flask, Response, g, jsonify, request
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import HTTPException, InternalServerError

from tracklog.config import LANGUAGES
from tracklog.errors import DomainError
from tracklog.extensions import db
from tracklog.web.pages import error_page

API_PREFIX = "/api/v1"
# Seconds a client is asked to wait when the database is busy or not answering.
RETRY_AFTER_SECONDS = 5
MACHINE_PATHS = {"/healthz", "/openapi.json"}


def error_response(status: int, code: str, message: str, details: Any = None) -> Response:
    """Every API error: {"error": {"code", "message", "details"}} with a fitting status."""
    response = jsonify({"error": {"code": code, "message": message, "details": details or {}}})
    response.status_code = status
    return response


def wants_json_errors() -> bool:
    """Whether an error is answered in JSON rather than as an HTML page: always under the API
    and for machine endpoints, else when the client prefers JSON to HTML or sent JSON (the
    pages' scripts)."""
    if request.path.startswith(API_PREFIX) or request.path in MACHINE_PATHS:
        return True
    preferred = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return preferred == "application/json" or request.is_json


def _code_for(error: HTTPException) -> str:
    """A snake_case code for a standard HTTP error (404 -> not_found)."""
    name = (error.name or "error").lower()
    return "".join(c if c.isalnum() else "_" for c in name).strip("_")


def register_error_handlers(app: Flask) -> None:
    """Every error answer, JSON or an HTML page as wants_json_errors() decides."""

    @app.errorhandler(DomainError)
    def handle_domain_error(error: DomainError) -> Response | tuple[str, int]:
        """A domain failure: its own code, message and status."""
        if wants_json_errors():
            return error_response(error.status, error.code, error.message, error.details)
        return error_page(error.status, error.message)

    @app.errorhandler(HTTPException)
    def handle_http_error(error: HTTPException) -> Response | HTTPException | tuple[str, int]:
        """404, 405, 413 and the like."""
        if error.code is None or error.code < 400:
            return error
        if wants_json_errors():
            response = error_response(error.code, _code_for(error), error.description or "")
            if error.code == 405 and error.valid_methods:
                response.headers["Allow"] = ", ".join(error.valid_methods)
            return response
        return error_page(error.code, error.description or "")

    @app.errorhandler(PoolTimeout)
    @app.errorhandler(OperationalError)
    def handle_database_unavailable(error: Exception) -> Response:
        """No database connection free in time, or the database not answering: a 503 to retry
        (the pane then still lets the mail go), never a 500."""
        app.logger.warning("database unavailable on %s %s: %s", request.method, request.path, error)
        db.session.rollback()
        # The answer and the after-request hooks go without the signed-in user, whom loading
        # would need the database again: the session cookie stays as it was.
        g._login_user = app.login_manager.anonymous_user()
        # In the browser's language: the user's own choice is in the database.
        with force_locale(request.accept_languages.best_match(LANGUAGES, default="en")):
            message = _("The database is busy or not answering. Please try again in a minute.")
        if wants_json_errors():
            response = error_response(503, "database_unavailable", message)
        else:
            response = Response(message, status=503, mimetype="text/plain")
        response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response

    @app.errorhandler(InternalServerError)
    @app.errorhandler(Exception)
    def handle_unexpected(error: Exception) -> Response | tuple[str, int]:
        """A bug: logged with its traceback, answered without one; this answer never fails."""
        app.logger.exception("unhandled error on %s %s", request.method, request.path)
        try:
            # The failed request may have broken the transaction; the answer reads the user's
            # language from the database.
            db.session.rollback()
            message = _("Something went wrong on the server. The error was logged.")
            if wants_json_errors():
                return error_response(500, "internal_error", message)
            return error_page(500, message)
        except Exception:  # noqa: BLE001 - the last answer must go out whatever broke
            app.logger.exception("the error page failed too on %s", request.path)
            return last_resort_error()


def last_resort_error() -> Response:
    """A 500 built without templates, translations or the database (all may be what failed)."""
    message = "Something went wrong on the server. The error was logged."
    if wants_json_errors():
        body = {"error": {"code": "internal_error", "message": message, "details": {}}}
        return Response(json.dumps(body), status=500, mimetype="application/json")
    return Response(message, status=500, mimetype="text/plain")
