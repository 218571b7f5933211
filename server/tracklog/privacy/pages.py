"""The public page a tracked mail's opt-out footer links to (no sign-in: the token is the key)."""

from __future__ import annotations

from flask import Blueprint, Response, abort, make_response, render_template, request
from flask_babel import gettext as _

from tracklog.errors import ValidationFailed
from tracklog.extensions import csrf, db
from tracklog.models import Account
from tracklog.privacy.optout import message_of_token, one_click, opt_out

opt_out_pages = Blueprint("opt_out_pages", __name__, url_prefix="/t/u")
# Without a session there is no CSRF token to check: the signed token in the path, which only the
# mail's readers have, is what a forged cross-site POST would lack.
csrf.exempt(opt_out_pages)


@opt_out_pages.route("/<token>", methods=["GET", "POST"])
def opt_out_page(token: str) -> Response:
    """Who tracks this mail, and one button to stop it for the visitor; never a tracking hit."""
    message = message_of_token(token)
    if message is None:
        abort(404, _("This link is not valid."))
    single = one_click(message)
    done, error = False, None
    if request.method == "POST":
        try:
            opt_out(message, None if single else request.form.get("email", ""))
            done = True
        except ValidationFailed as failure:
            error = failure.message
    page = render_template(
        "privacy/opt_out.html",
        account_name=db.session.get(Account, message.account_id).name,
        one_click=single,
        done=done,
        error=error,
    )
    response = make_response(page, 422 if error else 200)
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Robots-Tag"] = "noindex"
    return response
