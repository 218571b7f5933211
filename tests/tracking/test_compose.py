"""POST /api/v1/compose: tracking mode, per-recipient decisions, rewriting, idempotence."""

from __future__ import annotations

from tests import factories
from tests.tracking.helpers import HTML, click_paths, compose, pixel_path
from tracklog.extensions import db
from tracklog.models import Message, NeverLogEntry


def test_one_external_recipient_is_tracked_individually(api, world):
    answer = compose(api, ["peter@initech.example"])
    assert answer["tracking"] == "individual"
    assert answer["message_id"].startswith("tl_")
    assert answer["bcc"] == f"log+{world.account.bcc_key}.{answer['message_id']}@bcc.tracklog.test"
    assert answer["recipients"] == [
        {
            "email": "peter@initech.example",
            "track": True,
            "log": True,
            "contact_id": None,
            "reason": "",
            "reason_code": None,
        }
    ]
    assert answer["html"].count("/t/o/") == 1
    assert len(click_paths(answer["html"])) == 2
    assert "https://initech.example/pricing" not in answer["html"]


def test_several_external_recipients_are_tracked_anonymously(api, world):
    answer = compose(api, ["peter@initech.example", "milton@initech.example"])
    assert answer["tracking"] == "anonymous"
    assert all(r["track"] for r in answer["recipients"])
    assert "anonymously" in answer["recipients"][0]["reason"]


def test_internal_mail_is_not_tracked(api, world):
    answer = compose(api, ["bob@acme.example"])
    assert answer["tracking"] == "off"
    assert answer["html"] == HTML
    assert answer["recipients"][0]["track"] is False
    assert "Internal" in answer["recipients"][0]["reason"]


def test_internal_recipients_do_not_count_towards_the_mode(api, world):
    answer = compose(api, ["peter@initech.example", "bob@acme.example"])
    assert answer["tracking"] == "individual"


def test_privacy_mode_tracks_only_contacts_with_a_legal_basis(api, world):
    world.account.privacy_mode = True
    db.session.commit()
    factories.make_contact(world.account, "peter@initech.example", legal_basis="consent")
    assert compose(api, ["peter@initech.example"], item_id="a")["tracking"] == "individual"
    answer = compose(api, ["milton@initech.example"], item_id="b")
    assert answer["tracking"] == "off"
    assert answer["recipients"][0]["track"] is False
    assert "legal basis" in answer["recipients"][0]["reason"]


def test_never_log_recipient_is_not_logged(api, world):
    db.session.add(
        NeverLogEntry(account_id=world.account.id, pattern="initech.example", kind="domain")
    )
    db.session.commit()
    answer = compose(api, ["peter@initech.example"])
    assert answer["recipients"][0]["log"] is False
    assert "never-log" in answer["recipients"][0]["reason"]


def test_tracking_and_logging_can_be_turned_off(api, world):
    answer = compose(api, ["peter@initech.example"], track=False, log=False)
    assert answer["tracking"] == "off" and answer["bcc"] is None
    assert answer["html"] == HTML


def test_second_call_for_the_same_draft_is_idempotent(api, world):
    first = compose(api, ["peter@initech.example"])
    again = compose(api, ["peter@initech.example"])
    assert again["message_id"] == first["message_id"]
    assert again["html"] == first["html"]
    rewritten_again = compose(api, ["peter@initech.example"], html=first["html"])
    assert rewritten_again["html"] == first["html"]
    assert rewritten_again["html"].count("/t/o/") == 1
    assert db.session.scalar(db.select(db.func.count()).select_from(Message)) == 1


def test_other_drafts_get_other_messages(api, world):
    first = compose(api, ["peter@initech.example"], item_id="one")
    second = compose(api, ["peter@initech.example"], item_id="two")
    assert first["message_id"] != second["message_id"]
    assert pixel_path(first["html"]) != pixel_path(second["html"])


def test_explicit_associations_are_echoed_with_why(api, world):
    deal = factories.make_deal(world.account)
    answer = compose(api, ["peter@initech.example"], associations=[{"type": "deal", "id": deal.id}])
    assert answer["associations"] == [{"type": "deal", "id": deal.id, "why": "explicitly selected"}]


def test_associations_to_other_accounts_are_refused(api, world):
    deal = factories.make_deal(world.other_account)
    response = api.post(
        "/compose",
        {
            "to": ["peter@initech.example"],
            "html": HTML,
            "associations": [{"type": "deal", "id": deal.id}],
        },
    )
    assert response.status_code == 422


