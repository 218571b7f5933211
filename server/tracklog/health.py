"""GET /healthz: whether the database, the event bus and serve's children answer."""

from __future__ import annotations

import socket
from collections.abc import Callable

from flask import Blueprint, Response, current_app, jsonify
from sqlalchemy import text

from tracklog.extensions import db
from tracklog.hostsockets import is_listening
from tracklog.notify.bus import get_bus
from tracklog.tracking.hits import hit_journal

health = Blueprint("health", __name__)
# Seconds a probe of a child may take.
PROBE_TIMEOUT = 1.0


class ChildDown(RuntimeError):
    """A child process of `tracklog serve` is not running."""


def _check(probe: Callable[[], object]) -> str:
    """'ok', or the failure in one line."""
    try:
        probe()
    except ChildDown:
        return "down"
    except Exception as error:  # noqa: BLE001 - any failure means "not ok", reported by name
        db.session.rollback()
        return f"error: {type(error).__name__}"
    return "ok"


def recorder_listens() -> None:
    """Raise unless the hit recorder waits on its doorbell."""
    if not is_listening(hit_journal().doorbell_path()):
        raise ChildDown("the hit recorder is not running")


def receiver_listens() -> None:
    """Raise unless the BCC receiver accepts connections."""
    host = current_app.config["SMTP_HOST"]
    host = "127.0.0.1" if host in ("0.0.0.0", "") else "::1" if host == "::" else host
    try:
        socket.create_connection((host, current_app.config["SMTP_PORT"]), PROBE_TIMEOUT).close()
    except OSError:
        raise ChildDown("the BCC receiver does not accept connections") from None


CHILD_PROBES = {"record-hits": ("recorder", recorder_listens), "smtpd": ("smtpd", receiver_listens)}


@health.get("/healthz")
def healthz() -> tuple[Response, int]:
    """200 when every part answers; 503 naming the failing part otherwise.

    Under `tracklog serve` the hit recorder and the BCC receiver are parts too; they are named
    only when down, so a healthy answer is always the same three fields.
    """
    parts = {
        "database": _check(lambda: db.session.execute(text("SELECT 1"))),
        "bus": _check(lambda: get_bus().ping()),
    }
    for command in current_app.config["SERVE_CHILDREN"]:
        name, probe = CHILD_PROBES[command]
        if (state := _check(probe)) != "ok":
            parts[name] = state
    healthy = all(value == "ok" for value in parts.values())
    body = {"status": "ok" if healthy else "unavailable", **parts}
    return jsonify(body), 200 if healthy else 503
