"""Sign-in and sign-out, invitations, remembered browsers, the signed-in devices and API token
pages."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import (
    Blueprint,
    current_app,
    flash,
    g,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import BooleanField, EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length

from tracklog.auth.accounts import change_own_password
from tracklog.auth.invitations import accept_invitation, usable_invitation
from tracklog.auth.sessions import (
    REMEMBERED_FOR,
    device_label,
    end_web_session,
    end_web_sessions,
    forget_device,
    live_web_session,
    resume_remembered,
    sign_out_device,
    start_web_session,
    web_sessions_of,
)
from tracklog.auth.throttle import Clock, SignInRefused, TooManyAttempts, authenticate
from tracklog.auth.tokens import create_token, list_tokens, revoke_token
from tracklog.errors import DomainError, ValidationFailed
from tracklog.extensions import db, login_manager
from tracklog.models import User

auth = Blueprint("auth", __name__)
# The session cookie names the browser's sign-in row by its selector under this key.
SESSION_KEY = "web_session"
DEVICE_COOKIE = "tracklog_device"
# Flask-Login's own "remember me" cookie (the user id and a fixed HMAC): no longer honoured.
LEGACY_REMEMBER_COOKIE = "remember_token"


class SignInForm(FlaskForm):
    """Address and password of a local account."""

    email = EmailField(_l("Email"), validators=[DataRequired()])
    password = PasswordField(_l("Password"), validators=[DataRequired()])
    remember = BooleanField(_l("Keep me signed in"))
    retry_after: int | None = None


class NewTokenForm(FlaskForm):
    """The name of a new personal API token."""

    name = StringField(_l("Token name"), validators=[DataRequired(), Length(max=100)])


class NewPasswordForm(FlaskForm):
    """A new password, twice (its strength is checked by auth.accounts when it is set)."""

    new = PasswordField(_l("New password"), validators=[DataRequired()])
    repeat = PasswordField(
        _l("New password again"),
        validators=[DataRequired(), EqualTo("new", message=_l("The new passwords differ."))],
    )


class ChangePasswordForm(NewPasswordForm):
    """The current password and the new one, twice."""

    current = PasswordField(_l("Current password"), validators=[DataRequired()])


class EmptyForm(FlaskForm):
    """A form with nothing but its CSRF token, for buttons that change state."""


def clock() -> Clock:
    """The app's clock: the real one, or the one a test put in the config under CLOCK."""
    return current_app.config.get("CLOCK") or Clock()


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    """The user of a session cookie whose sign-in still holds (not signed out, not expired)."""
    selector = session.get(SESSION_KEY)
    if not user_id.isdigit() or not isinstance(selector, str):
        return None
    web_session, renewed = live_web_session(
        int(user_id), selector, ip=request.remote_addr, now=clock().now()
    )
    if renewed:
        g.device_cookie = renewed
    return web_session.user if web_session is not None else None


@auth.before_app_request
def resume_remembered_sign_in() -> None:
    """A browser that comes back without a session but with a device cookie is signed in again."""
    cookie = request.cookies.get(DEVICE_COOKIE)
    if not cookie or SESSION_KEY in session:
        return
    web_session, renewed = resume_remembered(cookie, ip=request.remote_addr, now=clock().now())
    if web_session is None:
        g.device_cookie = ""
        return
    login_user(web_session.user)
    session[SESSION_KEY] = web_session.selector
    if renewed:
        g.device_cookie = renewed


@auth.after_app_request
def send_device_cookie(response: Response) -> Response:
    """Set, replace or remove the device cookie; remove Flask-Login's old one."""
    config = current_app.config
    flags = {
        "secure": config["SESSION_COOKIE_SECURE"],
        "httponly": True,
        "samesite": config["SESSION_COOKIE_SAMESITE"],
    }
    if g.get("device_cookie"):
        max_age = int(REMEMBERED_FOR.total_seconds())
        response.set_cookie(DEVICE_COOKIE, g.device_cookie, max_age=max_age, **flags)
    elif "device_cookie" in g:
        response.delete_cookie(DEVICE_COOKIE, **flags)
    if LEGACY_REMEMBER_COOKIE in request.cookies:
        response.delete_cookie(LEGACY_REMEMBER_COOKIE)
    return response


def safe_next(target: str | None) -> str:
    """Only same-site paths are followed after sign-in: never an open redirect."""
    if target and target.startswith("/") and not target.startswith("//"):
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and "\\" not in target:
            return target
    return url_for("web.home")


def authenticated_user(form: SignInForm) -> User | None:
    """The user the form's address and password sign in, or None with the refusal on the form."""
    try:
        return authenticate(
            form.email.data, form.password.data, client=request.remote_addr, clock=clock()
        )
    except TooManyAttempts as refusal:
        form.retry_after = refusal.retry_after
        form.form_errors.append(refusal.message)
    except SignInRefused as refusal:
        form.form_errors.append(refusal.message)
    return None


