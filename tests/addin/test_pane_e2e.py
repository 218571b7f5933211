"""The task panes in Chromium against a live server, with Office stubbed and the real handler."""

from __future__ import annotations

import base64
import json
import re
from typing import Any

import pytest
import requests
from playwright.sync_api import expect

from tests.factories import make_company, make_contact
from tests.tracking.helpers import OUTLOOK_DESKTOP, compose
from tracklog.extensions import db
from tracklog.models import FollowUpReminder, InboundMessage, Message, TrackingOptOut
from tracklog.privacy.tombstones import address_hash

COMPOSE = "/taskpane/compose.html"
READ = "/taskpane/read.html"
CUSTOMER = "peter@initech.example"
LINK = "https://initech.example/pricing"
BODY = f'<html><body><p>Hi Peter, our <a href="{LINK}">pricing</a>.</p></body></html>'
TIMEOUT_MS = 10000


def compose_office(**extra: Any) -> dict[str, Any]:
    """The stub's settings for a draft written by Alice."""
    return {
        "mode": "compose",
        "userEmail": "alice@acme.example",
        "displayLanguage": "en-US",
        "recipients": {"to": [CUSTOMER]},
        "body": BODY,
        "subject": "Pricing",
        **extra,
    }


def tracked_mail_office(message_id: str) -> dict[str, Any]:
    """The stub's settings for reading Alice's tracked mail in her Sent folder."""
    return {
        "mode": "read",
        "userEmail": "alice@acme.example",
        "subject": "Pricing",
        "recipients": {"to": [CUSTOMER]},
        "read": {"from": "alice@acme.example"},
        "customProperties": {"tracklogMessageId": message_id},
    }


def ready(page: Any) -> Any:
    """Wait until the pane has finished starting."""
    page.wait_for_selector("body[data-ready=true]", timeout=TIMEOUT_MS)
    return page


def choices(page: Any) -> dict[str, Any] | None:
    """The pane's choices as the on-send handler will read them from session data."""
    raw = page.evaluate("window.__office.sessionData['tracklog.choices'] || null")
    return json.loads(raw) if raw else None


def run_send_handler(page: Any, base_url: str) -> dict[str, Any]:
    """Load the real addin/launchevent.js into the page and run its OnMessageSend handler."""
    page.add_script_tag(url=f"{base_url}/addin/launchevent.js")
    return page.evaluate(
        """() => new Promise((resolve) => {
            window.__office.actions.onMessageSendHandler({completed: (o) => resolve(o || {})});
        })"""
    )


def test_checkboxes_start_from_the_account_defaults(open_pane, world, screenshots):
    world.account.track_by_default = False
    world.account.create_contacts = False
    db.session.commit()
    page = ready(open_pane(COMPOSE, compose_office(), world.admin_token))
    assert not page.is_checked("#track")
    assert page.is_checked("#log")
    assert not page.is_checked("#create-contacts")
    assert choices(page) == {
        "track": False,
        "log": True,
        "associations": [],
        "create_contacts": False,
        "remind": None,
    }
    screenshots(page, "defaults")


def test_checkboxes_start_from_the_users_own_defaults_over_the_accounts(open_pane, world):
    world.account.log_by_default = False
    world.admin.log_by_default = True
    world.admin.track_by_default = False
    db.session.commit()
    page = ready(open_pane(COMPOSE, compose_office(), world.admin_token))
    assert not page.is_checked("#track")
    assert page.is_checked("#log")


def test_choices_already_in_session_data_win_over_the_defaults(open_pane, world):
    stored = {"track": False, "log": False, "associations": [], "create_contacts": True}
    office = compose_office(sessionData={"tracklog.choices": json.dumps(stored)})
    page = ready(open_pane(COMPOSE, office, world.admin_token))
    assert not page.is_checked("#track") and not page.is_checked("#log")
    page.check("#track")
    assert choices(page)["track"] is True


