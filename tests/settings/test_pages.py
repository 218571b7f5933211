"""The settings pages: the account form for admins, never-log lists for everyone, the audit log."""

from __future__ import annotations

import pytest

from tests.crm.test_board_pages import sign_in
from tracklog.extensions import db
from tracklog.models import AuditEntry, NeverLogEntry
from tracklog.settings.account import account_settings

EVERY_SETTING_ON_THE_FORM = {
    "log_by_default": "on",
    "create_contacts": "on",
    "default_association_types": ["contact", "deal"],
    "max_associated_deals": "3",
    "max_associated_tickets": "2",
    "privacy_mode": "on",
    "legal_bases": ["consent", "contract"],
    "internal_domains": "acme-labs.example\nPartner.example",
    "attachment_size_limit": "20",
    "tracked_attachment_days": "",
    "open_repeat_window_seconds": "60",
    "currency": "sek",
    "event_retention_days": "365",
    "mail_retention_days": "",
}


def test_an_admin_saves_every_setting_from_the_form(client, world):
    sign_in(client, world.admin)
    page = client.get("/settings").get_data(as_text=True)
    assert 'name="privacy_mode"' in page and 'name="internal_domains"' in page
    saved = client.post("/settings/account", data=EVERY_SETTING_ON_THE_FORM)
    assert saved.status_code == 302
    db.session.refresh(world.account)
    settings = account_settings(world.account)
    assert settings["track_by_default"] is False and settings["privacy_mode"] is True
    assert settings["default_association_types"] == ["contact", "deal"]
    assert settings["internal_domains"] == ["acme-labs.example", "partner.example"]
    assert settings["attachment_size_limit"] == 20 * 1024 * 1024
    assert settings["open_repeat_window_seconds"] == 60 and settings["currency"] == "SEK"
    assert settings["tracked_attachment_days"] is None and settings["mail_retention_days"] is None
    assert settings["recipient_opt_out_link"] is False
    shown = client.get("/settings").get_data(as_text=True)
    assert 'value="SEK"' in shown and 'value="20"' in shown and "partner.example" in shown


def test_a_bad_value_is_shown_at_its_field_and_nothing_is_saved(client, world):
    sign_in(client, world.admin)
    answer = client.post(
        "/settings/account", data={**EVERY_SETTING_ON_THE_FORM, "currency": "euros"}
    )
    assert answer.status_code == 422
    page = answer.get_data(as_text=True)
    assert "ISO 4217" in page and 'value="euros"' in page
    db.session.refresh(world.account)
    assert world.account.currency == "USD" and world.account.privacy_mode is False


def test_a_user_who_is_not_an_admin_gets_their_own_settings(client, world):
    sign_in(client, world.user)
    assert client.get("/settings").headers["Location"] == "/settings/me"
    assert client.post("/settings/account", data={"privacy_mode": "on"}).status_code == 403
    assert client.get("/settings/audit").status_code == 403
    db.session.refresh(world.account)
    assert world.account.privacy_mode is False


def test_never_log_lists_are_changed_from_their_page(client, world):
    sign_in(client, world.user)
    client.post("/settings/never-log", data={"pattern": "initech.example", "scope": "user"})
    refused = client.post("/settings/never-log", data={"pattern": "x.example", "scope": "account"})
    page = client.get(refused.headers["Location"]).get_data(as_text=True)
    assert "Only an admin" in page
    [entry] = db.session.scalars(db.select(NeverLogEntry)).all()
    assert entry.user_id == world.user.id and entry.pattern == "initech.example"
    assert "initech.example" in page and "bob@acme.example" in page
    client.post(f"/settings/never-log/{entry.id}/remove")
    assert db.session.scalars(db.select(NeverLogEntry)).all() == []


def test_the_audit_page_lists_what_admins_did(client, world):
    sign_in(client, world.admin)
    client.post("/settings/account", data={**EVERY_SETTING_ON_THE_FORM, "currency": "EUR"})
    page = client.get("/settings/audit").get_data(as_text=True)
    assert "Settings changed" in page and "alice@acme.example" in page
    assert "USD → EUR" in page
    assert db.session.scalars(db.select(AuditEntry.action)).all().count("settings_changed") == 1


@pytest.mark.parametrize(
    ("locale", "heading", "saved"),
    [
        ("en", "Account settings", "The settings were saved."),
        ("ja", "アカウント設定", "設定を保存しました。"),
        ("sv", "Kontoinställningar", "Inställningarna sparades."),
    ],
)
def test_the_settings_pages_are_in_the_readers_language(client, world, locale, heading, saved):
    world.admin.locale = locale
    db.session.commit()
    sign_in(client, world.admin)
    assert heading in client.get("/settings").get_data(as_text=True)
    done = client.post("/settings/account", data=EVERY_SETTING_ON_THE_FORM, follow_redirects=True)
    assert saved in done.get_data(as_text=True)
