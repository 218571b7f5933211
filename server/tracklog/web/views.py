"""Pages of the signed-in web app."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user, login_required

from tracklog.auth.accounts import bcc_address
from tracklog.web.start import start_page

web = Blueprint("web", __name__)


@web.get("/")
@login_required
def home() -> str:
    """A salesperson's start: recent opens and clicks, tasks due, deals closing, mail not logged."""
    return render_template(
        "web/home.html", bcc=bcc_address(current_user.account), **start_page(current_user)
    )