def test_picker_finds_a_company_by_typing_and_selects_it(open_pane, world, screenshots):
    company = make_company(world.account, "Initech", "initech.example")
    page = ready(open_pane(COMPOSE, compose_office(recipients={"to": []}), world.admin_token))
    page.fill("#picker-input", "Ini")
    option = page.wait_for_selector("#picker-list [role=option]", timeout=TIMEOUT_MS)
    assert "Initech" in option.inner_text()
    assert page.get_attribute("#picker-input", "aria-expanded") == "true"
    screenshots(page, "picker")
    page.press("#picker-input", "ArrowDown")
    assert page.get_attribute("#picker-input", "aria-activedescendant") == "picker-option-0"
    page.press("#picker-input", "Enter")
    page.wait_for_selector(f"#associations [data-key='company:{company.id}']")
    assert choices(page)["associations"] == [{"type": "company", "id": company.id}]
    page.click(f"#associations [data-key='company:{company.id}'] .remove")
    page.wait_for_selector("#associations li", state="detached")
    assert choices(page)["associations"] == []


def test_automatic_records_are_preselected_with_their_reason(open_pane, world, screenshots):
    company = make_company(world.account, "Initech", "initech.example")
    make_contact(world.account, CUSTOMER, first_name="Peter", company_id=company.id)
    page = ready(open_pane(COMPOSE, compose_office(), world.admin_token))
    row = page.wait_for_selector(f"#associations [data-key='company:{company.id}']")
    assert "Initech" in row.inner_text()
    assert row.query_selector(".reason").inner_text().strip()
    assert choices(page)["associations"] == []
    screenshots(page, "automatic-records")
    contact_row = page.wait_for_selector("#associations li[data-key^='contact:']")
    contact_row.query_selector(".remove").click()
    page.wait_for_selector("#associations li[data-key^='contact:']", state="detached")
    assert choices(page)["associations"] == [{"type": "company", "id": company.id}]


def test_pane_offers_the_send_time_and_holds_the_mail_until_then(open_pane, api, world):
    contact = make_contact(world.account, CUSTOMER, first_name="Peter", time_zone="Asia/Tokyo")
    suggested = api.get(f"/contacts/{contact.id}/send-time").json
    page = ready(open_pane(COMPOSE, compose_office(), world.admin_token))
    page.wait_for_selector("#send-time:not([hidden])", timeout=TIMEOUT_MS)
    assert CUSTOMER in page.inner_text("#send-time-when")
    assert page.inner_text("#send-time-reason") == suggested["reason"]
    page.click("#send-time-button")
    expect(page.locator("#status")).to_contain_text("Outlook will send the mail at")
    held = page.evaluate("window.__office.delayDeliveryTime")
    assert held.replace(".000Z", "Z") == suggested["suggested_at"]


def test_a_template_is_inserted_and_the_sent_mail_knows_it(open_pane, api, live, world):
    template = api.post(
        "/templates", {"name": "Intro", "subject": "Meet Acme", "html": "<p>We make widgets.</p>"}
    ).json
    office = compose_office(subject="")
    page = ready(open_pane(COMPOSE, office, world.admin_token))
    page.wait_for_selector("#templates-card:not([hidden])", timeout=TIMEOUT_MS)
    assert "Not enough sends to judge yet" in page.inner_text("#template-reason")
    page.click("#template-insert")
    expect(page.locator("#status")).to_contain_text("Intro inserted")
    assert "<p>We make widgets.</p>" in page.evaluate("window.__office.body")
    assert page.evaluate("window.__office.subject") == "Meet Acme"
    assert choices(page)["template_id"] == template["id"]
    assert run_send_handler(page, live.url) == {"allowEvent": True}
    assert api.get(f"/templates/{template['id']}").json["uses"] == 1


def test_internal_recipient_is_greyed_with_the_reason(open_pane, world, screenshots):
    office = compose_office(recipients={"to": [CUSTOMER, "bob@acme.example"]})
    page = ready(open_pane(COMPOSE, office, world.admin_token))
    internal = page.wait_for_selector("#recipients li[data-email='bob@acme.example']")
    assert "is-muted" in internal.get_attribute("class")
    assert "Internal" in internal.inner_text()
    page.evaluate("window.__office.setRecipients({cc: ['lumbergh@initech.example']})")
    page.wait_for_selector(
        "#recipients li[data-email='lumbergh@initech.example']", timeout=TIMEOUT_MS
    )
    screenshots(page, "recipients")


