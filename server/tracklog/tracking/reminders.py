"""Follow-up reminders: at the due time, a task and a notification for the sender, unless the
recipients replied, opened or clicked first (people only: a machine never satisfies a reminder).

The condition is checked at the due time, not when a hit is recorded: a click can still be
reclassified as a scanner's for a burst window after it is recorded, and at the due time the
classification is settled. Each due reminder is claimed in the transaction that fires or closes
it, so it fires exactly once across processes and hosts: on PostgreSQL with SELECT … FOR UPDATE
SKIP LOCKED (another run skips the row), on SQLite with a conditional UPDATE pending → firing
whose row count says who won (SQLite has one writer at a time).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select, update

from tracklog.crm.activities import MAX_TITLE_LENGTH, Fields, new_activity
from tracklog.crm.associations import Planned, apply_associations
from tracklog.crm.explain import encode_why
from tracklog.crm.fields import to_json
from tracklog.errors import Conflict, NotFound
from tracklog.extensions import db
from tracklog.inputs import stored_integer
from tracklog.models import Contact, EngagementEvent, Message, Notification, Task, User, utcnow
from tracklog.models.reminder import CLOSED_REASONS, REMINDER_CONDITIONS, FollowUpReminder
from tracklog.models.tracking import PERSON_CLASSES
from tracklog.notify.feed import notify_follow_up, publish

log = logging.getLogger(__name__)

MAX_DAYS = 365
SCHEDULE_INTERVAL = timedelta(seconds=15)
# What the recipients did that satisfies each condition: a click or a reply shows the mail was
# read even when its images stayed blocked.
SATISFIED_BY = {"reply": ("reply",), "open": ("open", "click", "reply"), "click": ("click",)}


def reminder_json(reminder: FollowUpReminder, message: Message) -> dict[str, Any]:
    """A reminder as the API answers it."""
    return {
        "id": reminder.id,
        "message_id": message.public_id,
        "due_at": to_json(reminder.due_at),
        "unless": reminder.unless,
        "state": reminder.state,
        "closed_reason": reminder.closed_reason,
        "created_at": to_json(reminder.created_at),
        "fired_at": to_json(reminder.fired_at),
        "task_id": reminder.task_id,
    }


def _due_at(fields: Fields, now: datetime) -> datetime | None:
    """When the reminder is due: in_days from now, or due_at (exactly one), in the coming year."""
    days, moment = fields.raw("in_days"), fields.raw("due_at")
    if (days is None) == (moment is None):
        fields.errors["due_at"] = _("send either due_at or in_days")
        return None
    if days is not None:
        days = stored_integer(days, from_text=True)
        if days is None or not 1 <= days <= MAX_DAYS:
            fields.errors["in_days"] = _(
                "must be a whole number of days from 1 to %(max)d", max=MAX_DAYS
            )
            return None
        return now + timedelta(days=days)
    due_at = fields.moment("due_at")
    if due_at is not None and not now < due_at <= now + timedelta(days=MAX_DAYS):
        fields.errors["due_at"] = _(
            "must be in the future, at most %(max)d days ahead", max=MAX_DAYS
        )
    return due_at


def set_reminder(user: User, message: Message, payload: Any) -> FollowUpReminder:
    """A new pending reminder on a message the user may see, for the message's sender; commits."""
    fields = Fields(payload, user)
    now = utcnow()
    due_at = _due_at(fields, now)
    unless = "reply"
    if fields.raw("unless") is not None:
        unless = fields.choice("unless", REMINDER_CONDITIONS)
    if message.tracking == "off" and unless in ("open", "click"):
        fields.errors["unless"] = _("this mail is not tracked: only a reply can be seen")
    fields.check()
    reminder = FollowUpReminder(
        account_id=message.account_id,
        message_id=message.id,
        user_id=message.user_id,
        due_at=due_at,
        unless=unless,
        created_at=now,
    )
    db.session.add(reminder)
    db.session.commit()
    return reminder


def message_reminders(message: Message) -> list[FollowUpReminder]:
    """Every reminder of a message, soonest due first."""
    query = select(FollowUpReminder).where(
        FollowUpReminder.account_id == message.account_id,
        FollowUpReminder.message_id == message.id,
    )
    return list(db.session.scalars(query.order_by(FollowUpReminder.due_at, FollowUpReminder.id)))


