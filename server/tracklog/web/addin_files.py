"""The add-in's files (/addin/, /taskpane/), its configuration and its local sign-in dialog."""

from __future__ import annotations

from importlib.resources import files

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    jsonify,
    send_from_directory,
)
from flask_babel import gettext as _

from tracklog.auth.tokens import create_token
from tracklog.auth.views import SignInForm, authenticated_user, sign_in_page

addin_files = Blueprint("addin_files", __name__)
FOLDERS = {"addin": "tracklog.addin.files", "taskpane": "tracklog.taskpane"}
CACHE_SECONDS = 300


def packaged_folder(name: str) -> str:
    """Where a carried folder (addin/, taskpane/) is, installed or in the source tree."""
    try:
        return str(files(FOLDERS[name]))
    except ModuleNotFoundError:
        abort(404)


@addin_files.get("/addin/config.json")
def addin_config() -> Response:
    """What the add-in needs before signing in: the server's address and the Entra client id."""
    return jsonify(
        {
            "baseUrl": current_app.config["BASE_URL"],
            "entraClientId": current_app.config["ENTRA_CLIENT_ID"],
        }
    )


@addin_files.route("/addin/sign-in", methods=["GET", "POST"])
def addin_sign_in() -> Response:
    """The local sign-in dialog: a correct password yields a personal API token for the add-in."""
    form = SignInForm()
    token = None
    if form.validate_on_submit():
        user = authenticated_user(form)
        if user is not None:
            token = create_token(user, _("Outlook add-in"))[1]
    return sign_in_page("addin/sign_in.html", form, token=token)


@addin_files.get("/addin/<path:name>")
def addin_file(name: str) -> Response:
    """A file of the add-in (handlers, commands page, icons, vendored libraries)."""
    return send_from_directory(packaged_folder("addin"), name, max_age=CACHE_SECONDS)


@addin_files.get("/taskpane/<path:name>")
def taskpane_file(name: str) -> Response:
    """A file of the task pane (pages, scripts, styles, translations)."""
    return send_from_directory(packaged_folder("taskpane"), name, max_age=CACHE_SECONDS)