def test_privacy_mode_greys_track_and_log_for_recipients_without_a_legal_basis(
    open_pane, world, screenshots
):
    world.account.privacy_mode = True
    db.session.commit()
    page = ready(open_pane(COMPOSE, compose_office(), world.admin_token))
    row = page.wait_for_selector(f"#recipients li[data-email='{CUSTOMER}']")
    assert row.get_attribute("data-reason-code") == "lacks_legal_basis"
    assert "No legal basis" in row.inner_text()
    expect(page.locator("#track")).to_be_disabled()
    expect(page.locator("#log")).to_be_disabled()
    assert not page.is_checked("#track") and not page.is_checked("#log")
    expect(page.locator("#track-blocked")).to_contain_text(f"no legal basis for {CUSTOMER}")
    expect(page.locator("#log-blocked")).to_contain_text("no recipient has a legal basis")
    screenshots(page, "privacy-mode-no-legal-basis")
    assert choices(page)["track"] is True and choices(page)["log"] is True

    make_contact(world.account, "milton@initech.example", legal_basis="consent")
    page.evaluate("window.__office.setRecipients({cc: ['milton@initech.example']})")
    page.wait_for_selector("#recipients li[data-email='milton@initech.example']")
    expect(page.locator("#log")).to_be_enabled()
    expect(page.locator("#track")).to_be_disabled()
    assert page.is_checked("#log")

    page.evaluate("window.__office.setRecipients({to: ['milton@initech.example'], cc: []})")
    expect(page.locator("#track")).to_be_enabled()
    assert page.is_checked("#track")
    expect(page.locator("#track-blocked")).to_be_hidden()


def test_a_recipient_who_opted_out_is_shown_untracked_with_the_reason(open_pane, world):
    db.session.add(TrackingOptOut(account_id=world.account.id, address_hash=address_hash(CUSTOMER)))
    db.session.commit()
    page = ready(open_pane(COMPOSE, compose_office(), world.admin_token))
    row = page.wait_for_selector(f"#recipients li[data-email='{CUSTOMER}']")
    assert row.get_attribute("data-reason-code") == "recipient_opted_out"
    assert "opted out of tracking" in row.inner_text()
    expect(page.locator("#track")).to_be_disabled()
    expect(page.locator("#track-blocked")).to_contain_text(f"{CUSTOMER} opted out")
    expect(page.locator("#log")).to_be_enabled()


def test_send_handler_tracks_the_mail_and_sets_the_logging_bcc(open_pane, live, world, screenshots):
    page = ready(open_pane(COMPOSE, compose_office(), world.admin_token))
    assert run_send_handler(page, live.url) == {"allowEvent": True}
    body = page.evaluate("window.__office.body")
    assert re.search(r'<img src="http://127\.0\.0\.1:\d+/t/o/[^"]+\.gif"', body)
    assert f'href="{LINK}"' not in body and "/t/c/" in body
    bcc = page.evaluate("window.__office.recipients.bcc")
    assert any(address.startswith("log+") for address in bcc)
    header = page.evaluate("window.__office.internetHeaders['X-Tracklog-Message']")
    db.session.remove()
    sent = db.session.scalar(db.select(Message).filter_by(public_id=header))
    assert sent is not None and sent.subject == "Pricing" and sent.tracking == "individual"
    screenshots(page, "send")