def cancel_reminder(message: Message, reminder_id: int) -> FollowUpReminder:
    """Cancel a pending reminder of the message; commits. One that fired or closed stays."""
    reminder = db.session.scalar(
        select(FollowUpReminder).where(
            FollowUpReminder.account_id == message.account_id,
            FollowUpReminder.message_id == message.id,
            FollowUpReminder.id == reminder_id,
        )
    )
    if reminder is None:
        raise NotFound(_("There is no reminder %(id)s.", id=reminder_id))
    cancelled = db.session.execute(
        update(FollowUpReminder)
        .where(FollowUpReminder.id == reminder.id, FollowUpReminder.state == "pending")
        .values(state="cancelled")
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    if not cancelled:
        raise Conflict(_("Only a pending reminder can be cancelled."), code="not_pending")
    db.session.refresh(reminder)
    return reminder


def condition_met(reminder: FollowUpReminder, message: Message) -> str | None:
    """Why the reminder need not fire (replied, opened, clicked), or None: the earliest event of
    a person since the message was sent that satisfies its condition."""
    kind = db.session.scalar(
        select(EngagementEvent.kind)
        .where(
            EngagementEvent.account_id == message.account_id,
            EngagementEvent.message_id == message.id,
            EngagementEvent.kind.in_(SATISFIED_BY[reminder.unless]),
            EngagementEvent.classification.in_(PERSON_CLASSES),
            EngagementEvent.counted.is_(True),
            EngagementEvent.occurred_at >= message.sent_at,
        )
        .order_by(EngagementEvent.occurred_at, EngagementEvent.id)
        .limit(1)
    )
    return CLOSED_REASONS[kind] if kind else None


def _recipients(message: Message) -> tuple[str, list[Contact]]:
    """The tracked recipients (all of them if none is tracked) by name, and their contacts."""
    chosen = [r for r in message.recipients if r.track] or list(message.recipients)
    ids = [r.contact_id for r in chosen if r.contact_id]
    contacts = {
        contact.id: contact
        for contact in db.session.scalars(
            select(Contact).where(Contact.account_id == message.account_id, Contact.id.in_(ids))
        )
    }
    names = [
        (contacts[r.contact_id].name if r.contact_id in contacts else "") or r.email for r in chosen
    ]
    return ", ".join(names), [contacts[i] for i in dict.fromkeys(ids) if i in contacts]


def _follow_up_task(message: Message, sender: User, contacts: list[Contact]) -> Task:
    """The sender's task to follow up, due now, on the recipients' contacts (not committed)."""
    with force_locale(sender.locale or "en"):
        title = _("Follow up: %(subject)s", subject=message.subject)[:MAX_TITLE_LENGTH]
    notes = f"{current_app.config['BASE_URL']}/messages/{message.public_id}"
    first = contacts[0] if contacts else None
    task = Task(
        account_id=message.account_id,
        title=title,
        notes=notes,
        due_at=utcnow(),
        owner_id=sender.id,
        record_type="contact" if first else None,
        record_id=first.id if first else None,
    )
    db.session.add(task)
    db.session.flush()
    activity = new_activity(sender, "task", title, notes, utcnow())
    activity.task_id = task.id
    db.session.add(activity)
    db.session.flush()
    why = encode_why("follow_up_reminder", subject=message.subject)
    apply_associations(activity, [Planned("contact", c.id, "automatic", why) for c in contacts])
    return task


def _claim_next(now: datetime, passed_over: set[int]) -> FollowUpReminder | None:
    """The next due pending reminder, claimed by this transaction (no other run gets it)."""
    due = (
        select(FollowUpReminder)
        .where(
            FollowUpReminder.state == "pending",
            FollowUpReminder.due_at <= now,
            FollowUpReminder.id.not_in(passed_over),
        )
        .order_by(FollowUpReminder.due_at, FollowUpReminder.id)
    )
    if db.session.get_bind().dialect.name == "postgresql":
        claimed = due.limit(1).with_for_update(skip_locked=True)
        return db.session.scalar(claimed.execution_options(populate_existing=True))
    for reminder_id in list(db.session.scalars(due.with_only_columns(FollowUpReminder.id))):
        claimed = db.session.execute(
            update(FollowUpReminder)
            .where(FollowUpReminder.id == reminder_id, FollowUpReminder.state == "pending")
            .values(state="firing")
            .execution_options(synchronize_session=False)
        ).rowcount
        if claimed:
            return db.session.get(FollowUpReminder, reminder_id, populate_existing=True)
    return None


def settle(reminder: FollowUpReminder, now: datetime) -> Notification | None:
    """Close the claimed reminder if its condition was met, else fire it: the task and the
    sender's notification, which it answers. The caller commits."""
    message = db.session.get(Message, reminder.message_id)
    reason = condition_met(reminder, message)
    if reason:
        reminder.state, reminder.closed_reason = "closed", reason
        return None
    sender = db.session.get(User, reminder.user_id)
    names, contacts = _recipients(message)
    task = _follow_up_task(message, sender, contacts)
    reminder.state, reminder.fired_at, reminder.task_id = "fired", now, task.id
    return notify_follow_up(reminder.unless, message, sender, names, now)


@dataclass
class ReminderRun:
    """What one run of the scheduler did."""

    fired: int = 0
    closed: int = 0


def run_due_reminders(now: datetime | None = None) -> ReminderRun:
    """Fire or close every due reminder, each in a transaction of its own that claims it; the
    notifications are published once committed. A reminder that fails is logged and left
    pending for the next run, and never holds up the others."""
    run, failed = ReminderRun(), set()
    while True:
        moment = now or utcnow()
        reminder = _claim_next(moment, failed)
        if reminder is None:
            db.session.commit()
            return run
        reminder_id = reminder.id
        try:
            notification = settle(reminder, moment)
            db.session.commit()
        except Exception:  # noqa: BLE001 - logged; the reminder stays pending for the next run
            db.session.rollback()
            log.exception("follow-up reminder %s failed; it is tried again", reminder_id)
            failed.add(reminder_id)
            continue
        if notification is None:
            run.closed += 1
        else:
            run.fired += 1
            publish([notification])


class ReminderSchedule:
    """Runs the due reminders every SCHEDULE_INTERVAL from the hit recorder's housekeeping."""

    def __init__(self) -> None:
        self.next_run = utcnow()

    def run_if_due(self) -> datetime:
        """Run the due reminders if the interval has passed (a failure waits for the next run);
        when the next run is due."""
        if utcnow() >= self.next_run:
            self.next_run = utcnow() + SCHEDULE_INTERVAL
            try:
                run_due_reminders()
            except Exception:  # noqa: BLE001 - logged; the next run tries again
                log.exception("follow-up reminders failed; they run again shortly")
                db.session.rollback()
        return self.next_run
