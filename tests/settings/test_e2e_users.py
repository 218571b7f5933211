"""The users page in Chromium: an admin invites someone, the invitee follows the link shown once,
sets a password and lands signed in; the admin makes a user admin and deactivates another. The
page is checked once each in Japanese and Swedish."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser import app  # noqa: F401 - the live server's app, on SQLite
from tests.crm.test_e2e_timeline import app_config  # noqa: F401
from tracklog.extensions import db
from tracklog.models import User

HEADINGS = {
    "ja": ("ユーザー", "ユーザーを招待", "保留中の招待"),
    "sv": ("Användare", "Bjud in en användare", "Väntande inbjudningar"),
}


def test_an_admin_invites_and_the_invitee_joins_with_the_link(
    sign_in_as: Any,
    browser: Any,
    live: Any,
    world: Any,
    screenshots: Any,
) -> None:
    page = sign_in_as(world.admin.email)
    page.goto(f"{live.url}/settings/users")
    page.fill("#invite-email", "carol@acme.example")
    page.fill("#invite-name", "Carol")
    page.select_option("#invite-role", "admin")
    page.click("#invite-form button[type=submit]")
    link = page.inner_text("#invitation-link code")
    assert link.startswith(f"{live.url}/invite/")
    assert "carol@acme.example" in page.inner_text("#invitations")
    screenshots(page, "settings-users-invited-en")

    invitee = browser.new_context()
    try:
        joining = invitee.new_page()
        joining.goto(link)
        assert "carol@acme.example" in joining.inner_text("#invited-address")
        joining.fill("#new", "a long enough password")
        joining.fill("#repeat", "a long enough password")
        joining.click("#invite-form button[type=submit]")
        joining.wait_for_url(f"{live.url}/")
        assert "Welcome to Acme Sales." in joining.inner_text(".flash")
        joining.goto(f"{live.url}/settings/users")
        assert "carol@acme.example" in joining.inner_text("#users")
    finally:
        invitee.close()
    carol = db.session.scalar(db.select(User).filter_by(email="carol@acme.example"))
    assert carol.role == "admin" and carol.display_name == "Carol"

    page.goto(f"{live.url}/settings/users")
    assert "carol@acme.example" not in page.inner_text("#invitations")
    page.click(f"#user-{world.user.id} button.make-role")
    page.wait_for_selector(".flash")
    assert "bob@acme.example is now: admin." in page.inner_text(".flash")
    page.click(f"#user-{carol.id} button.activation")
    page.wait_for_selector(".flash")
    assert "carol@acme.example was deactivated" in page.inner_text(".flash")
    assert "deactivated" in page.inner_text(f"#user-{carol.id} .state")
    db.session.refresh(world.user)
    db.session.refresh(carol)
    assert world.user.role == "admin" and carol.active is False


@pytest.mark.parametrize("locale", ["ja", "sv"])
def test_the_users_page_is_translated(
    sign_in_as: Any,
    live: Any,
    world: Any,
    screenshots: Any,
    locale: str,
) -> None:
    world.admin.locale = locale
    db.session.commit()
    page = sign_in_as(world.admin.email)
    page.goto(f"{live.url}/settings/users")
    title, invite, pending = HEADINGS[locale]
    assert page.inner_text("h1") == title
    assert page.inner_text("h2") == invite
    assert page.inner_text("#invitations caption") == pending
    screenshots(page, f"settings-users-{locale}")
