"""Tasks, calls and meetings a salesperson adds by hand to a record's timeline."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from flask_babel import gettext as _
from markupsafe import escape
from sqlalchemy import select

from tracklog.crm.associations import Planned, apply_associations, record_label
from tracklog.crm.explain import encode_why
from tracklog.crm.people import contacts_by_email
from tracklog.crm.timeline import require_record
from tracklog.errors import ValidationFailed
from tracklog.extensions import db
from tracklog.i18n import known_zone
from tracklog.inputs import stored_integer
from tracklog.mailaddress import normalise_email
from tracklog.models import Activity, Task, User, utcnow

CALL_OUTCOMES = (
    "connected",
    "left_voicemail",
    "left_live_message",
    "no_answer",
    "busy",
    "wrong_number",
)
MAX_TITLE_LENGTH = 300
MAX_NOTES_LENGTH = 65_536
MAX_CALL_MINUTES = 24 * 60
MAX_MEETING_LENGTH = timedelta(days=7)
MAX_ATTENDEES = 100
# add_task, log_call and log_meeting: (user, record type, record id, fields) -> the activity.
Creator = Callable[[User, str, int, Any], Activity]


class Fields:
    """The fields of one submitted activity, read one by one, with every problem collected."""

    def __init__(self, payload: Any, user: User) -> None:
        if not isinstance(payload, dict):
            raise ValidationFailed(_("Send a JSON object."))
        self.payload = payload
        self.zone = known_zone(user.time_zone)
        self.errors: dict[str, str] = {}

    def raw(self, name: str) -> Any:
        """A field as sent; an empty string counts as absent (forms send those)."""
        value = self.payload.get(name)
        return None if isinstance(value, str) and not value.strip() else value

    def text(self, name: str, limit: int, required: bool = False) -> str:
        """A trimmed text of at most limit characters."""
        value = self.raw(name)
        if value is None:
            if required:
                self.errors[name] = _("required")
            return ""
        if not isinstance(value, str):
            self.errors[name] = _("must be a string")
            return ""
        if len(value.strip()) > limit:
            self.errors[name] = _("at most %(count)d characters", count=limit)
        return value.strip()[:limit]

    def moment(self, name: str, required: bool = False) -> datetime | None:
        """An ISO 8601 date and time; without an offset it is in the user's time zone."""
        value = self.raw(name)
        if value is None:
            if required:
                self.errors[name] = _("required")
            return None
        try:
            moment = datetime.fromisoformat(str(value).strip().replace("Z", "+00:00"))
        except ValueError:
            self.errors[name] = _("must be a date and time like 2026-05-31T14:30")
            return None
        return moment if moment.tzinfo else moment.replace(tzinfo=self.zone)

    def choice(self, name: str, choices: tuple[str, ...]) -> str:
        """One of a fixed set of values (required)."""
        value = self.raw(name)
        if value not in choices:
            self.errors[name] = _("must be one of: %(choices)s", choices=", ".join(choices))
            return ""
        return value

    def minutes(self, name: str, limit: int) -> int | None:
        """A whole number of minutes from 0 to limit."""
        value = self.raw(name)
        if value is None:
            return None
        value = stored_integer(value, from_text=True)
        if value is None or not 0 <= value <= limit:
            self.errors[name] = _("must be a whole number of minutes from 0 to %(max)d", max=limit)
            return None
        return value

    def owner(self, name: str, user: User) -> int:
        """A user of the caller's account (the caller when absent)."""
        value = self.raw(name)
        if value is None:
            return user.id
        value = stored_integer(value, from_text=True)
        owner = None
        if value is not None:
            owner = db.session.scalar(
                select(User.id).where(User.id == value, User.account_id == user.account_id)
            )
        if owner is None:
            self.errors[name] = _("not a user of this account")
            return user.id
        return owner

    def addresses(self, name: str) -> list[str]:
        """Mail addresses: a list, or text separated by commas, semicolons or line breaks."""
        value = self.raw(name)
        if value is None:
            return []
        if isinstance(value, str):
            value = value.replace(";", ",").replace("\n", ",").split(",")
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            self.errors[name] = _("must be a list of addresses")
            return []
        addresses = []
        for item in (item for item in value if item.strip()):
            try:
                addresses.append(normalise_email(item, name))
            except ValidationFailed:
                self.errors[name] = _("%(value)s is not a valid address", value=item.strip())
        if len(addresses) > MAX_ATTENDEES:
            self.errors[name] = _("at most %(count)d attendees", count=MAX_ATTENDEES)
        return list(dict.fromkeys(addresses))

    def check(self) -> None:
        """Raise one ValidationFailed naming every bad field."""
        if self.errors:
            raise ValidationFailed(
                _("Some fields are not valid."), details={"fields": dict(self.errors)}
            )


