"""The pane's tokens in Chromium: after a sign-in in the local dialog the personal token stays in
the pane's localStorage; the roaming settings the send handler reads get a compose-scoped one."""

from __future__ import annotations

import json
from typing import Any

from tests.addin.test_pane_e2e import COMPOSE, TIMEOUT_MS, compose_office, ready
from tracklog.auth.tokens import create_token, token_in_use
from tracklog.extensions import db


def roamed(page: Any) -> dict[str, Any]:
    """The stub's roaming settings once the pane has shared a token with the send handler."""
    page.wait_for_function("window.__office.roaming['tracklog.token']", timeout=TIMEOUT_MS)
    return page.evaluate("({...window.__office.roaming})")


def test_after_the_dialog_only_a_compose_token_roams(open_pane, world, live):
    _token, full = create_token(world.user, "Outlook add-in")
    db.session.commit()
    office = compose_office(userEmail="bob@acme.example", dialogMessage=json.dumps({"token": full}))
    page = open_pane(COMPOSE, office, None)
    page.click("#sign-in-button", timeout=TIMEOUT_MS)
    ready(page)
    settings = roamed(page)
    assert settings["tracklog.token"] != full
    assert settings["tracklog.tokenScope"] == "compose"
    assert settings["tracklog.baseUrl"] == live.url
    db.session.expire_all()
    handlers = token_in_use(settings["tracklog.token"])
    assert handlers.scope == "compose" and handlers.user_id == world.user.id
    assert page.evaluate("localStorage.getItem('tracklog.token')") == full


def test_a_full_token_an_older_pane_left_roaming_is_replaced(open_pane, world):
    office = compose_office(roaming={"tracklog.token": world.admin_token})
    page = ready(open_pane(COMPOSE, office, world.admin_token))
    page.wait_for_function(
        "window.__office.roaming['tracklog.tokenScope'] === 'compose'", timeout=TIMEOUT_MS
    )
    settings = roamed(page)
    db.session.expire_all()
    assert token_in_use(settings["tracklog.token"]).scope == "compose"
