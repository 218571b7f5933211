"""GET / PATCH /api/v1/me/settings: a user's own defaults, language and time zone, validated,
changing only their own mail and pages."""

from __future__ import annotations

import pytest

from tests.tracking.helpers import compose
from tracklog.extensions import db
from tracklog.models import AuditEntry


def change(api, **settings):
    """PATCH the caller's settings, asserting success; the settings after the change."""
    answer = api.patch("/me/settings", settings)
    assert answer.status_code == 200, answer.json
    return answer.json


def test_a_new_user_follows_the_account_and_the_browser(api, world):
    assert api.get("/me/settings").json == {
        "track_by_default": None,
        "log_by_default": None,
        "locale": None,
        "time_zone": "UTC",
        "account_defaults": {"track_by_default": True, "log_by_default": True},
    }


@pytest.mark.parametrize(
    ("setting", "decision"),
    [("track_by_default", "track"), ("log_by_default", "log")],
)
def test_the_users_default_wins_over_the_accounts_in_compose(api, world, setting, decision):
    as_bob = api.as_token(world.user_token)
    change(as_bob, **{setting: False})
    assert as_bob.get("/me").json[setting] is False
    assert compose(as_bob, ["peter@initech.example"])["recipients"][0][decision] is False
    # Alice still follows the account, which says yes.
    assert compose(api, ["peter@initech.example"], item_id="d2")["recipients"][0][decision] is True


@pytest.mark.parametrize(
    ("setting", "decision"),
    [("track_by_default", "track"), ("log_by_default", "log")],
)
def test_the_users_yes_wins_over_the_accounts_no(api, world, setting, decision):
    assert api.patch("/account/settings", {setting: False}).status_code == 200
    as_bob = api.as_token(world.user_token)
    change(as_bob, **{setting: True})
    preview = as_bob.post(
        "/compose/preview",
        {"from": "bob@acme.example", "to": ["peter@initech.example"], "html": "<p>Hi</p>"},
    )
    assert preview.json["recipients"][0][decision] is True
    assert compose(api, ["peter@initech.example"])["recipients"][0][decision] is False


def test_null_follows_the_account_again(api, world):
    as_bob = api.as_token(world.user_token)
    change(as_bob, track_by_default=False)
    settings = change(as_bob, track_by_default=None)
    assert settings["track_by_default"] is None
    assert compose(as_bob, ["peter@initech.example"])["recipients"][0]["track"] is True


def test_language_and_time_zone_are_kept(api, world):
    settings = change(api, locale="sv", time_zone="Europe/Stockholm")
    assert (settings["locale"], settings["time_zone"]) == ("sv", "Europe/Stockholm")
    assert api.get("/me").json["time_zone"] == "Europe/Stockholm"
    assert change(api, locale=None)["locale"] is None


def test_every_bad_value_is_named_and_nothing_changes(api, world):
    answer = api.patch(
        "/me/settings",
        {
            "locale": "de",
            "time_zone": "Mars/Olympus_Mons",
            "track_by_default": "yes",
            "log_by_default": 1,
            "role": "admin",
        },
    )
    assert answer.status_code == 422
    error = answer.json["error"]
    assert error["code"] == "validation_failed"
    assert set(error["details"]["fields"]) == {
        "locale",
        "time_zone",
        "track_by_default",
        "log_by_default",
        "role",
    }
    db.session.refresh(world.admin)
    assert (world.admin.locale, world.admin.time_zone, world.admin.role) == (None, "UTC", "admin")


@pytest.mark.parametrize("zone", ["", "utc/../etc", "/etc/passwd", None, 3])
def test_a_time_zone_must_be_an_iana_name(api, world, zone):
    answer = api.patch("/me/settings", {"time_zone": zone})
    assert answer.status_code == 422
    assert "time_zone" in answer.json["error"]["details"]["fields"]


def test_a_user_changes_only_their_own_settings(api, world):
    as_bob = api.as_token(world.user_token)
    change(as_bob, log_by_default=False, locale="ja")
    refused = as_bob.patch("/me/settings", {"user_id": world.admin.id, "locale": "sv"})
    assert refused.status_code == 422
    db.session.refresh(world.admin)
    db.session.refresh(world.user)
    assert (world.admin.log_by_default, world.admin.locale) == (None, None)
    assert (world.user.log_by_default, world.user.locale) == (False, "ja")


def test_the_send_handlers_token_cannot_change_settings(api, world):
    token = api.post("/me/addin-token", {"name": "Outlook"}).json["token"]
    refused = api.as_token(token).patch("/me/settings", {"track_by_default": False})
    assert refused.status_code == 403 and refused.json["error"]["code"] == "token_scope"


def test_personal_changes_are_not_audited(api, world):
    before = db.session.query(AuditEntry).count()
    change(api, track_by_default=False, time_zone="Asia/Tokyo")
    assert db.session.query(AuditEntry).count() == before
