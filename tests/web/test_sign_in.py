"""Signing in to the web app, CSRF on its forms, and the personal API token page."""

from __future__ import annotations

import pytest

from tests.factories import PASSWORD


def sign_in(client, email: str, password: str = PASSWORD, next_url: str = ""):
    """Post the sign-in form."""
    path = "/sign-in" + (f"?next={next_url}" if next_url else "")
    return client.post(path, data={"email": email, "password": password})


def test_pages_require_sign_in(client, world):
    response = client.get("/")
    assert response.status_code == 302
    assert "/sign-in" in response.headers["Location"]


def test_sign_in_shows_the_account(client, world):
    response = sign_in(client, "ALICE@acme.example")
    assert response.status_code == 302
    home = client.get("/")
    assert home.status_code == 200
    assert "Acme Sales" in home.get_data(as_text=True)
    assert "log+" in home.get_data(as_text=True)


def test_wrong_password_is_refused(client, world):
    response = sign_in(client, "alice@acme.example", "wrong password")
    assert response.status_code == 200
    assert "wrong" in response.get_data(as_text=True)
    assert client.get("/").status_code == 302


def test_deactivated_user_cannot_sign_in(client, world):
    from tracklog.extensions import db

    world.user.active = False
    db.session.commit()
    sign_in(client, "bob@acme.example")
    assert client.get("/").status_code == 302


@pytest.mark.parametrize(
    "target", ["https://evil.example/", "//evil.example/", "/\\evil.example", "javascript:alert(1)"]
)
def test_sign_in_never_redirects_off_site(client, world, target):
    response = sign_in(client, "alice@acme.example", next_url=target)
    assert response.headers["Location"] == "/"


def test_sign_in_follows_a_local_next(client, world):
    response = sign_in(client, "alice@acme.example", next_url="/settings/tokens")
    assert response.headers["Location"] == "/settings/tokens"
