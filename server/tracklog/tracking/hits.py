"""Who records tracking hits: the app's hit journal and its reader, chosen by configuration.

Every process journals the hits it answers (tracking/journal.py). Which process reads the journals
into the database is the Config value HIT_RECORDER_THREAD: a thread of the app (development,
tests), or none, when `tracklog serve`'s `record-hits` child reads them (serving.py turns the
thread off for its workers; the child runs `HitJournal.run` itself). The reader records each batch
(recording.record_hits) and, as its housekeeping, releases held click notifications when they
are due, fires or closes the due follow-up reminders every 15 seconds (tracking/reminders.py),
and starts the hourly retention run (privacy/retention.py) and a pass of the webhooks' dispatcher
(webhooks/dispatch.py, at most ten seconds apart) and of the mailboxes' sync (mailbox/schedule.py),
each on a thread of its own (background.py).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask, current_app

from tracklog.background import BackgroundPass
from tracklog.mailbox.schedule import SYNC_POLL, run_due_syncs
from tracklog.models import utcnow
from tracklog.privacy.retention import (
    FIRST_RUN_AFTER,
    RETENTION_INTERVAL,
    run_retention_everywhere,
)
from tracklog.tracking.journal import HitJournal
from tracklog.tracking.recording import record_hits, release_held_notifications
from tracklog.tracking.reminders import ReminderSchedule
from tracklog.webhooks.dispatch import POLL, deliver_due

EXTENSION = "tracklog.hits"


class AppRecorder:
    """The journal reader's work, each step in an app context of its own."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.retention = BackgroundPass(
            app, "retention", run_retention_everywhere, RETENTION_INTERVAL, FIRST_RUN_AFTER
        )
        self.webhooks = BackgroundPass(app, "webhooks", deliver_due, POLL)
        self.mailboxes = BackgroundPass(app, "mailbox sync", run_due_syncs, SYNC_POLL)
        self.reminders = ReminderSchedule()

    def record(self, entries: list[dict[str, Any]]) -> None:
        """Record a batch of journaled hits."""
        with self.app.app_context():
            record_hits(entries)

    def housekeeping(self) -> float:
        """Send the held click notifications that are due, settle the due reminders, start
        retention and a webhooks pass when they are due (on threads: a long purge or a slow
        receiver never holds up recording); seconds until the next of these is due."""
        self.retention.start_if_due()
        webhooks_due = self.webhooks.start_if_due()
        mailboxes_due = self.mailboxes.start_if_due()
        with self.app.app_context():
            held = release_held_notifications()
            next_reminders = self.reminders.run_if_due()
        due = [webhooks_due, mailboxes_due, held, next_reminders]
        return (min(filter(None, due)) - utcnow()).total_seconds()


def init_hit_recording(app: Flask) -> None:
    """Give the app its hit journal, read by a thread of its own when the configuration says so."""
    recorder = AppRecorder(app)
    app.extensions[EXTENSION] = HitJournal(
        Path(app.instance_path) / "journal",
        recorder.record,
        run_thread=app.config["HIT_RECORDER_THREAD"],
        housekeeping=recorder.housekeeping,
    )


def hit_journal(app: Flask | None = None) -> HitJournal:
    """The app's hit journal (the current app's by default)."""
    return (app or current_app).extensions[EXTENSION]
