"""GET /healthz: whether the database and the event bus answer."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify
from sqlalchemy import text

from tracklog.extensions import db
from tracklog.notify.bus import get_bus

health = Blueprint("health", __name__)


def _check(probe) -> str:
    """'ok', or the failure in one line."""
    try:
        probe()
    except Exception as error:  # noqa: BLE001 - any failure means "not ok", reported by name
        db.session.rollback()
        return f"error: {type(error).__name__}"
    return "ok"


@health.get("/healthz")
def healthz() -> tuple[Response, int]:
    """200 when every part answers; 503 naming the failing part otherwise."""
    parts = {
        "database": _check(lambda: db.session.execute(text("SELECT 1"))),
        "bus": _check(lambda: get_bus().ping()),
    }
    healthy = all(value == "ok" for value in parts.values())
    body = {"status": "ok" if healthy else "unavailable", **parts}
    return jsonify(body), 200 if healthy else 503
