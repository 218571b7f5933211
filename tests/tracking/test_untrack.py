"""Logged copies of tracked mail carry no tracking: stored clean, and cleaned again when shown."""

from __future__ import annotations

import re
from email.message import EmailMessage
from email.utils import make_msgid

import pytest

from tests import factories
from tests.tracking.helpers import click_paths, compose, pixel_path
from tracklog.extensions import db
from tracklog.maillog.ingest import process_inbound
from tracklog.maillog.store import store_inbound
from tracklog.models import Activity, EngagementEvent, Message
from tracklog.tracking.tokens import TokenClaims, make_token
from tracklog.tracking.untrack import untracked_html, untracked_text

BASE = "https://tracklog.test"
TRACKING = re.compile(r"/t/[oca]/")


def tracked_copy(sent: dict, subject: str = "Pricing") -> bytes:
    """The BCC copy of a tracked mail as Outlook sends it: HTML and a text part with the URLs."""
    clicks = re.findall(r'href="([^"]+/t/c/[^"]+)"(?![^>]*display:none)', sent["html"])
    mail = EmailMessage()
    mail["From"] = "alice@acme.example"
    mail["To"] = "Peter Gibbons <peter@initech.example>"
    mail["Subject"] = subject
    mail["Message-ID"] = make_msgid(domain="acme.example")
    mail.set_content(f"Hi Peter, see pricing <{clicks[0]}> and the demo <{clicks[1]}>.\n")
    mail.add_alternative(sent["html"], subtype="html")
    return bytes(mail)


def logged_activity(inbound) -> Activity:
    """The activity a processed mail became."""
    assert inbound.status == "logged", inbound.steps
    db.session.expire_all()
    return db.session.get(Activity, inbound.activity_id)


def engagement_count() -> int:
    """How many hits were recorded."""
    return db.session.scalar(db.select(db.func.count(EngagementEvent.id)))


@pytest.fixture
def sent(api, world):
    """A tracked mail to one customer, as compose prepared it."""
    return compose(api, ["peter@initech.example"])


def test_bcc_copy_is_stored_without_pixel_and_with_original_links(sent, world, record):
    inbound = store_inbound(world.account.id, "smtp", tracked_copy(sent), envelope_to=sent["bcc"])
    activity = logged_activity(process_inbound(inbound.id))
    assert "tracklog.test" not in activity.body_html
    assert not TRACKING.search(activity.body_html) and not TRACKING.search(activity.body_text)
    assert "<img" not in activity.body_html
    hrefs = re.findall(r'href="([^"]*)"', activity.body_html)
    assert hrefs == ["https://initech.example/pricing", "https://initech.example/demo?x=1&amp;y=2"]
    assert "pricing <https://initech.example/pricing>" in activity.body_text
    assert record() == 0 and engagement_count() == 0


def test_mail_logged_from_the_pane_is_stored_clean(api, sent):
    response = api.call("POST", "/log", data=tracked_copy(sent), content_type="message/rfc822")
    assert response.status_code == 201, response.json
    activity = db.session.get(Activity, response.json["activity_id"])
    assert not TRACKING.search(activity.body_html) and not TRACKING.search(activity.body_text)
    assert 'href="https://initech.example/pricing"' in activity.body_html


def test_rows_stored_before_are_shown_clean_on_the_timeline(api, world, sent):
    contact = factories.make_contact(world.account)
    activity = factories.make_activity(world.account, [("contact", contact.id)], "email")
    activity.body_html = sent["html"]
    activity.body_text = f"see pricing <{BASE}{click_paths(sent['html'])[0]}>"
    db.session.commit()
    [item] = api.get(f"/records/contact/{contact.id}/timeline").json["items"]
    assert not TRACKING.search(item["body_html"]) and not TRACKING.search(item["body_text"])
    assert 'href="https://initech.example/pricing"' in item["body_html"]
    assert item["body_text"] == "see pricing <https://initech.example/pricing>"


def test_thread_view_shows_rows_stored_before_clean(client, world, sent):
    contact = factories.make_contact(world.account)
    activity = factories.make_activity(world.account, [("contact", contact.id)], "email")
    activity.body_html, activity.thread_key = sent["html"], "<thread@acme.example>"
    db.session.commit()
    client.post("/sign-in", data={"email": "alice@acme.example", "password": factories.PASSWORD})
    page = client.get(f"/activities/{activity.id}/thread")
    assert page.status_code == 200
    assert not TRACKING.search(page.get_data(as_text=True))
    assert 'href="https://initech.example/pricing"' in page.get_data(as_text=True)


def test_everything_but_the_tracking_stays_byte_for_byte(world, sent):
    pixel, click = BASE + pixel_path(sent["html"]), BASE + click_paths(sent["html"])[0]
    html = (
        f"<p class=x>Hi <b>Peter</b> &amp; team,</p><img alt='logo' src='https://cdn.example/l.png'>"
        f'<a title="Pricing" href="{click}" rel="noopener">pricing</a>'
        f'<img src="{pixel}" width="1" height="1" alt="">'
    )
    assert untracked_html(html, world.account.id) == (
        "<p class=x>Hi <b>Peter</b> &amp; team,</p><img alt='logo' src='https://cdn.example/l.png'>"
        '<a title="Pricing" href="https://initech.example/pricing" rel="noopener">pricing</a>'
    )


def test_honeypot_attachment_and_unknown_links_keep_their_text_but_lead_nowhere(world, sent):
    message = db.session.scalar(db.select(Message).filter_by(public_id=sent["message_id"]))
    honeypot = make_token(TokenClaims("click", message.id, 0, 1))
    attachment = make_token(TokenClaims("attachment", 42))
    unknown_slot = make_token(TokenClaims("click", message.id, 99, 1))
    html = (
        f'<a href="{BASE}/t/c/{honeypot}"></a><a href="{BASE}/t/a/{attachment}">offer.pdf</a>'
        f'<a href="{BASE}/t/c/{unknown_slot}">old link</a>'
        f'<a href="{BASE}/t/c/forged-token">forged</a>'
    )
    assert untracked_html(html, world.account.id) == (
        "<a ></a><a >offer.pdf</a><a >old link</a><a >forged</a>"
    )


def test_our_tokens_are_found_on_any_host_and_others_left_alone(world, sent):
    click = click_paths(sent["html"])[0]
    html = (
        f'<a href="https://old-name.example{click}">moved</a>'
        f'<a href="https://news.example/t/c/a-story">story</a>'
        f"<p>Text URL https://proxy.example/tracklog{click} here</p>"
    )
    assert untracked_html(html, world.account.id) == (
        '<a href="https://initech.example/pricing">moved</a>'
        '<a href="https://news.example/t/c/a-story">story</a>'
        "<p>Text URL https://initech.example/pricing here</p>"
    )


def test_links_of_another_accounts_mail_are_not_resolved(world, sent):
    click = BASE + click_paths(sent["html"])[0]
    assert untracked_html(f'<a href="{click}">x</a>', world.other_account.id) == "<a >x</a>"
    assert untracked_text(f"see {click}.", world.other_account.id) == "see ."


def test_urls_in_other_attributes_and_text_are_removed_too(world, sent):
    pixel = BASE + pixel_path(sent["html"])
    html = f'<table background="{pixel}"><tr><td>{pixel}</td></tr></table>'
    assert untracked_html(html, world.account.id) == (
        '<table background=""><tr><td></td></tr></table>'
    )
