"""Notification ids commit in order, so a client resuming after the last id it saw misses none."""

from __future__ import annotations

import threading
import time

import pytest

from tests.maillog.mail import outgoing, raw
from tracklog.extensions import db
from tracklog.maillog.ingest import process_inbound
from tracklog.maillog.store import store_inbound
from tracklog.models import Notification
from tracklog.notify.feed import keep_ids_in_commit_order, latest_notification_id


def not_loggable_mail_in_another_transaction(app, account_id: int, key: str) -> threading.Thread:
    """Process an internal-only mail (which notifies its sender) in a thread of its own."""

    def run() -> None:
        """Store and process the mail in the thread's own session."""
        with app.app_context():
            mail = raw(outgoing(to=("bob@acme.example",), subject="Lunch?"))
            inbound = store_inbound(account_id, "smtp", mail, envelope_to=f"log+{key}@x")
            process_inbound(inbound.id)

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def test_a_later_commit_never_carries_a_smaller_id(app, world, database_url):
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite has one writer at a time: ids commit in order by construction")
    with app.app_context():
        keep_ids_in_commit_order()
        first = Notification(
            account_id=world.account.id, user_id=world.admin.id, kind="open", code="first_open"
        )
        db.session.add(first)
        db.session.flush()
        other = not_loggable_mail_in_another_transaction(
            app, world.account.id, world.account.bcc_key
        )
        time.sleep(0.5)  # the other transaction gets as far as it can
        with app.app_context():
            seen_by_a_client = latest_notification_id(world.admin)
        db.session.commit()
        first_id = first.id
    other.join(timeout=30)
    assert seen_by_a_client is None or seen_by_a_client < first_id
    db.session.expire_all()
    ids = db.session.scalars(db.select(Notification.id).order_by(Notification.id)).all()
    assert len(ids) == 2 and ids[0] == first_id