def test_remind_me_sets_a_reminder_on_the_sent_mail(open_pane, live, world, screenshots):
    page = ready(open_pane(COMPOSE, compose_office(), world.admin_token))
    assert page.is_disabled("#remind-unless")
    page.select_option("#remind-days", "3")
    page.select_option("#remind-unless", "open")
    assert choices(page)["remind"] == {"in_days": 3, "unless": "open"}
    screenshots(page, "remind")
    assert run_send_handler(page, live.url) == {"allowEvent": True}
    header = page.evaluate("window.__office.internetHeaders['X-Tracklog-Message']")
    db.session.remove()
    sent = db.session.scalar(db.select(Message).filter_by(public_id=header))
    [reminder] = db.session.scalars(db.select(FollowUpReminder)).all()
    assert reminder.message_id == sent.id and reminder.unless == "open"
    assert reminder.state == "pending" and reminder.user_id == sent.user_id


def test_server_down_still_lets_the_mail_go_with_a_note(open_pane, live, world, screenshots):
    page = ready(open_pane(COMPOSE, compose_office(), world.admin_token))
    page.route("**/api/**", lambda route: route.abort())
    page.evaluate("window.__office.setRecipients({to: ['peter@initech.example', 'x@y.example']})")
    page.wait_for_selector("#error:not([hidden])", timeout=TIMEOUT_MS)
    assert "will still be sent" in page.inner_text("#error")
    assert run_send_handler(page, live.url) == {"allowEvent": True}
    note = page.evaluate("window.__office.notifications['tracklog']")
    assert "could not be reached" in note["message"]
    assert page.evaluate("window.__office.body") == BODY
    screenshots(page, "server-down")


@pytest.mark.parametrize(
    ("display_language", "track_label", "records_heading", "summary"),
    [
        ("ja-JP", "開封とクリックをトラッキング", "関連付けるレコード", "外部の受信者"),
        ("sv-SE", "Spåra öppningar och klick", "Kopplade poster", None),
    ],
)
def test_pane_follows_outlooks_display_language(
    open_pane, world, screenshots, display_language, track_label, records_heading, summary
):
    office = compose_office(displayLanguage=display_language)
    page = ready(open_pane(COMPOSE, office, world.admin_token))
    assert page.get_attribute("html", "lang") == display_language[:2]
    assert page.inner_text("label[for=track]") == track_label
    assert page.inner_text("#records-heading") == records_heading
    if summary:
        assert summary in page.inner_text("#tracking-summary")
    names = {"ja-JP": "japanese", "sv-SE": "swedish"}
    screenshots(page, names[display_language])


def test_tracked_attachment_link_is_added_to_the_end_of_the_body(
    open_pane, world, screenshots, tmp_path
):
    page = ready(open_pane(COMPOSE, compose_office(), world.admin_token))
    brochure = tmp_path / "brochure.pdf"
    brochure.write_bytes(b"%PDF-1.4 brochure")
    page.set_input_files("#attachment-input", str(brochure))
    page.wait_for_selector("#attachments li", timeout=TIMEOUT_MS)
    assert "brochure.pdf" in page.inner_text("#attachments")
    body = page.evaluate("window.__office.body")
    assert re.search(r'<a href="[^"]*/t/a/[^"]+">brochure\.pdf</a></p></body>', body)
    screenshots(page, "attachment")


def test_a_file_can_be_attached_as_it_is_beside_a_tracked_one(open_pane, world, tmp_path):
    page = ready(open_pane(COMPOSE, compose_office(), world.admin_token))
    brochure, price_list = tmp_path / "brochure.pdf", tmp_path / "prices.csv"
    brochure.write_bytes(b"%PDF-1.4 brochure")
    price_list.write_bytes(b"item,price\nwidget,10\n")
    page.set_input_files("#attachment-input", str(brochure))
    page.wait_for_selector("#attachments li", timeout=TIMEOUT_MS)
    with page.expect_file_chooser() as chooser:
        page.click("#attach-plain-button")
    chooser.value.set_files(str(price_list))
    page.wait_for_selector("#attachments li:nth-child(2)", timeout=TIMEOUT_MS)
    [attached] = page.evaluate("window.__office.attachments")
    assert attached["name"] == "prices.csv"
    assert base64.b64decode(attached["base64"]) == price_list.read_bytes()
    body = page.evaluate("window.__office.body")
    assert "brochure.pdf" in body and "prices.csv" not in body
    assert "Attached as it is (not tracked)" in page.inner_text("#attachments")


