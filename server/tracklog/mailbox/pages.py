"""The /settings/mailbox page: your connected mailbox, its last sync, and how to connect one."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from tracklog.extensions import db
from tracklog.mailbox.connections import connection_of, disconnect
from tracklog.settings.pages import settings_pages

PROVIDER_LABELS = {"graph": _l("Microsoft 365 (Outlook)"), "imap": _l("IMAP")}


@settings_pages.get("/mailbox")
@login_required
def mailbox() -> str:
    """Your mailbox's connection and sync, or the ways to connect one."""
    return render_template(
        "settings/mailbox.html",
        connection=connection_of(current_user),
        provider_labels=PROVIDER_LABELS,
    )


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
