"""Connecting a Microsoft 365 mailbox from Settings → Mailbox (the authorization code flow), and
replying to a logged mail from its timeline card."""

from __future__ import annotations

from flask import current_app, flash, g, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from tracklog.auth.views import safe_next
from tracklog.errors import DomainError
from tracklog.mailbox.connections import connection_of
from tracklog.mailbox.graph_auth import finish_sign_in, start_sign_in
from tracklog.mailbox.graph_mail import connect_with, reply
from tracklog.settings.pages import settings_pages
from tracklog.web.views import web

FLOW_KEY = "graph_sign_in_flow"


def callback_url() -> str:
    """Where Entra ID sends the user back: the redirect URI to register on the Entra app."""
    return current_app.config["BASE_URL"] + url_for("settings_pages.graph_callback")


@settings_pages.post("/mailbox/graph/connect")
@login_required
def connect_graph() -> Response:
    """Send you to Microsoft to sign in to your mailbox; the flow waits in your session."""
    try:
        flow = start_sign_in(current_user, callback_url())
    except DomainError as error:
        flash(error.message, "error")
        return redirect(url_for("settings_pages.mailbox"))
    session[FLOW_KEY] = flow
    return redirect(flow["auth_uri"])


@settings_pages.get("/mailbox/graph/callback")
@login_required
def graph_callback() -> Response:
    """Finish the sign-in Microsoft sent you back from, and connect the mailbox."""
    flow = session.pop(FLOW_KEY, None)
    if not isinstance(flow, dict) or request.args.get("state") != flow.get("state"):
        flash(_("This sign-in to Microsoft was not started here, or it expired."), "error")
    elif "error" in request.args:
        flash(
            _(
                "Microsoft did not connect the mailbox: %(reason)s",
                reason=request.args.get("error_description") or request.args["error"],
            ),
            "error",
        )
    else:
        try:
            cache = finish_sign_in(current_user, flow, request.args)
            connection = connect_with(current_user, cache)
            flash(_("Your mailbox %(address)s is connected.", address=connection.address), "info")
        except DomainError as error:
            flash(error.message, "error")
    return redirect(url_for("settings_pages.mailbox"))


@web.post("/activities/<int:activity_id>/reply")
@login_required
def reply_from_card(activity_id: int) -> Response:
    """Answer a logged mail from your Microsoft 365 mailbox, then go back to the timeline."""
    try:
        reply(
            current_user,
            activity_id,
            request.form.get("body"),
            request.form.get("reply_all") == "1",
        )
        flash(_("Your reply was sent."), "info")
    except DomainError as error:
        flash(error.message, "error")
    return redirect(safe_next(request.form.get("next")))


def has_graph_mailbox() -> bool:
    """Whether the signed-in user's mailbox is Microsoft 365 (once per request)."""
    if "has_graph_mailbox" not in g:
        connection = current_user.is_authenticated and connection_of(current_user)
        g.has_graph_mailbox = bool(connection) and connection.provider == "graph"
    return g.has_graph_mailbox


@settings_pages.app_context_processor
def graph_mailbox_helpers() -> dict[str, object]:
    """Templates ask whether the viewer can reply through Microsoft 365."""
    return {"has_graph_mailbox": has_graph_mailbox}