# Carol's question to Alice, open in Outlook's read mode.
READ_OFFICE = {
    "mode": "read",
    "userEmail": "alice@acme.example",
    "subject": "Question about pricing",
    "recipients": {"to": ["alice@acme.example"]},
    "body": "<html><body><p>Could you send the price list?</p></body></html>",
    "read": {"from": "carol@customer.example", "fromName": "Carol Danvers"},
}


def test_read_pane_creates_the_missing_contact_and_logs_the_mail(open_pane, world, screenshots):
    page = ready(open_pane(READ, READ_OFFICE, world.admin_token))
    assert "carol@customer.example" in page.inner_text("#sender")
    page.click("#create-contact")
    link = page.wait_for_selector("#open-contact", timeout=TIMEOUT_MS)
    assert re.search(r"/contacts/\d+$", link.get_attribute("href"))
    assert "Carol Danvers" in page.inner_text("#sender")
    page.click("#log-button")
    page.wait_for_selector("#log-steps li", timeout=TIMEOUT_MS)
    assert page.inner_text("#log-outcome") == "The mail is logged."
    screenshots(page, "read-log")


def test_read_pane_shows_a_tracked_mails_opens_live(open_pane, api, live, world, screenshots):
    sent = compose(api, [CUSTOMER])
    office = tracked_mail_office(sent["message_id"])
    page = ready(open_pane(READ, office, world.admin_token))
    page.wait_for_selector("#history:not([hidden])")
    assert page.is_hidden("#sender")
    assert page.inner_text("#events-empty") == "No open seen yet."
    assert "Counts are approximate" in page.inner_text("#history")
    page.wait_for_selector("body[data-live=true]", timeout=TIMEOUT_MS)
    pixel = re.search(r'src="https?://[^/"]+(/t/o/[^"]+\.gif)"', sent["html"]).group(1)
    answer = requests.get(f"{live.url}{pixel}", headers={"User-Agent": OUTLOOK_DESKTOP}, timeout=5)
    assert answer.status_code == 200
    row = page.wait_for_selector("#events li[data-kind=open]", timeout=TIMEOUT_MS)
    assert CUSTOMER in row.inner_text()
    # A locator, not wait_for_function: the pane's policy refuses eval, which that would need.
    expect(page.locator("#kpis .kpi strong").first).to_have_text("1", timeout=TIMEOUT_MS)
    screenshots(page, "read-history")


def test_read_pane_logs_the_mail_outlook_gives_as_a_file(open_pane, world):
    mime = (
        "From: Carol <carol@customer.example>\r\nTo: alice@acme.example\r\n"
        "Subject: Contract\r\nDate: Mon, 04 May 2026 09:30:00 +0000\r\n"
        "Message-ID: <contract-1@customer.example>\r\nContent-Type: text/plain\r\n\r\n"
        "Signed copy attached.\r\n"
    )
    office = {
        "mode": "read",
        "userEmail": "alice@acme.example",
        "subject": "Contract",
        "read": {
            "from": "carol@customer.example",
            "eml": base64.b64encode(mime.encode()).decode(),
        },
    }
    page = ready(open_pane(READ, office, world.admin_token))
    page.click("#log-button")
    page.wait_for_selector("#log-steps li", timeout=TIMEOUT_MS)
    assert page.inner_text("#log-outcome") == "The mail is logged."
    db.session.remove()
    stored = db.session.scalar(db.select(InboundMessage).filter_by(subject="Contract"))
    assert stored is not None and stored.channel == "upload"


def test_panes_fit_a_320_pixel_wide_task_pane(open_pane, world):
    office = compose_office(recipients={"to": [CUSTOMER, "bob@acme.example"]})
    page = ready(open_pane(COMPOSE, office, world.admin_token, width=320))
    page.wait_for_selector("#recipients li")
    assert page.evaluate("document.documentElement.scrollWidth") <= 320
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "track"
