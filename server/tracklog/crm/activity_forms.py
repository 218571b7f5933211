"""The record page's forms that create a task, log a call or log a meeting by hand."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from tracklog.crm import activities
from tracklog.crm.activities import Creator
from tracklog.crm.paths import RECORD_ROUTE, SINGULARS
from tracklog.errors import ValidationFailed

activity_forms = Blueprint("activity_forms", __name__)

ACTIVITY_FIELD_LABELS = {
    "title": _l("Title"),
    "due_at": _l("Due"),
    "owner_id": _l("Owner"),
    "notes": _l("Notes"),
    "outcome": _l("Outcome"),
    "duration_minutes": _l("Duration in minutes"),
    "occurred_at": _l("When"),
    "starts_at": _l("Starts"),
    "ends_at": _l("Ends"),
    "attendees": _l("Attendees"),
}

CALL_OUTCOME_LABELS = {
    "connected": _l("Connected"),
    "left_voicemail": _l("Left voicemail"),
    "left_live_message": _l("Left live message"),
    "no_answer": _l("No answer"),
    "busy": _l("Busy"),
    "wrong_number": _l("Wrong number"),
}


def submit(plural: str, record_id: int, create: Creator, done: str) -> Response:
    """Create the activity from the posted form and go back to the record's timeline."""
    try:
        create(current_user, SINGULARS[plural], record_id, request.form.to_dict(flat=True))
    except ValidationFailed as error:
        problems = error.details.get("fields", {})
        named = "; ".join(f"{ACTIVITY_FIELD_LABELS.get(k, k)}: {v}" for k, v in problems.items())
        flash(f"{error.message} {named}", "error")
    else:
        flash(done, "success")
    page = url_for("record_pages.record_page", plural=plural, record_id=record_id)
    return redirect(page + "#timeline")


@activity_forms.post(f"/{RECORD_ROUTE}/<int:record_id>/tasks")
@login_required
def add_task(plural: str, record_id: int) -> Response:
    """Create a task about this record."""
    return submit(plural, record_id, activities.add_task, _("Task created."))


@activity_forms.post(f"/{RECORD_ROUTE}/<int:record_id>/calls")
@login_required
def log_call(plural: str, record_id: int) -> Response:
    """Log a call on this record."""
    return submit(plural, record_id, activities.log_call, _("Call logged."))


@activity_forms.post(f"/{RECORD_ROUTE}/<int:record_id>/meetings")
@login_required
def log_meeting(plural: str, record_id: int) -> Response:
    """Log a meeting on this record."""
    return submit(plural, record_id, activities.log_meeting, _("Meeting logged."))


@activity_forms.app_context_processor
def call_outcomes() -> dict[str, Any]:
    """Translated call outcomes for the forms and the timeline cards."""
    return {"call_outcome_labels": CALL_OUTCOME_LABELS}
