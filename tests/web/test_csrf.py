"""CSRF protection on the web app's forms, with the token page as the example."""

from __future__ import annotations

import re

import pytest

from tests.factories import PASSWORD
from tracklog.auth.tokens import list_tokens, user_for_token
from tracklog.errors import Unauthorized
from tracklog.extensions import db


@pytest.fixture
def app_config(app_config):
    """These tests run with CSRF protection on, as in production."""
    return {**app_config, "WTF_CSRF_ENABLED": True}


def csrf_token(html: str) -> str:
    """The CSRF token embedded in a page's form."""
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)


def test_forms_without_csrf_token_are_refused(client, world):
    response = client.post("/sign-in", data={"email": "alice@acme.example", "password": PASSWORD})
    assert response.status_code == 400
    assert client.get("/").status_code == 302


def test_token_page_creates_shows_once_and_revokes(client, world):
    page = client.get("/sign-in").get_data(as_text=True)
    client.post(
        "/sign-in",
        data={"email": "alice@acme.example", "password": PASSWORD, "csrf_token": csrf_token(page)},
    )
    page = client.get("/settings/tokens").get_data(as_text=True)
    created = client.post(
        "/settings/tokens", data={"name": "laptop", "csrf_token": csrf_token(page)}
    ).get_data(as_text=True)
    token = re.search(r'id="new-token">(tlp_[^<]+)<', created).group(1)
    assert user_for_token(token).email == "alice@acme.example"
    listing = client.get("/settings/tokens").get_data(as_text=True)
    assert token not in listing and "laptop" in listing
    laptop = next(t for t in list_tokens(world.admin) if t.name == "laptop")
    client.post(f"/settings/tokens/{laptop.id}/revoke", data={"csrf_token": csrf_token(listing)})
    db.session.expire_all()
    with pytest.raises(Unauthorized):
        user_for_token(token)


def test_session_cookie_is_signed_and_http_only(app, client, world):
    page = client.get("/sign-in").get_data(as_text=True)
    response = client.post(
        "/sign-in",
        data={"email": "alice@acme.example", "password": PASSWORD, "csrf_token": csrf_token(page)},
    )
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("session="))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    signed_value = cookie.split(";")[0].split("=", 1)[1]
    forged = app.test_client()
    forged.set_cookie("session", signed_value[:-2] + "xx")
    assert forged.get("/").status_code == 302
    genuine = app.test_client()
    genuine.set_cookie("session", signed_value)
    assert genuine.get("/").status_code == 200


def test_pages_call_the_api_with_their_session_and_csrf_token(client, world):
    page = client.get("/sign-in").get_data(as_text=True)
    client.post(
        "/sign-in",
        data={"email": "alice@acme.example", "password": PASSWORD, "csrf_token": csrf_token(page)},
    )
    home = client.get("/").get_data(as_text=True)
    token = re.search(r'<meta name="csrf-token" content="([^"]+)"', home).group(1)
    assert client.get("/api/v1/contacts").status_code == 200
    refused = client.post("/api/v1/contacts", json={"email": "peter@initech.example"})
    assert refused.status_code == 403 and refused.json["error"]["code"] == "csrf_failed"
    created = client.post(
        "/api/v1/contacts", json={"email": "peter@initech.example"}, headers={"X-CSRFToken": token}
    )
    assert created.status_code == 201


def test_api_without_session_or_token_is_refused(client, world):
    assert client.get("/api/v1/contacts").status_code == 401
