"""Retention: exactly what is older than the account's periods goes, in batches, one run at a time
per account, however many processes run it."""

from __future__ import annotations

import subprocess
from datetime import timedelta
from pathlib import Path

from tests import factories
from tests.conftest import app_environment
from tests.served import TRACKLOG, clean_environment
from tracklog.extensions import db
from tracklog.models import (
    Activity,
    ActivityAssociation,
    AuditEntry,
    EngagementEvent,
    InboundMessage,
    MailAttachment,
    Message,
    utcnow,
)
from tracklog.privacy.retention import BATCH_SIZE, run_retention
from tracklog.tracking.attachments import attachment_path

DAY = timedelta(days=1)


def tracked_message(world) -> Message:
    """A tracked message of the account's user."""
    message = Message(
        account_id=world.account.id, user_id=world.user.id, public_id="tl_retention", subject="Hi"
    )
    db.session.add(message)
    db.session.commit()
    return message


def add_events(world, message: Message, count: int, age: timedelta) -> None:
    """Opens of the message that happened age ago."""
    at = utcnow() - age
    db.session.add_all(
        EngagementEvent(
            account_id=world.account.id,
            message_id=message.id,
            kind="open",
            classification="human",
            reason="a person",
            occurred_at=at,
            hit_id=f"hit-{age.days}-{n}",
        )
        for n in range(count)
    )
    db.session.commit()


def logged_mail(world, subject: str, age: timedelta, content: bytes | None = None) -> Activity:
    """A logged mail on a contact's timeline, received age ago, with a stored file."""
    contact = factories.make_contact(world.account, f"{subject.lower()}@initech.example")
    mail = factories.make_activity(world.account, [("contact", contact.id)], "email", subject)
    mail.occurred_at = utcnow() - age
    db.session.add(
        InboundMessage(
            account_id=world.account.id,
            channel="smtp",
            received_at=utcnow() - age,
            raw=b"Subject: " + subject.encode(),
            size=10,
            content_hash=subject,
            activity_id=mail.id,
        )
    )
    if content is not None:
        path = attachment_path(subject.lower() * 4)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
        db.session.add(
            MailAttachment(
                account_id=world.account.id,
                activity_id=mail.id,
                filename="a.pdf",
                content_type="application/pdf",
                size=len(content),
                sha256=subject.lower() * 4,
            )
        )
    db.session.commit()
    return mail


def count(model) -> int:
    """Rows of a table."""
    db.session.expire_all()
    return db.session.scalar(db.select(db.func.count()).select_from(model))


def test_nothing_goes_while_the_account_keeps_everything(world):
    add_events(world, tracked_message(world), 3, 4000 * DAY)
    logged_mail(world, "Ancient", 4000 * DAY)
    result = run_retention(world.account)
    assert (result.events, result.mail, result.received) == (0, 0, 0)
    assert count(EngagementEvent) == 3 and count(Activity) == 1


def test_events_older_than_the_period_go_and_newer_stay(world):
    message = tracked_message(world)
    add_events(world, message, BATCH_SIZE + 20, 40 * DAY)
    add_events(world, message, 5, 10 * DAY)
    world.account.event_retention_days = 30
    db.session.commit()
    result = run_retention(world.account)
    assert result.events == BATCH_SIZE + 20
    assert count(EngagementEvent) == 5
    entry = db.session.scalars(db.select(AuditEntry).filter_by(action="retention_run")).one()
    assert entry.actor_id is None and entry.changes["events"] == [None, BATCH_SIZE + 20]


def test_old_logged_mail_goes_with_its_timeline_entries_files_and_copies(app, world):
    old_id = logged_mail(world, "Old", 100 * DAY, content=b"%PDF old").id
    logged_mail(world, "Recent", 5 * DAY, content=b"%PDF recent")
    old_file = attachment_path("old" * 4)
    world.account.mail_retention_days = 90
    db.session.commit()
    result = run_retention(world.account)
    assert (result.mail, result.received) == (1, 1)
    assert db.session.get(Activity, old_id) is None
    assert count(ActivityAssociation) == 1 and count(MailAttachment) == 1
    assert count(InboundMessage) == 1
    assert not old_file.exists() and attachment_path("recent" * 4).exists()


def test_another_accounts_data_is_never_touched(world):
    add_events(world, tracked_message(world), 2, 40 * DAY)
    world.other_account.event_retention_days = 1
    db.session.commit()
    assert run_retention(world.other_account).events == 0
    assert count(EngagementEvent) == 2


def test_two_processes_at_once_remove_exactly_what_is_due(world, database_url, tmp_path: Path):
    message = tracked_message(world)
    add_events(world, message, 3 * BATCH_SIZE, 40 * DAY)
    add_events(world, message, 7, 1 * DAY)
    world.account.event_retention_days = 30
    db.session.commit()
    env = clean_environment(tmp_path, **app_environment(database_url, tmp_path))
    runs = [
        subprocess.Popen(
            [str(TRACKLOG), "retention", "run"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for _ in range(2)
    ]
    outputs = [run.communicate(timeout=120)[0] for run in runs]
    assert all(run.returncode == 0 for run in runs), outputs
    assert count(EngagementEvent) == 7
    audited = db.session.scalars(db.select(AuditEntry).filter_by(action="retention_run")).all()
    assert sum(entry.changes["events"][1] for entry in audited) == 3 * BATCH_SIZE
    if "postgresql" in database_url:
        assert any("another process" in output for output in outputs) or len(audited) == 1
