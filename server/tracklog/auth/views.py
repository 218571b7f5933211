"""Sign-in and sign-out with a local account, and the personal API token page."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import BooleanField, EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, Length

from tracklog.auth.accounts import password_matches
from tracklog.auth.tokens import create_token, list_tokens, revoke_token
from tracklog.extensions import db, login_manager
from tracklog.models import User

auth = Blueprint("auth", __name__)


class SignInForm(FlaskForm):
    """Address and password of a local account."""

    email = EmailField(_l("Email"), validators=[DataRequired()])
    password = PasswordField(_l("Password"), validators=[DataRequired()])
    remember = BooleanField(_l("Keep me signed in"))


class NewTokenForm(FlaskForm):
    """The name of a new personal API token."""

    name = StringField(_l("Token name"), validators=[DataRequired(), Length(max=100)])


class EmptyForm(FlaskForm):
    """A form with nothing but its CSRF token, for buttons that change state."""


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    """The user stored in the signed session cookie."""
    user = db.session.get(User, int(user_id)) if user_id.isdigit() else None
    return user if user is not None and user.active else None


def _safe_next(target: str | None) -> str:
    """Only same-site paths are followed after sign-in: never an open redirect."""
    if target and target.startswith("/") and not target.startswith("//"):
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and "\\" not in target:
            return target
    return url_for("web.home")


@auth.route("/sign-in", methods=["GET", "POST"])
def sign_in() -> str | Response:
    """Show the sign-in form; sign the user in when the password matches."""
    form = SignInForm()
    if form.validate_on_submit():
        address = form.email.data.strip().lower()
        user = db.session.scalar(db.select(User).filter_by(email=address))
        if user is not None and user.active and password_matches(user, form.password.data):
            login_user(user, remember=form.remember.data)
            return redirect(_safe_next(request.args.get("next")))
        flash(_("The address or the password is wrong."), "error")
    return render_template("auth/sign_in.html", form=form)


@auth.post("/sign-out")
@login_required
def sign_out() -> Response:
    """End the session."""
    if EmptyForm().validate_on_submit():
        logout_user()
    return redirect(url_for("auth.sign_in"))


@auth.route("/settings/tokens", methods=["GET", "POST"])
@login_required
def tokens() -> str:
    """List the user's API tokens and create a new one, shown once."""
    form = NewTokenForm()
    created = None
    if form.validate_on_submit():
        _token, created = create_token(current_user, form.name.data)
        form.name.data = ""
    return render_template(
        "auth/tokens.html",
        form=form,
        revoke_form=EmptyForm(),
        created=created,
        tokens=list_tokens(current_user),
    )


@auth.post("/settings/tokens/<int:token_id>/revoke")
@login_required
def revoke(token_id: int) -> Response:
    """Revoke one of the user's tokens."""
    if EmptyForm().validate_on_submit():
        revoke_token(current_user, token_id)
        flash(_("The token was revoked."), "info")
    return redirect(url_for("auth.tokens"))
