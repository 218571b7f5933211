"""Pages of the signed-in web app."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user, login_required

from tracklog.auth.accounts import bcc_address

web = Blueprint("web", __name__)


@web.get("/")
@login_required
def home() -> str:
    """The start page: who is signed in and the account's logging address."""
    return render_template("web/home.html", bcc=bcc_address(current_user.account))
