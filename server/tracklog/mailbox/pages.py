"""The /settings/mailbox page: your connected mailbox, its last sync, and how to connect one."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from tracklog.errors import DomainError
from tracklog.extensions import db
from tracklog.mailbox.connections import connection_of, disconnect
from tracklog.mailbox.imap import DEFAULT_PORTS, FIRST_SYNC_DAYS, SECURITY_MODES, connect_imap
from tracklog.settings.pages import settings_pages

PROVIDER_LABELS = {"graph": _l("Microsoft 365 (Outlook)"), "imap": _l("IMAP")}
SECURITY_LABELS = {
    "tls": _l("TLS (IMAPS, usually port 993)"),
    "starttls": _l("STARTTLS (usually port 143)"),
    "none": _l("None (only to a server on this machine)"),
}
# The IMAP form's fields a refused attempt shows again (never the password).
IMAP_FIELDS = ("host", "port", "security", "username", "address")
# The field a failed login attempt's message is shown at.
FAILURE_FIELDS = {"imap_login_failed": "password", "imap_tls_failed": "security"}


def render_mailbox(
    imap_sent: dict[str, Any] | None = None,
    imap_problems: dict[str, str] | None = None,
    status: int = 200,
) -> tuple[str, int]:
    """The mailbox page, with the IMAP form as sent and its problems at their fields."""
    connection = connection_of(current_user)
    if imap_sent is None and connection is not None and connection.provider == "imap":
        imap_sent = dict(connection.settings)
    page = render_template(
        "settings/mailbox.html",
        connection=connection,
        provider_labels=PROVIDER_LABELS,
        security_labels={mode: SECURITY_LABELS[mode] for mode in SECURITY_MODES},
        default_ports=DEFAULT_PORTS,
        imap_sent=imap_sent or {},
        imap_problems=imap_problems or {},
    )
    return page, status


@settings_pages.get("/mailbox")
@login_required
def mailbox() -> tuple[str, int]:
    """Your mailbox's connection and sync, or the ways to connect one."""
    return render_mailbox()


@settings_pages.post("/mailbox/imap")
@login_required
def connect_imap_mailbox() -> Any:
    """Connect an IMAP mailbox from the form; a refused one is shown again with its problems."""
    sent = {name: request.form.get(name, "") for name in (*IMAP_FIELDS, "password")}
    try:
        connect_imap(current_user, sent)
    except DomainError as refused:
        db.session.rollback()
        del sent["password"]
        failed_at = FAILURE_FIELDS.get(refused.code, "host")
        problems = refused.details.get("fields") or {failed_at: refused.message}
        flash(refused.message, "error")
        return render_mailbox(sent, problems, status=422)
    db.session.commit()
    flash(
        _(
            "Your IMAP mailbox is connected; its mail of the last %(days)d days is being logged.",
            days=FIRST_SYNC_DAYS,
        ),
        "info",
    )
    return redirect(url_for("settings_pages.mailbox"))


@settings_pages.post("/mailbox/disconnect")
@login_required
def disconnect_mailbox() -> Response:
    """Disconnect your mailbox."""
    removed = disconnect(current_user)
    db.session.commit()
    flash(
        _(
            "Your mailbox was disconnected; %(count)d automatic associations of its mail were "
            "removed.",
            count=removed,
        ),
        "info",
    )
    return redirect(url_for("settings_pages.mailbox"))
