"""The settings pages in Chromium, in English, Japanese and Swedish: an admin changes the account's
settings and a never-log list, and the page says what happened in the reader's language."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser import app  # noqa: F401 - the live server's app, on SQLite
from tests.crm.test_e2e_timeline import app_config  # noqa: F401
from tracklog.extensions import db
from tracklog.models import NeverLogEntry

SAVED = {
    "en": "The settings were saved.",
    "ja": "設定を保存しました。",
    "sv": "Inställningarna sparades.",
}
NOT_LOGGED = {
    "en": "initech.example will not be logged.",
    "ja": "initech.example は記録されません。",
    "sv": "initech.example kommer inte att loggas.",
}


@pytest.mark.parametrize("locale", ["en", "ja", "sv"])
def test_an_admin_changes_settings_and_the_never_log_list(
    sign_in_as: Any,
    live: Any,
    world: Any,
    screenshots: Any,
    locale: str,
) -> None:
    world.admin.locale = locale
    db.session.commit()
    page = sign_in_as(world.admin.email)
    page.goto(f"{live.url}/settings")
    page.check("input[name=privacy_mode]")
    page.fill("#input-currency", "EUR")
    page.fill("#input-internal_domains", "acme-labs.example")
    page.click("#account-settings button[type=submit]")
    page.wait_for_selector(".flash")
    assert SAVED[locale] in page.inner_text(".flash")
    assert page.input_value("#input-currency") == "EUR"
    screenshots(page, f"settings-account-{locale}")
    db.session.refresh(world.account)
    assert world.account.privacy_mode is True and world.account.currency == "EUR"
    assert world.account.internal_domains == ["acme-labs.example"]

    page.goto(f"{live.url}/settings/never-log")
    page.fill("#pattern-account", "initech.example")
    page.click("form:has(#pattern-account) button[type=submit]")
    page.wait_for_selector(".flash")
    assert NOT_LOGGED[locale] in page.inner_text(".flash")
    assert "initech.example" in page.inner_text("#never-log-account")
    assert db.session.scalars(db.select(NeverLogEntry.pattern)).all() == ["initech.example"]
