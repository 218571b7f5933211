"""A colleague reading logged tracked mail in Chromium never fires its tracking: no request to
/t/ leaves the timeline or the thread view, and no open or click is recorded."""

from __future__ import annotations

from typing import Any

from tests import factories
from tests.browser import app  # noqa: F401 - the live server's app, on SQLite
from tests.crm.test_e2e_timeline import open_record  # noqa: F401 - fixture
from tests.tracking.helpers import compose
from tests.tracking.test_untrack import tracked_copy
from tracklog.extensions import db
from tracklog.maillog.ingest import process_inbound
from tracklog.maillog.store import store_inbound
from tracklog.models import Activity, Contact, EngagementEvent
from tracklog.tracking.hits import hit_journal


def requests_of(page: Any) -> list[str]:
    """Every URL the page's browser context asks for from now on."""
    seen: list[str] = []
    page.context.on("request", lambda request: seen.append(request.url))
    return seen


def test_timeline_and_thread_of_logged_tracked_mail_fire_no_tracking(
    api,
    sign_in_as,
    live,
    world,
    screenshots,
):
    from playwright.sync_api import expect

    sent = compose(api, ["peter@initech.example"])
    inbound = store_inbound(world.account.id, "smtp", tracked_copy(sent), envelope_to=sent["bcc"])
    logged = db.session.get(Activity, process_inbound(inbound.id).activity_id)
    contact = db.session.scalar(db.select(Contact).filter_by(email="peter@initech.example"))
    # A copy stored before copies were kept clean: the page must clean it when showing it.
    older = factories.make_activity(world.account, [("contact", contact.id)], "email", "Earlier")
    older.body_html, older.thread_key = sent["html"], logged.thread_key
    db.session.commit()

    page = sign_in_as("alice@acme.example")
    seen = requests_of(page)
    open_record(page, live, f"/contacts/{contact.id}")
    for activity in (logged, older):
        card = page.locator(f'[data-activity-id="{activity.id}"]')
        card.locator("[data-expand]").click()
        expect(card.locator('.mail-body a[href="https://initech.example/pricing"]')).to_be_visible()
    thread = page.locator(f'[data-activity-id="{logged.id}"] [data-action=thread]')
    thread.click()
    expect(page.locator(".thread-item .mail-body")).to_have_count(2)
    page.wait_for_load_state("networkidle")
    screenshots(page, "timeline-logged-tracked-mail")

    assert seen, "the page made no requests at all: the listener saw nothing"
    assert [url for url in seen if "/t/" in url] == []
    hit_journal().record_pending()
    assert db.session.scalar(db.select(db.func.count(EngagementEvent.id))) == 0
