"""/settings/me in Chromium, in English, Japanese and Swedish: a user saves their defaults and time
zone, then another language, and the page answers in it at once."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser import app  # noqa: F401 - the live server's app, on SQLite
from tests.crm.test_e2e_timeline import app_config  # noqa: F401
from tracklog.extensions import db

SAVED = {
    "en": "Your settings were saved.",
    "ja": "個人設定を保存しました。",
    "sv": "Dina inställningar sparades.",
}
HEADING = {"en": "My settings", "ja": "個人設定", "sv": "Mina inställningar"}
NEXT_LANGUAGE = {"en": "ja", "ja": "sv", "sv": "en"}


@pytest.mark.parametrize("locale", ["en", "ja", "sv"])
def test_a_user_saves_defaults_time_zone_and_language(
    sign_in_as: Any,
    live: Any,
    world: Any,
    screenshots: Any,
    locale: str,
) -> None:
    world.user.locale = locale
    db.session.commit()
    page = sign_in_as(world.user.email)
    page.goto(f"{live.url}/settings")
    assert page.url == f"{live.url}/settings/me"
    assert page.inner_text("h1") == HEADING[locale]
    page.select_option("#input-track_by_default", "off")
    page.select_option("#input-time_zone", "Asia/Tokyo")
    page.select_option("#input-opens", "every")
    page.fill("#input-quiet_start", "21:30")
    page.fill("#input-quiet_end", "07:00")
    page.click("#my-settings button[type=submit]")
    page.wait_for_selector(".flash")
    assert SAVED[locale] in page.inner_text(".flash")
    assert page.input_value("#input-time_zone") == "Asia/Tokyo"
    assert page.input_value("#input-track_by_default") == "off"
    screenshots(page, f"settings-me-{locale}")
    db.session.refresh(world.user)
    assert world.user.track_by_default is False and world.user.log_by_default is None
    assert world.user.time_zone == "Asia/Tokyo"
    assert world.user.notification_preferences["quiet_hours"] == {"start": "21:30", "end": "07:00"}

    chosen = NEXT_LANGUAGE[locale]
    page.select_option("#input-locale", chosen)
    page.click("#my-settings button[type=submit]")
    page.wait_for_selector(".flash")
    assert page.inner_text("h1") == HEADING[chosen]
    assert SAVED[chosen] in page.inner_text(".flash")
    assert page.get_attribute("html", "lang") == chosen
    db.session.refresh(world.user)
    assert world.user.locale == chosen


def test_a_time_zone_the_form_never_offers_is_refused_at_its_field(
    sign_in_as: Any,
    live: Any,
    world: Any,
) -> None:
    page = sign_in_as(world.user.email)
    page.goto(f"{live.url}/settings/me")
    page.eval_on_selector(
        "#input-time_zone", "select => { select.options[0].value = 'Moon/Tranquility'; }"
    )
    page.select_option("#input-time_zone", "Moon/Tranquility")
    page.click("#my-settings button[type=submit]")
    page.wait_for_selector("#problem-time_zone")
    assert "Europe/Stockholm" in page.inner_text("#problem-time_zone")
    assert page.get_attribute("#input-time_zone", "aria-invalid") == "true"
    db.session.refresh(world.user)
    assert world.user.time_zone == "UTC"
