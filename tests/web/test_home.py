"""The start page: a salesperson's recent opens and clicks, tasks due, deals closing soon, and
mail that was not logged with the reason."""

from __future__ import annotations

import re
import uuid
from datetime import datetime, timedelta
from decimal import Decimal
from email.message import EmailMessage

from tests import factories
from tests.crm.test_board_pages import sign_in
from tests.tracking.helpers import CHROME_WINDOWS, OUTLOOK_DESKTOP, compose
from tracklog.crm.activities import add_task
from tracklog.extensions import db
from tracklog.maillog.ingest import ingest_now
from tracklog.models import Message, utcnow
from tracklog.tracking.recording import record_hits

SAFE_LINKS_IP = "40.107.22.7"


def section(html: str, name: str) -> str:
    """The HTML of one section of the start page."""
    return re.search(rf'<section[^>]*id="home-{name}".*?</section>', html, re.S).group(0)


def hits(
    public_id: str,
    *specs: tuple[str, str, str, int | None, timedelta],
    sent_at: datetime | None = None,
) -> None:
    """Record hits (kind, agent, ip, link slot, time after sending) through the recorder."""
    message = db.session.scalar(db.select(Message).filter_by(public_id=public_id))
    message.sent_at = sent_at or utcnow() - timedelta(hours=3)
    db.session.commit()
    record_hits(
        [
            {
                "hit_id": str(uuid.uuid4()),
                "kind": kind,
                "target_id": message.id,
                "link_slot": slot,
                "recipient_slot": 1,
                "at": (message.sent_at + after).isoformat(),
                "method": "GET",
                "ip": ip,
                "ua": agent,
                "headers": {},
                "sender_cookie_user": None,
            }
            for kind, agent, ip, slot, after in specs
        ]
    )


def internal_mail(sender: str, to: str, subject: str) -> bytes:
    """A mail between two users of the account, as the logging address receives it."""
    mail = EmailMessage()
    mail["From"], mail["To"], mail["Subject"] = sender, to, subject
    mail["Message-ID"] = f"<{uuid.uuid4()}@acme.example>"
    mail.set_content("Notes for the review.")
    return mail.as_bytes()


def test_recent_opens_and_clicks_name_the_person_and_leave_machines_out(client, api, world):
    peter = factories.make_contact(
        world.account, "peter@initech.example", first_name="Peter", last_name="Gibbons"
    )
    sent = compose(api, ["peter@initech.example"], subject="Pricing for Initech")
    hits(
        sent["message_id"],
        ("click", CHROME_WINDOWS, SAFE_LINKS_IP, 1, timedelta(seconds=3)),
        ("open", OUTLOOK_DESKTOP, "81.229.10.20", None, timedelta(minutes=40)),
        ("click", CHROME_WINDOWS, "81.229.10.20", 1, timedelta(minutes=42)),
    )
    sign_in(client, world.admin)
    engagement = section(client.get("/").get_data(as_text=True), "engagement")
    assert engagement.count("<li>") == 2
    assert engagement.count("Peter Gibbons") == 2
    assert f'href="/contacts/{peter.id}"' in engagement
    assert "opened" in engagement and "clicked" in engagement
    assert "https://initech.example/pricing" in engagement
    assert f'href="/messages/{sent["message_id"]}"' in engagement
    assert "Pricing for Initech" in engagement and "hours ago" in engagement
    sign_in(client, world.user)
    theirs = section(client.get("/").get_data(as_text=True), "engagement")
    assert "Pricing for Initech" not in theirs and "No opens or clicks yet." in theirs


def test_tasks_due_are_the_overdue_and_this_weeks_own_tasks(client, world):
    deal = factories.make_deal(world.account, "Initech renewal")
    for title, days, owner in (
        ("Send the quote", -2, world.user),
        ("Call Peter", 0.2, world.user),
        ("Plan next quarter", 30, world.user),
        ("Someone else's task", 1, world.admin),
    ):
        due = (utcnow() + timedelta(days=days)).isoformat()
        add_task(owner, "deal", deal.id, {"title": title, "due_at": due})
    sign_in(client, world.user)
    tasks = section(client.get("/").get_data(as_text=True), "tasks")
    assert tasks.index("Send the quote") < tasks.index("Call Peter")
    assert "Plan next quarter" not in tasks and "Someone else" not in tasks
    assert tasks.count("(overdue)") == 1
    assert f'href="/deals/{deal.id}"' in tasks and "Initech renewal" in tasks


def test_deals_closing_soon_are_the_own_open_deals_with_the_accounts_currency(client, world):
    world.account.currency = "EUR"
    db.session.commit()
    today = utcnow().date()
    mine = {"owner_id": world.user.id, "amount": Decimal("1200")}
    factories.make_deal(world.account, "Closing soon", 1, close_date=today + timedelta(10), **mine)
    factories.make_deal(world.account, "Slipped", 2, close_date=today - timedelta(3), **mine)
    factories.make_deal(world.account, "Next year", 1, close_date=today + timedelta(200), **mine)
    factories.make_deal(world.account, "Already won", 5, close_date=today + timedelta(5), **mine)
    factories.make_deal(world.account, "Not mine", 1, close_date=today + timedelta(5))
    sign_in(client, world.user)
    deals = section(client.get("/").get_data(as_text=True), "deals")
    assert deals.index("Slipped") < deals.index("Closing soon")
    assert "€1,200.00" in deals and "was to close" in deals
    for absent in ("Next year", "Already won", "Not mine"):
        assert absent not in deals


def test_mail_not_logged_is_listed_with_its_reason(client, world):
    raw = internal_mail("bob@acme.example", "alice@acme.example", "Review notes")
    inbound = ingest_now(world.account.id, raw, "smtp")
    assert inbound.status == "not_logged"
    sign_in(client, world.user)
    unlogged = section(client.get("/").get_data(as_text=True), "unlogged")
    assert "Review notes" in unlogged
    assert "every recipient is a user of this account (internal mail)" in unlogged
    sign_in(client, world.admin)
    assert "Review notes" not in section(client.get("/").get_data(as_text=True), "unlogged")


def test_a_new_user_sees_what_each_section_will_hold(client, world):
    sign_in(client, world.user)
    html = client.get("/").get_data(as_text=True)
    assert "No opens or clicks yet." in section(html, "engagement")
    assert "Nothing due this week." in section(html, "tasks")
    assert "No open deal of yours closes in the next 30 days." in section(html, "deals")
    assert "Every mail you sent with the logging address was logged." in section(html, "unlogged")
    assert 'href="/logging/why"' in html