def plain_text_html(text: str) -> str:
    """Text typed in a form as safe HTML, its line breaks kept."""
    return str(escape(text.strip())).replace("\r\n", "\n").replace("\n", "<br>")


def place_activity(
    user: User,
    activity: Activity,
    record_type: str,
    record_id: int,
    attendees: list[str] | None = None,
) -> Activity:
    """Store an activity on the record's timeline (and on its attendees' timelines); commit."""
    db.session.add(activity)
    db.session.flush()
    why = encode_why("added_by_user", user=user.display_name)
    planned = [Planned(record_type, record_id, "manual", why)]
    for contact in contacts_by_email(user.account_id, attendees or []).values():
        planned.append(Planned("contact", contact.id, "automatic", encode_why("meeting_attendee")))
    apply_associations(activity, planned)
    db.session.commit()
    return activity


def new_activity(user: User, kind: str, subject: str, notes: str, at: datetime) -> Activity:
    """An activity of the user's account, written by the user."""
    return Activity(
        account_id=user.account_id,
        type=kind,
        subject=subject,
        body_html=plain_text_html(notes),
        body_text=notes,
        occurred_at=at,
        owner_id=user.id,
    )


def add_task(user: User, record_type: str, record_id: int, payload: Any) -> Activity:
    """A task about a record: on its timeline and in its owner's task list."""
    require_record(user, record_type, record_id)
    fields = Fields(payload, user)
    title = fields.text("title", MAX_TITLE_LENGTH, required=True)
    notes = fields.text("notes", MAX_NOTES_LENGTH)
    due_at = fields.moment("due_at")
    owner_id = fields.owner("owner_id", user)
    fields.check()
    task = Task(
        account_id=user.account_id,
        title=title,
        notes=notes,
        due_at=due_at,
        owner_id=owner_id,
        record_type=record_type,
        record_id=record_id,
    )
    db.session.add(task)
    db.session.flush()
    activity = new_activity(user, "task", title, notes, utcnow())
    activity.task_id = task.id
    return place_activity(user, activity, record_type, record_id)


def log_call(user: User, record_type: str, record_id: int, payload: Any) -> Activity:
    """A call that took place, with its outcome and length, on the record's timeline."""
    record = require_record(user, record_type, record_id)
    fields = Fields(payload, user)
    outcome = fields.choice("outcome", CALL_OUTCOMES)
    minutes = fields.minutes("duration_minutes", MAX_CALL_MINUTES)
    at = fields.moment("occurred_at") or utcnow()
    title = fields.text("title", MAX_TITLE_LENGTH) or record_label(record)
    notes = fields.text("notes", MAX_NOTES_LENGTH)
    fields.check()
    activity = new_activity(user, "call", title, notes, at)
    activity.details = {"outcome": outcome, "duration_minutes": minutes}
    return place_activity(user, activity, record_type, record_id)


def log_meeting(user: User, record_type: str, record_id: int, payload: Any) -> Activity:
    """A meeting from its start to its end, on the record's and its attendees' timelines."""
    require_record(user, record_type, record_id)
    fields = Fields(payload, user)
    title = fields.text("title", MAX_TITLE_LENGTH, required=True)
    starts_at = fields.moment("starts_at", required=True)
    ends_at = fields.moment("ends_at", required=True)
    attendees = fields.addresses("attendees")
    notes = fields.text("notes", MAX_NOTES_LENGTH)
    if starts_at and ends_at and not starts_at <= ends_at <= starts_at + MAX_MEETING_LENGTH:
        fields.errors["ends_at"] = _("must be after the start and at most seven days later")
    fields.check()
    activity = new_activity(user, "meeting", title, notes, starts_at)
    activity.details = {
        "ends_at": ends_at.astimezone(UTC).isoformat().replace("+00:00", "Z"),
        "attendees": attendees,
    }
    return place_activity(user, activity, record_type, record_id, attendees)
