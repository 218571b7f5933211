"""Recipients' opt-out: the footer link, its page in their language, and compose honouring it."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from tests import factories
from tests.tracking import conftest as tracking
from tests.tracking.helpers import compose
from tracklog.extensions import db
from tracklog.models import AuditEntry, EngagementEvent, TrackingOptOut
from tracklog.tracking.untrack import untracked_html

# As in the tracking tests: no recorder thread, hits recorded when asked, a recipient's browser.
app_config = tracking.app_config
record = tracking.record
recipient = tracking.recipient
PETER = "peter@initech.example"
MILTON = "milton@initech.example"


@pytest.fixture
def offering(world):
    """The account offers recipients the opt-out link."""
    world.account.recipient_opt_out_link = True
    db.session.commit()
    return world


def opt_out_path(html: str) -> str:
    """The path of the opt-out footer's link in composed HTML."""
    return re.search(r'href="https://tracklog\.test(/t/u/[^"]+)"', html).group(1)


def test_footer_link_only_with_the_setting_on_and_only_in_tracked_mail(api, world):
    assert "/t/u/" not in compose(api, [PETER], item_id="off")["html"]
    world.account.recipient_opt_out_link = True
    db.session.commit()

    tracked = compose(api, [PETER], item_id="on")["html"]
    internal = compose(api, ["bob@acme.example"], item_id="internal")

    assert tracked.count("/t/u/") == 1
    assert "This mail is tracked by Acme Sales." in tracked
    assert internal["tracking"] == "off" and "/t/u/" not in internal["html"]


def test_composing_the_same_draft_again_keeps_one_footer(api, offering):
    first = compose(api, [PETER])["html"]
    assert compose(api, [PETER], html=first)["html"].count("/t/u/") == 1


@pytest.mark.parametrize(
    ("language", "heading"),
    [
        ("en", "This mail is tracked by Acme Sales"),
        ("ja", "このメールはAcme Salesによって追跡されています"),
        ("sv", "Det här mejlet spåras av Acme Sales"),
    ],
)
def test_the_page_speaks_the_recipients_language(api, offering, recipient, language, heading):
    path = opt_out_path(compose(api, [PETER])["html"])

    page = recipient.get(path, headers={"Accept-Language": f"{language},en;q=0.1"})

    assert page.status_code == 200
    assert f'lang="{language}"' in page.text
    assert heading in page.text


def test_one_click_untracks_the_address_for_every_sender_of_the_account(api, offering, recipient):
    path = opt_out_path(compose(api, [PETER])["html"])
    assert 'name="email"' not in recipient.get(path).text

    answer = recipient.post(path)

    assert answer.status_code == 200
    assert "no longer tracked" in answer.text
    colleague = compose(api.as_token(offering.user_token), [PETER], item_id="later")
    assert colleague["tracking"] == "off"
    assert colleague["recipients"][0]["track"] is False
    assert colleague["recipients"][0]["log"] is True
    assert colleague["recipients"][0]["reason_code"] == "recipient_opted_out"
    assert "opted out" in colleague["recipients"][0]["reason"]
    assert "/t/o/" not in colleague["html"]
    elsewhere = compose(api.as_token(offering.other_token), [PETER], item_id="globex")
    assert elsewhere["tracking"] == "individual"


def test_an_opted_out_recipient_turns_tracking_off_for_the_whole_mail(api, offering, recipient):
    recipient.post(opt_out_path(compose(api, [PETER])["html"]))

    answer = compose(api, [PETER, MILTON], item_id="both")

    assert answer["tracking"] == "off"
    assert [r["reason_code"] for r in answer["recipients"]] == ["recipient_opted_out", None]
    assert "opted out" in answer["tracking_reason"]


def test_with_several_recipients_only_a_typed_recipient_is_stored_and_the_answer_is_the_same(
    api, offering, recipient
):
    path = opt_out_path(compose(api, [PETER, MILTON])["html"])
    assert 'name="email"' in recipient.get(path).text

    stranger = recipient.post(path, data={"email": "lumbergh@initech.example"})
    milton = recipient.post(path, data={"email": "Milton@Initech.example "})

    assert stranger.status_code == milton.status_code == 200
    assert stranger.text == milton.text
    assert PETER not in milton.text and MILTON not in milton.text.lower()
    assert db.session.scalar(select(db.func.count()).select_from(TrackingOptOut)) == 1
    later = compose(api, [MILTON], item_id="later")
    assert later["recipients"][0]["reason_code"] == "recipient_opted_out"
    assert compose(api, [PETER], item_id="peter")["tracking"] == "individual"


def test_a_malformed_typed_address_is_refused_without_saying_who_received_it(
    api, offering, recipient
):
    path = opt_out_path(compose(api, [PETER, MILTON])["html"])

    answer = recipient.post(path, data={"email": "not an address"})

    assert answer.status_code == 422
    assert MILTON not in answer.text and PETER not in answer.text


def test_opting_out_is_audited_without_personal_data(api, offering, recipient):
    path = opt_out_path(compose(api, [PETER])["html"])
    recipient.post(path)
    recipient.post(path)

    entries = db.session.scalars(select(AuditEntry).filter_by(action="recipient_opted_out")).all()
    stored = db.session.scalar(select(TrackingOptOut))
    assert [(e.target_type, e.target_id, e.actor_id) for e in entries] == [
        ("tracking_opt_out", stored.id, None)
    ]
    assert PETER not in str(entries[0].changes) and PETER not in stored.address_hash


@pytest.mark.parametrize("change", ["altered", "open_token", "other_message_kind"])
def test_a_forged_or_altered_token_is_404(api, offering, recipient, change):
    html = compose(api, [PETER])["html"]
    path = opt_out_path(html)
    token = path.rsplit("/", 1)[1]
    forged = {
        "altered": token[:-2] + ("AA" if token[-2:] != "AA" else "BB"),
        "open_token": re.search(r"/t/o/([^\"]+)\.gif", html).group(1),
        "other_message_kind": re.search(r"/t/c/([^\"]+)\"", html).group(1),
    }[change]

    assert recipient.get(f"/t/u/{forged}").status_code == 404
    assert recipient.post(f"/t/u/{forged}").status_code == 404
    assert db.session.scalar(select(TrackingOptOut)) is None


def test_the_page_fires_no_tracking_and_links_nothing_tracked(api, offering, recipient, record):
    path = opt_out_path(compose(api, [PETER])["html"])

    pages = [recipient.get(path), recipient.head(path), recipient.post(path)]

    assert record() == 0
    assert db.session.scalar(select(EngagementEvent)) is None
    for page in pages:
        assert "/t/o/" not in page.text and "/t/c/" not in page.text
        assert page.headers["Referrer-Policy"] == "no-referrer"


def test_a_logged_copy_keeps_the_footer_text_but_not_its_link(api, offering):
    html = compose(api, [PETER])["html"]

    logged = untracked_html(html, offering.account.id)

    assert "This mail is tracked by Acme Sales." in logged
    assert "/t/u/" not in logged


def test_an_erased_contacts_opt_out_stays(api, offering, recipient):
    contact = factories.make_contact(offering.account, PETER)
    recipient.post(opt_out_path(compose(api, [PETER])["html"]))

    assert api.post(f"/contacts/{contact.id}/erase").status_code == 200

    assert db.session.scalar(select(TrackingOptOut)) is not None
    answer = compose(api, [PETER], item_id="after-erasure")
    assert answer["recipients"][0]["reason_code"] == "recipient_opted_out"
