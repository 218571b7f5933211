"""Remembered sign-ins and session cookies: random, hashed, rotated, revocable, flagged."""

from __future__ import annotations

import hashlib

from flask_login.utils import encode_cookie

from tests.factories import PASSWORD
from tracklog.extensions import db
from tracklog.models import WebSession

DEVICE_COOKIE = "tracklog_device"


def sign_in(client, email: str = "alice@acme.example", remember: bool = True, **environ):
    """Post the sign-in form, ticking "Keep me signed in" unless told not to."""
    data = {"email": email, "password": PASSWORD}
    if remember:
        data["remember"] = "y"
    return client.post("/sign-in", data=data, environ_base=environ)


def device_cookie(client) -> str | None:
    """The value of the browser's device cookie, if it holds one."""
    cookie = client.get_cookie(DEVICE_COOKIE)
    return cookie.value if cookie else None


def restart_browser(client, cookie: str | None = None) -> None:
    """Drop the session cookie (the browser closed), optionally replaying a device cookie."""
    client.delete_cookie("session")
    if cookie is not None:
        client.set_cookie(DEVICE_COOKIE, cookie)


def signed_in(client) -> bool:
    """Whether the home page opens rather than sending to the sign-in page."""
    return client.get("/").status_code == 200


def come_back_after_a_restart(client) -> tuple[str, str]:
    """Sign in remembered and restart the browser: its first and its rotated device cookie."""
    sign_in(client)
    original = device_cookie(client)
    restart_browser(client)
    assert signed_in(client)
    return original, device_cookie(client)


def test_each_remembered_sign_in_gets_its_own_random_cookie_stored_hashed(app, world):
    first, second = app.test_client(), app.test_client()
    sign_in(first), sign_in(second)
    values = [device_cookie(first), device_cookie(second)]
    assert values[0] != values[1]
    for value in values:
        selector, validator = value.split(".")
        row = db.session.scalar(db.select(WebSession).filter_by(selector=selector))
        assert row.validator_hash == hashlib.sha256(validator.encode()).hexdigest()
        assert validator not in (row.validator_hash, row.selector)


def test_device_cookie_has_the_session_cookie_flags_and_a_30_day_life(app, client, world):
    app.config["SESSION_COOKIE_SECURE"] = True
    headers = sign_in(client).headers.getlist("Set-Cookie")
    device = next(header for header in headers if header.startswith(DEVICE_COOKIE + "="))
    session = next(header for header in headers if header.startswith("session="))
    for flag in ("Secure", "HttpOnly", "SameSite=Lax"):
        assert flag in device and flag in session
    assert "Max-Age=2592000" in device


def test_without_keep_me_signed_in_there_is_no_device_cookie(client, world):
    sign_in(client, remember=False)
    assert device_cookie(client) is None
    restart_browser(client)
    assert not signed_in(client)


def test_a_remembered_browser_comes_back_with_a_rotated_cookie(client, world, clock):
    original, rotated = come_back_after_a_restart(client)
    assert rotated != original and rotated.split(".")[0] == original.split(".")[0]
    restart_browser(client)
    assert signed_in(client)


def test_parallel_requests_with_the_old_cookie_pass_for_a_few_seconds(client, world, clock):
    original, rotated = come_back_after_a_restart(client)
    clock.advance(seconds=5)
    restart_browser(client, original)
    assert signed_in(client)
    assert device_cookie(client) == original, "a late parallel request must not rotate again"
    restart_browser(client, rotated)
    assert signed_in(client)


def test_a_replayed_old_cookie_ends_that_sign_in(client, world, clock):
    stolen, current = come_back_after_a_restart(client)
    clock.advance(minutes=1)
    restart_browser(client, stolen)
    assert not signed_in(client)
    assert device_cookie(client) is None
    restart_browser(client, current)
    assert not signed_in(client), "the copied cookie ended the sign-in for both holders"


def test_sign_out_removes_the_remembered_sign_in(client, world):
    sign_in(client)
    kept = device_cookie(client)
    client.post("/sign-out")
    assert device_cookie(client) is None
    assert db.session.scalar(db.select(WebSession)) is None
    restart_browser(client, kept)
    assert not signed_in(client)


def test_a_signed_out_session_cookie_is_not_accepted_again(client, world):
    sign_in(client, remember=False)
    captured = client.get_cookie("session").value
    client.post("/sign-out")
    client.set_cookie("session", captured)
    assert not signed_in(client)


def test_remembered_for_30_days_after_the_last_use(client, world, clock):
    sign_in(client)
    for _ in range(3):
        clock.advance(days=29)
        restart_browser(client)
        assert signed_in(client)
    clock.advance(days=31)
    restart_browser(client)
    assert not signed_in(client)


def test_a_session_unused_for_a_day_ends(client, world, clock):
    sign_in(client, remember=False)
    clock.advance(hours=23)
    assert signed_in(client)
    clock.advance(hours=24, minutes=1)
    assert not signed_in(client)


def test_a_password_change_by_an_admin_signs_out_every_browser(app, api, world):
    remembered, session_only = app.test_client(), app.test_client()
    sign_in(remembered, "bob@acme.example")
    sign_in(session_only, "bob@acme.example", remember=False)
    kept = device_cookie(remembered)
    changed = api.patch(f"/users/{world.user.id}", {"password": "a brand new secret"})
    assert changed.status_code == 200
    assert not signed_in(session_only)
    assert not signed_in(remembered)
    restart_browser(remembered, kept)
    assert not signed_in(remembered)


def test_deactivation_removes_every_sign_in_for_good(app, api, world):
    browser = app.test_client()
    sign_in(browser, "bob@acme.example")
    kept = device_cookie(browser)
    assert api.patch(f"/users/{world.user.id}", {"active": False}).status_code == 200
    assert api.patch(f"/users/{world.user.id}", {"active": True}).status_code == 200
    assert not signed_in(browser)
    restart_browser(browser, kept)
    assert not signed_in(browser)


def test_flask_logins_fixed_remember_cookie_is_refused_and_removed(app, client, world):
    with app.test_request_context():
        legacy = encode_cookie(str(world.admin.id))
    client.set_cookie("remember_token", legacy)
    response = client.get("/")
    assert response.status_code == 302
    assert client.get_cookie("remember_token") is None


def test_signing_in_again_replaces_this_browsers_earlier_sign_in(client, world):
    sign_in(client)
    sign_in(client, remember=False)
    assert len(db.session.scalars(db.select(WebSession)).all()) == 1
    assert device_cookie(client) is None
