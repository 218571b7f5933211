"""The audit log operation of /api/v1 (admins only)."""

from __future__ import annotations

from flask import Response, g, jsonify, request
from flask_babel import gettext as _

from tracklog.api import api, requested_page
from tracklog.audit.log import AUDIT_ACTIONS, audit_json, audit_query
from tracklog.auth.accounts import require_admin
from tracklog.errors import ValidationFailed
from tracklog.models import AuditEntry


@api.get("/audit-log")
def list_audit_log() -> Response:
    """The account's audit log, newest first; ?action= keeps one kind of act."""
    require_admin(g.api_user, _("Only an admin can read the audit log."))
    action = request.args.get("action") or None
    if action is not None and action not in AUDIT_ACTIONS:
        raise ValidationFailed(
            _("action must be one of the audit log's actions."),
            details={"fields": {"action": ", ".join(AUDIT_ACTIONS)}},
        )
    rows, next_cursor = requested_page(audit_query(g.api_user.account_id, action), AuditEntry.id)
    return jsonify({"items": [audit_json(row) for row in rows], "next_cursor": next_cursor})
