"""The message page's follow-up reminders in Chromium, in English, Japanese and Swedish: set one
with the form, cancel it, and see one that fired with its state."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from tests.browser import (  # noqa: F401 - the live server and its app, on SQLite
    app,
    base_url,
    live,
    port,
    screenshots,
)
from tests.crm.test_e2e_timeline import app_config  # noqa: F401
from tests.tracking.helpers import compose
from tracklog.extensions import db
from tracklog.models import FollowUpReminder, utcnow
from tracklog.tracking.reminders import run_due_reminders

SET = {
    "en": "The reminder is set.",
    "ja": "リマインダーを設定しました。",
    "sv": "Påminnelsen är inlagd.",
}
CANCELLED = {
    "en": "The reminder was cancelled.",
    "ja": "リマインダーを取り消しました。",
    "sv": "Påminnelsen togs bort.",
}
FIRED = {
    "en": "a follow-up task was created",
    "ja": "フォローアップのタスクを作成しました",
    "sv": "en uppföljningsuppgift skapades",
}


@pytest.mark.parametrize("locale", ["en", "ja", "sv"])
def test_a_reminder_is_set_cancelled_and_seen_fired_on_the_message_page(
    sign_in_as: Any,
    live: Any,  # noqa: F811
    api: Any,
    world: Any,
    screenshots: Any,  # noqa: F811
    locale: str,
) -> None:
    world.admin.locale = locale
    db.session.commit()
    sent = compose(api, ["peter@initech.example"])
    page = sign_in_as(world.admin.email)
    page.goto(f"{live.url}/messages/{sent['message_id']}")
    page.fill("#reminder-days", "5")
    page.select_option("#reminder-unless", "open")
    page.click(".reminder-form button[type=submit]")
    page.wait_for_selector(".flash")
    assert SET[locale] in page.inner_text(".flash")
    [reminder] = db.session.scalars(db.select(FollowUpReminder)).all()
    assert reminder.unless == "open" and reminder.state == "pending"
    assert timedelta(days=4, hours=23) < reminder.due_at - utcnow() <= timedelta(days=5)
    assert page.is_visible(".reminder-pending .cancel-reminder")

    page.click(".reminder-pending .cancel-reminder")
    page.wait_for_selector(".reminder-cancelled")
    assert CANCELLED[locale] in page.inner_text(".flash")
    db.session.refresh(reminder)
    assert reminder.state == "cancelled"

    page.fill("#reminder-days", "1")
    page.click(".reminder-form button[type=submit]")
    page.wait_for_selector(".reminder-pending")
    assert run_due_reminders(utcnow() + timedelta(days=2)).fired == 1
    page.reload()
    assert FIRED[locale] in page.inner_text(".reminder-fired")
    screenshots(page, f"message-reminders-{locale}")
