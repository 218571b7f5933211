"""The signed-in devices page: every browser listed, each revocable, and the password change."""

from __future__ import annotations

import re

import pytest

from tests.factories import PASSWORD
from tracklog.auth.accounts import password_matches
from tracklog.extensions import db
from tracklog.models import User, WebSession

FIREFOX = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0"
SAFARI = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
)


@pytest.fixture
def app_config(app_config):
    """These tests run with CSRF protection on, as in production."""
    return {**app_config, "WTF_CSRF_ENABLED": True}


def csrf_token(html: str) -> str:
    """The CSRF token embedded in a page's form."""
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)


def browser(app, agent: str, ip: str, remember: bool = True, email: str = "alice@acme.example"):
    """A new browser signed in through the form, with its own agent and address."""
    client = app.test_client()
    client.environ_base.update({"HTTP_USER_AGENT": agent, "REMOTE_ADDR": ip})
    token = csrf_token(client.get("/sign-in").get_data(as_text=True))
    data = {"email": email, "password": PASSWORD, "csrf_token": token}
    if remember:
        data["remember"] = "y"
    assert client.post("/sign-in", data=data).status_code == 302
    return client


def devices_page(client) -> tuple[str, str]:
    """The devices page's HTML and the CSRF token of its forms."""
    html = client.get("/settings/devices").get_data(as_text=True)
    return html, csrf_token(html)


def signed_in(client) -> bool:
    """Whether the home page opens rather than sending to the sign-in page."""
    return client.get("/").status_code == 200


def test_the_page_lists_each_browser_with_its_device_address_and_this_one(app, world):
    laptop = browser(app, FIREFOX, "192.0.2.10")
    browser(app, SAFARI, "198.51.100.20", remember=False)
    browser(app, SAFARI, "203.0.113.30", email="bob@acme.example")
    html, _token = devices_page(laptop)
    assert "Firefox 128 on Windows" in html and "192.0.2.10" in html
    assert "on iOS" in html and "198.51.100.20" in html
    assert "203.0.113.30" not in html, "another user's browser"
    assert html.count("(this device)") == 1
    assert 'href="/settings/devices"' in html


def test_one_device_is_signed_out_from_another(app, world):
    laptop = browser(app, FIREFOX, "192.0.2.10")
    phone = browser(app, SAFARI, "198.51.100.20")
    html, token = devices_page(laptop)
    phone_row = db.session.scalar(db.select(WebSession).filter_by(last_ip="198.51.100.20"))
    response = laptop.post(f"/settings/devices/{phone_row.id}/sign-out", data={"csrf_token": token})
    assert response.status_code == 302
    assert not signed_in(phone) and signed_in(laptop)


def test_signing_out_this_device_from_the_page_signs_out_here(app, world):
    laptop = browser(app, FIREFOX, "192.0.2.10")
    _html, token = devices_page(laptop)
    row = db.session.scalar(db.select(WebSession))
    response = laptop.post(f"/settings/devices/{row.id}/sign-out", data={"csrf_token": token})
    assert response.headers["Location"] == "/sign-in"
    assert not signed_in(laptop) and laptop.get_cookie("tracklog_device") is None


def test_another_users_device_cannot_be_signed_out(app, world):
    laptop = browser(app, FIREFOX, "192.0.2.10")
    bobs = browser(app, SAFARI, "198.51.100.20", email="bob@acme.example")
    _html, token = devices_page(laptop)
    bob_row = db.session.scalar(db.select(WebSession).filter_by(user_id=world.user.id))
    response = laptop.post(f"/settings/devices/{bob_row.id}/sign-out", data={"csrf_token": token})
    assert response.status_code == 404
    assert signed_in(bobs)


def test_sign_out_everywhere_else_keeps_only_this_browser(app, world):
    laptop = browser(app, FIREFOX, "192.0.2.10")
    others = [browser(app, SAFARI, "198.51.100.20"), browser(app, FIREFOX, "192.0.2.11", False)]
    _html, token = devices_page(laptop)
    laptop.post("/settings/devices/sign-out-others", data={"csrf_token": token})
    assert signed_in(laptop)
    assert not any(signed_in(other) for other in others)
    assert len(db.session.scalars(db.select(WebSession)).all()) == 1


def test_buttons_without_the_csrf_token_change_nothing(app, world):
    laptop = browser(app, FIREFOX, "192.0.2.10")
    phone = browser(app, SAFARI, "198.51.100.20")
    row = db.session.scalar(db.select(WebSession).filter_by(last_ip="198.51.100.20"))
    assert laptop.post(f"/settings/devices/{row.id}/sign-out").status_code == 400
    assert laptop.post("/settings/devices/sign-out-others").status_code == 400
    assert signed_in(phone)


def test_changing_the_password_keeps_this_browser_and_signs_out_the_others(app, world):
    laptop = browser(app, FIREFOX, "192.0.2.10")
    phone = browser(app, SAFARI, "198.51.100.20")
    phone_cookie = phone.get_cookie("tracklog_device").value
    _html, token = devices_page(laptop)
    form = {"current": PASSWORD, "new": "a brand new secret", "repeat": "a brand new secret"}
    response = laptop.post("/settings/password", data={**form, "csrf_token": token})
    assert response.status_code == 302
    assert signed_in(laptop)
    assert not signed_in(phone)
    phone.delete_cookie("session")
    phone.set_cookie("tracklog_device", phone_cookie)
    assert not signed_in(phone)
    alice = db.session.get(User, world.admin.id)
    assert password_matches(alice, "a brand new secret")


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"current": "not it", "new": "a brand new secret"}, "The current password is wrong."),
        ({"current": PASSWORD, "new": "short"}, "at least 8 characters"),
    ],
)
def test_a_refused_password_change_says_why_and_signs_nobody_out(app, world, form, message):
    laptop = browser(app, FIREFOX, "192.0.2.10")
    phone = browser(app, SAFARI, "198.51.100.20")
    _html, token = devices_page(laptop)
    data = {**form, "repeat": form["new"], "csrf_token": token}
    page = laptop.post("/settings/password", data=data).get_data(as_text=True)
    assert message in page
    assert signed_in(phone)
    assert password_matches(db.session.get(User, world.admin.id), PASSWORD)