def test_compose_without_recipients_is_a_400_and_stores_nothing(api, world):
    only_logging = f"log+{world.account.bcc_key}@bcc.tracklog.test"
    for recipients in ({}, {"to": [], "cc": [], "bcc": []}, {"bcc": [only_logging]}):
        response = api.post("/compose", {"html": HTML, "subject": "Hello", **recipients})
        assert response.status_code == 400, recipients
        error = response.json["error"]
        assert error["code"] == "no_recipients"
        assert "to" in error["details"]["fields"]
    assert db.session.scalar(db.select(db.func.count(Message.id))) == 0


def test_a_draft_without_recipients_can_still_be_previewed(api, world):
    response = api.post("/compose/preview", {"html": HTML})
    assert response.status_code == 200
    assert response.json["recipients"] == []


def test_bcc_alone_is_a_recipient(api, world):
    response = api.post("/compose", {"html": HTML, "bcc": ["peter@initech.example"]})
    assert response.status_code == 200


def test_bad_compose_input_names_each_field(api, world):
    response = api.post(
        "/compose", {"to": ["not an address"], "html": 5, "track": "yes", "client": {"host": "x"}}
    )
    assert response.status_code == 422
    assert set(response.json["error"]["details"]["fields"]) >= {
        "to",
        "html",
        "track",
        "client.host",
    }


def test_huge_and_broken_html_gets_a_best_effort_answer(api, world):
    broken = "<html><body><div><a href='https://x.example/a'>unclosed <b>\x00\x01 <a href=\"https://x.example/b"
    answer = compose(api, ["peter@initech.example"], html=broken)
    assert answer["html"].count("/t/o/") == 1
    huge = "<p>" + ("lorem ipsum " * 1_750_000) + '<a href="https://x.example/end">end</a></p>'
    answer = compose(api, ["peter@initech.example"], html=huge, item_id="huge")
    assert len(click_paths(answer["html"])) == 1


def test_preview_shows_status_and_automatic_associations_without_saving(api, world):
    contact = factories.make_contact(world.account, "peter@initech.example", first_name="Peter")
    deal = factories.make_deal(world.account, "Renewal")
    factories.link_contact(world.account, contact, "deal", deal.id)
    body = {"to": ["peter@initech.example", "bob@acme.example"], "html": HTML}
    preview = api.post("/compose/preview", body).json
    assert preview["tracking"] == "individual"
    assert [r["track"] for r in preview["recipients"]] == [True, False]
    assert preview["recipients"][0]["contact_id"] == contact.id
    deal_suggestion = next(a for a in preview["associations"] if a["type"] == "deal")
    assert deal_suggestion["id"] == deal.id
    assert deal_suggestion["why"] == "the only open deal of Peter"
    assert db.session.scalar(db.select(db.func.count()).select_from(Message)) == 0


def test_preview_suggests_five_open_deals_or_tickets_in_total(api, world):
    contact = factories.make_contact(world.account, "peter@initech.example")
    deals = [factories.make_deal(world.account, f"Deal {n}") for n in range(4)]
    tickets = [factories.make_ticket(world.account, f"Ticket {n}") for n in range(3)]
    for record in (*deals, *tickets):
        factories.link_contact(
            world.account, contact, "deal" if record in deals else "ticket", record.id
        )

    preview = api.post("/compose/preview", {"to": ["peter@initech.example"], "html": HTML}).json

    picked = [a for a in preview["associations"] if a["type"] in ("deal", "ticket")]
    assert len(picked) == 5
    assert {a["type"] for a in picked} == {"deal", "ticket"}


def test_a_from_address_the_receiver_would_refuse_is_shown_as_not_logged(api, world):
    answer = compose(api, ["peter@initech.example"], **{"from": "alice@private.example"})
    [peter] = answer["recipients"]
    assert peter["log"] is False and peter["track"] is True
    assert "alice@private.example" in peter["reason"] and "alias" in peter["reason"]
    world.user.active = False
    db.session.commit()
    answer = compose(api, ["peter@initech.example"], item_id="b", **{"from": "bob@acme.example"})
    assert answer["recipients"][0]["log"] is False
    assert "deactivated" in answer["recipients"][0]["reason"]
    answer = compose(api, ["peter@initech.example"], item_id="c")
    assert answer["recipients"][0]["log"] is True
