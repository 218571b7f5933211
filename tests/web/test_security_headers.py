"""Security headers on every answer: pages framed by no one, the pane by Outlook only."""

from __future__ import annotations

import pytest

from tests import factories

PAGE_PATHS = [
    "/sign-in",
    "/",
    "/contacts",
    "/deals/board",
    "/tasks",
    "/messages",
    "/logging/why",
    "/settings",
    "/settings/never-log",
    "/settings/audit",
    "/settings/tokens",
    "/api/docs",
    "/openapi.json",
    "/healthz",
    "/no-such-page",
]
ADDIN_PATHS = ["/taskpane/compose.html", "/taskpane/read.html", "/addin/launchevent.js"]


def directives(response) -> dict[str, list[str]]:
    """The response's Content-Security-Policy, directive by directive."""
    found = {}
    for part in response.headers["Content-Security-Policy"].split(";"):
        name, *sources = part.split()
        found[name] = sources
    return found


@pytest.fixture
def signed_in(client, world):
    """A browser signed in as the account's admin."""
    client.post("/sign-in", data={"email": world.admin.email, "password": factories.PASSWORD})
    return client


@pytest.mark.parametrize("path", PAGE_PATHS)
def test_pages_forbid_framing_inline_script_and_remote_images(signed_in, path):
    response = signed_in.get(path)

    policy = directives(response)
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'"]
    assert policy["img-src"] == ["'self'", "data:"]
    assert policy["object-src"] == ["'none'"]
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"


@pytest.mark.parametrize("path", ADDIN_PATHS)
def test_the_pane_may_be_framed_by_outlook_and_load_office_js(client, path):
    response = client.get(path)

    policy = directives(response)
    assert response.status_code == 200
    assert "https://outlook.office.com" in policy["frame-ancestors"]
    assert "'none'" not in policy["frame-ancestors"]
    assert "https://appsforoffice.microsoft.com" in policy["script-src"]
    assert "'unsafe-inline'" not in policy["script-src"]
    assert "X-Frame-Options" not in response.headers
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_a_page_can_reach_its_own_websocket(client):
    policy = directives(client.get("/sign-in"))

    assert "wss://tracklog.test" in policy["connect-src"]


def test_an_answer_with_its_own_policy_keeps_it(api, world, client):
    response = client.get("/t/c/forged-token")

    assert response.status_code == 404
    assert response.headers["X-Content-Type-Options"] == "nosniff"