def sign_in_page(template: str, form: SignInForm, **context: object) -> Response:
    """A sign-in page; 429 with Retry-After while the attempts are locked out."""
    response = make_response(render_template(template, form=form, **context))
    if form.retry_after:
        response.status_code = 429
        response.headers["Retry-After"] = str(form.retry_after)
    return response


def _end_this_browser_sign_in() -> None:
    """End the sign-in this browser holds, by its session or its device cookie."""
    selector = session.pop(SESSION_KEY, None)
    if isinstance(selector, str):
        end_web_session(selector)
    if request.cookies.get(DEVICE_COOKIE):
        forget_device(request.cookies[DEVICE_COOKIE])
    g.device_cookie = ""


@auth.route("/sign-in", methods=["GET", "POST"])
def sign_in() -> Response:
    """Show the sign-in form; sign the user in when the password matches."""
    form = SignInForm()
    if form.validate_on_submit():
        user = authenticated_user(form)
        if user is not None:
            begin_sign_in(user, remember=form.remember.data)
            return redirect(safe_next(request.args.get("next")))
    return sign_in_page("auth/sign_in.html", form)


def begin_sign_in(user: User, *, remember: bool) -> None:
    """Sign this browser in as the user, ending whatever sign-in it held before."""
    _end_this_browser_sign_in()
    web_session, cookie = start_web_session(
        user,
        remember=remember,
        device=device_label(request.user_agent.string),
        ip=request.remote_addr,
        now=clock().now(),
    )
    login_user(user)
    session[SESSION_KEY] = web_session.selector
    g.device_cookie = cookie or ""


@auth.route("/invite/<token>", methods=["GET", "POST"])
def accept_invite(token: str) -> Response | str:
    """An invitation's page: choose a password, become a user of the account, signed in."""
    invitation = usable_invitation(token)
    form = NewPasswordForm()
    if form.validate_on_submit():
        try:
            user = accept_invitation(token, form.new.data)
        except ValidationFailed as refusal:
            form.new.errors.append(refusal.message)
        else:
            begin_sign_in(user, remember=False)
            flash(_("Welcome to %(account)s.", account=user.account.name), "info")
            return redirect(url_for("web.home"))
    return render_template(
        "auth/invite.html",
        invitation=invitation,
        form=form,
        entra_sign_in=bool(invitation.account.entra_tenant_id),
    )


@auth.post("/sign-out")
@login_required
def sign_out() -> Response:
    """End this browser's sign-in, remembered or not."""
    if EmptyForm().validate_on_submit():
        _end_this_browser_sign_in()
        logout_user()
    return redirect(url_for("auth.sign_in"))


@auth.get("/settings/devices")
@login_required
def devices() -> str:
    """The browsers signed in as the user, and the change of password."""
    return _devices_page(ChangePasswordForm())


def _devices_page(password_form: ChangePasswordForm) -> str:
    """The signed-in devices page with the password form as filled in (or empty)."""
    return render_template(
        "auth/devices.html",
        web_sessions=web_sessions_of(current_user, clock().now()),
        current_selector=session.get(SESSION_KEY),
        button_form=EmptyForm(),
        password_form=password_form,
    )


@auth.post("/settings/devices/<int:web_session_id>/sign-out")
@login_required
def sign_out_one_device(web_session_id: int) -> Response:
    """Sign one of the user's browsers out; this one goes to the sign-in page."""
    if not EmptyForm().validate_on_submit():
        return redirect(url_for("auth.devices"))
    ended = sign_out_device(current_user, web_session_id)
    if ended.selector == session.get(SESSION_KEY):
        _end_this_browser_sign_in()
        logout_user()
        return redirect(url_for("auth.sign_in"))
    flash(_("That device was signed out."), "info")
    return redirect(url_for("auth.devices"))


@auth.post("/settings/devices/sign-out-others")
@login_required
def sign_out_other_devices() -> Response:
    """Sign out every browser of the user but this one."""
    if EmptyForm().validate_on_submit():
        end_web_sessions(current_user, keep=session.get(SESSION_KEY))
        db.session.commit()
        flash(_("Every other device was signed out."), "info")
    return redirect(url_for("auth.devices"))


@auth.post("/settings/password")
@login_required
def change_password() -> Response | str:
    """Replace the user's password; every other browser is signed out."""
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            change_own_password(
                current_user, form.current.data, form.new.data, keep_session=session[SESSION_KEY]
            )
        except DomainError as refusal:
            wrong_current = "current" in refusal.details.get("fields", {})
            (form.current if wrong_current else form.new).errors.append(refusal.message)
        else:
            flash(_("Your password was changed. Every other device was signed out."), "info")
            return redirect(url_for("auth.devices"))
    return _devices_page(form)


@auth.route("/settings/tokens", methods=["GET", "POST"])
@login_required
def tokens() -> str:
    """List the API tokens (an admin sees the whole account's) and create one, shown once."""
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
    """Revoke a token: one of your own, or any of the account's for an admin."""
    if EmptyForm().validate_on_submit():
        revoke_token(current_user, token_id)
        flash(_("The token was revoked."), "info")
    return redirect(url_for("auth.tokens"))
