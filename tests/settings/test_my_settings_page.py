"""/settings/me: every user's own defaults, language, time zone and notification preferences."""

from __future__ import annotations

import re

from tests.crm.test_board_pages import sign_in
from tracklog.extensions import db
from tracklog.notify.feed import preferences

EVERY_FIELD = {
    "track_by_default": "off",
    "log_by_default": "account",
    "locale": "",
    "time_zone": "America/New_York",
    "opens": "every",
    "clicks": "on",
    "replies": "on",
    "quiet_start": "22:00",
    "quiet_end": "07:00",
}


def test_every_user_reaches_their_own_settings_first(client, world):
    sign_in(client, world.user)
    assert client.get("/settings").headers["Location"] == "/settings/me"
    page = client.get("/settings/me").get_data(as_text=True)
    nav = page[page.index('class="settings-nav"') :]
    assert nav.index("/settings/me") < nav.index("/settings/never-log")
    assert 'href="/settings"' not in nav and "/settings/audit" not in nav
    assert "As the account: on" in page and "/settings/addresses" in page
    assert "<option selected>UTC</option>" in page


def test_the_form_saves_defaults_time_zone_and_notifications(client, world):
    sign_in(client, world.user)
    saved = client.post("/settings/me", data=EVERY_FIELD, follow_redirects=True)
    assert "Your settings were saved." in saved.get_data(as_text=True)
    db.session.refresh(world.user)
    assert world.user.track_by_default is False and world.user.log_by_default is None
    assert world.user.locale is None and world.user.time_zone == "America/New_York"
    assert preferences(world.user) == {
        "opens": "every",
        "clicks": True,
        "attachments": False,
        "replies": True,
        "logging": False,
        "quiet_hours": {"start": "22:00", "end": "07:00"},
    }
    page = saved.get_data(as_text=True)
    assert "<option selected>America/New_York</option>" in page
    assert 'value="22:00"' in page


def test_bad_values_are_shown_at_their_fields_and_nothing_is_saved(client, world):
    sign_in(client, world.user)
    answer = client.post(
        "/settings/me",
        data={**EVERY_FIELD, "time_zone": "Atlantis/Capital", "quiet_end": "", "opens": "often"},
    )
    assert answer.status_code == 422
    page = answer.get_data(as_text=True)
    for field in ("time_zone", "quiet_hours", "opens"):
        assert f'id="problem-{field}"' in page
    assert "Europe/Stockholm" in page and 'value="22:00"' in page
    db.session.refresh(world.user)
    assert world.user.time_zone == "UTC" and world.user.track_by_default is None
    assert preferences(world.user)["opens"] == "first"


def test_the_form_needs_the_pages_csrf_token(app, client, world):
    sign_in(client, world.user)
    app.config["WTF_CSRF_ENABLED"] = True
    assert client.post("/settings/me", data=EVERY_FIELD).status_code == 400
    db.session.refresh(world.user)
    assert world.user.time_zone == "UTC"
    page = client.get("/settings/me").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    assert client.post("/settings/me", data={**EVERY_FIELD, "csrf_token": token}).status_code == 302
    db.session.refresh(world.user)
    assert world.user.time_zone == "America/New_York"


def test_the_chosen_language_wins_over_the_browsers(client, world):
    sign_in(client, world.user)
    client.post("/settings/me", data={**EVERY_FIELD, "locale": "ja"})
    page = client.get("/settings/me", headers={"Accept-Language": "sv"}).get_data(as_text=True)
    assert '<html lang="ja"' in page
    client.post("/settings/me", data={**EVERY_FIELD, "locale": ""})
    page = client.get("/settings/me", headers={"Accept-Language": "sv"}).get_data(as_text=True)
    assert '<html lang="sv"' in page
