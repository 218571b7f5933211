"""GET / PATCH /api/v1/account/settings: admins only, all or nothing, audited, and each setting
changes the behaviour it names."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest

from tests import factories
from tests.crm.test_board_pages import sign_in
from tests.tracking.helpers import HTML, compose
from tests.tracking.test_hits import events, journaled_open
from tracklog.extensions import db
from tracklog.maillog.ingest import process_inbound
from tracklog.maillog.store import store_inbound
from tracklog.maillog.why import render_step
from tracklog.models import AuditEntry, Message, TrackedAttachment, utcnow
from tracklog.tracking.recording import record_hits


def change(api, **settings):
    """PATCH the settings as the admin, asserting success; the settings after the change."""
    answer = api.patch("/account/settings", settings)
    assert answer.status_code == 200, answer.json
    return answer.json


def test_an_admin_reads_every_setting(api, world):
    settings = api.get("/account/settings").json
    assert settings["log_by_default"] is True and settings["privacy_mode"] is False
    assert settings["currency"] == "USD"
    assert settings["legal_bases"] == ["consent", "contract", "legitimate_interest"]
    assert settings["tracked_attachment_days"] is None
    assert settings["event_retention_days"] is None


def test_a_user_who_is_not_an_admin_may_neither_read_nor_change(api, world):
    as_user = api.as_token(world.user_token)
    assert as_user.get("/account/settings").status_code == 403
    refused = as_user.patch("/account/settings", {"privacy_mode": True})
    assert refused.status_code == 403 and refused.json["error"]["code"] == "forbidden"
    db.session.refresh(world.account)
    assert world.account.privacy_mode is False


def test_every_bad_value_is_named_and_nothing_changes(api, world):
    answer = api.patch(
        "/account/settings",
        {
            "privacy_mode": True,
            "currency": "dollars",
            "max_associated_deals": 99,
            "legal_bases": [],
            "internal_domains": ["not a domain"],
            "open_repeat_window_seconds": -1,
            "default_association_types": ["contact", "planet"],
            "log_by_default": "yes",
            "made_up": 1,
        },
    )
    assert answer.status_code == 422
    assert answer.json["error"]["code"] == "validation_failed"
    assert set(answer.json["error"]["details"]["fields"]) == {
        "currency",
        "max_associated_deals",
        "legal_bases",
        "internal_domains",
        "open_repeat_window_seconds",
        "default_association_types",
        "log_by_default",
        "made_up",
    }
    db.session.refresh(world.account)
    assert world.account.privacy_mode is False


def test_values_are_normalised_and_null_restores_the_default(api, world):
    settings = change(
        api,
        currency="sek",
        internal_domains=["@Acme-Labs.example", "acme-labs.example", "partner.example"],
        legal_bases=["contract", "consent"],
        tracked_attachment_days=3,
    )
    assert settings["currency"] == "SEK"
    assert settings["internal_domains"] == ["acme-labs.example", "partner.example"]
    assert settings["legal_bases"] == ["consent", "contract"]
    assert change(api, tracked_attachment_days=None)["tracked_attachment_days"] is None


def test_a_change_is_audited_with_each_changed_field(api, world):
    change(api, privacy_mode=True, currency="USD", max_associated_deals=2)
    [entry] = db.session.scalars(db.select(AuditEntry).filter_by(action="settings_changed")).all()
    assert entry.actor_id == world.admin.id
    assert entry.changes == {"privacy_mode": [False, True], "max_associated_deals": [5, 2]}
    change(api, currency="USD")
    assert (
        len(db.session.scalars(db.select(AuditEntry).filter_by(action="settings_changed")).all())
        == 1
    )


def test_another_accounts_settings_are_untouched(api, world):
    change(api, currency="EUR")
    db.session.refresh(world.other_account)
    assert world.other_account.currency == "USD"
    assert api.as_token(world.other_token).get("/account/settings").json["currency"] == "USD"


@pytest.mark.parametrize(
    ("setting", "decision"),
    [("track_by_default", "track"), ("log_by_default", "log")],
)
def test_the_defaults_decide_what_a_compose_call_leaves_unsaid(api, world, setting, decision):
    change(api, **{setting: False})
    assert api.get("/me").json[setting] is False
    answer = compose(api, ["peter@initech.example"])
    assert answer["recipients"][0][decision] is False
    said = compose(api, ["peter@initech.example"], item_id="draft-2", **{decision: True})
    assert said["recipients"][0][decision] is True


def test_privacy_mode_keeps_recipients_without_a_legal_basis_untracked(api, world):
    assert compose(api, ["peter@initech.example"])["tracking"] == "individual"
    change(api, privacy_mode=True)
    answer = compose(api, ["peter@initech.example"], item_id="draft-2")
    assert answer["tracking"] == "off"
    assert "legal basis" in answer["recipients"][0]["reason"]


def test_creating_contacts_off_is_what_a_draft_carries(api, world):
    change(api, create_contacts=False)
    answer = compose(api, ["peter@initech.example"])
    message = db.session.scalar(db.select(Message).filter_by(public_id=answer["message_id"]))
    assert message.create_contacts is False


def test_the_association_settings_decide_what_the_preview_suggests(api, world):
    contact = factories.make_contact(world.account, "peter@initech.example")
    deals = [factories.make_deal(world.account, f"Deal {n}") for n in range(3)]
    for deal in deals:
        factories.link_contact(world.account, contact, "deal", deal.id)
    body = {"to": ["peter@initech.example"], "html": HTML}

    def suggested() -> list[str]:
        return [a["type"] for a in api.post("/compose/preview", body).json["associations"]]

    assert suggested().count("deal") == 3
    change(api, max_associated_deals=1)
    assert suggested().count("deal") == 1
    change(api, default_association_types=["deal"])
    assert set(suggested()) == {"deal"}


def test_the_repeat_window_decides_when_an_open_counts_again(api, world):
    sent = compose(api, ["peter@initech.example"])
    message = db.session.scalar(db.select(Message).filter_by(public_id=sent["message_id"]))
    start = utcnow() - timedelta(hours=1)
    record_hits(
        [
            journaled_open(message.id, start),
            journaled_open(message.id, start + timedelta(minutes=2)),
        ]
    )
    assert [event.counted for event in events()] == [True, False]
    change(api, open_repeat_window_seconds=60)
    record_hits([journaled_open(message.id, start + timedelta(minutes=4))])
    assert [event.counted for event in events()] == [True, False, True]


def upload(api, content: bytes) -> dict:
    """Upload a tracked attachment; the answer."""
    return api.call(
        "POST",
        "/attachments",
        data={"file": (io.BytesIO(content), "proposal.pdf", "application/pdf")},
        content_type="multipart/form-data",
    )


def test_the_attachment_settings_decide_size_and_expiry(api, world):
    change(api, tracked_attachment_days=2, attachment_size_limit=1024 * 1024)
    created = upload(api, b"%PDF small").json
    expires = db.session.get(TrackedAttachment, created["id"]).expires_at
    assert timedelta(days=1, hours=23) < expires - utcnow() <= timedelta(days=2)
    too_big = upload(api, b"x" * (1024 * 1024 + 1))
    assert too_big.status_code == 413


def test_the_currency_is_how_amounts_are_shown(api, world, client):
    change(api, currency="EUR")
    deal = factories.make_deal(world.account, "Renewal", amount=1200)
    sign_in(client, world.admin)
    assert "€1,200.00" in client.get("/deals/board").get_data(as_text=True)
    assert "(EUR)" in client.get(f"/deals/{deal.id}").get_data(as_text=True)


def test_internal_domains_are_neither_tracked_nor_logged(api, world):
    change(api, internal_domains=["acme-labs.example"])
    answer = compose(api, ["eva@eu.acme-labs.example", "peter@initech.example"])
    eva, peter = answer["recipients"]
    assert (eva["track"], eva["log"]) == (False, False)
    assert "acme-labs.example" in eva["reason"] and peter["track"] is True
    raw = (
        b"From: alice@acme.example\r\nTo: eva@acme-labs.example\r\nSubject: Lunch\r\n"
        b"Message-ID: <lunch@acme.example>\r\n\r\nNoon?\r\n"
    )
    inbound = store_inbound(world.account.id, "smtp", raw, envelope_to="log+x@x")
    processed = process_inbound(inbound.id)
    assert processed.status == "not_logged"
    assert processed.steps[-1]["code"] == "internal_domains_only"
    assert "acme-labs.example" in render_step(processed.steps[-1])["text"]


def test_a_contacts_legal_basis_is_one_the_account_offers(api, world):
    created = api.post("/contacts", {"email": "peter@initech.example", "legal_basis": "consent"})
    assert created.status_code == 201
    change(api, legal_bases=["contract"])
    refused = api.patch(f"/contacts/{created.json['id']}", {"legal_basis": "consent"})
    assert refused.status_code == 422
    assert refused.json["error"]["details"]["fields"]["legal_basis"] == "contract"
    assert (
        api.patch(f"/contacts/{created.json['id']}", {"legal_basis": "contract"}).status_code == 200
    )
    assert api.patch(f"/contacts/{created.json['id']}", {"legal_basis": None}).status_code == 200


def test_the_accent_colour_must_carry_white_text_and_themes_every_page(api, client, world):
    refused = api.patch("/account/settings", {"accent_color": "#ffd700"})
    assert refused.status_code == 422
    assert "accent_color" in refused.json["error"]["details"]["fields"]
    assert change(api, accent_color="#8A1C1C")["accent_color"] == "#8a1c1c"
    sign_in(client, world.admin)
    home = client.get("/").get_data(as_text=True)
    assert 'href="/theme.css?v=8a1c1c"' in home
    theme = client.get("/theme.css")
    css = theme.get_data(as_text=True)
    assert theme.mimetype == "text/css" and "--colorBrandBackground: #8a1c1c;" in css
    dark = css[css.index("prefers-color-scheme: dark") :]
    assert "--colorBrandForeground1: #8a1c1c;" not in dark  # lightened to read on dark grey
    assert change(api, accent_color=None)["accent_color"] is None
    assert "--colorBrandBackground: #0f6cbd;" in client.get("/theme.css").get_data(as_text=True)
