"""Timelines, notes, pins, activity associations, record associations and tasks under /api/v1."""

from __future__ import annotations

from typing import Any

from flask import Response, g, jsonify, request
from flask_babel import gettext as _
from sqlalchemy import select

from tracklog.api import api, requested_limit
from tracklog.crm import activities, deal_mail, timeline
from tracklog.crm.deals import open_tasks
from tracklog.crm.fields import to_json
from tracklog.crm.legalbasis import set_legal_basis
from tracklog.crm.related import link_records, related_records, unlink_records
from tracklog.errors import NotFound, ValidationFailed
from tracklog.extensions import db
from tracklog.inputs import json_object
from tracklog.models import Activity, Task
from tracklog.partners.notes import delete_everywhere, post_note


@api.get("/records/<record_type>/<int:record_id>/timeline")
def record_timeline(record_type: str, record_id: int) -> Response:
    """The record's activities newest first, the pinned one first; ?types= or your saved filter."""
    types = timeline.parse_types(request.args["types"]) if "types" in request.args else None
    page = timeline.timeline_page(
        g.api_user, record_type, record_id, types, request.args.get("cursor"), requested_limit()
    )
    return jsonify(page)


@api.post("/contacts/legal-basis")
def set_contacts_legal_basis() -> Response:
    """Give many contacts one legal basis, or none (null); how many were changed."""
    payload = json_object()
    if "legal_basis" not in payload:
        raise ValidationFailed(
            _("Say which legal basis to set (null for none)."),
            details={"fields": {"legal_basis": _("required")}},
        )
    updated = set_legal_basis(g.api_user, payload.get("ids"), payload["legal_basis"])
    return jsonify({"updated": updated, "legal_basis": payload["legal_basis"] or None})


@api.post("/records/<record_type>/<int:record_id>/notes")
def add_note(record_type: str, record_id: int) -> tuple[Response, int]:
    """Add a note to the record's timeline; "shared": true on a shared deal shares it."""
    body = json_object()
    note = post_note(
        g.api_user, record_type, record_id, body.get("body"), body.get("shared", False)
    )
    return jsonify(timeline.activities_json([note.id], None)[0]), 201


def activity_created(activity: Activity) -> tuple[Response, int]:
    """The new timeline item as the timeline shows it."""
    return jsonify(timeline.activities_json([activity.id], None)[0]), 201


@api.post("/records/<record_type>/<int:record_id>/tasks")
def add_task(record_type: str, record_id: int) -> tuple[Response, int]:
    """Create a task about the record: on its timeline and in its owner's task list."""
    return activity_created(activities.add_task(g.api_user, record_type, record_id, json_object()))


@api.post("/records/<record_type>/<int:record_id>/calls")
def log_call(record_type: str, record_id: int) -> tuple[Response, int]:
    """Log a call with the record's people: its outcome, length and notes."""
    return activity_created(activities.log_call(g.api_user, record_type, record_id, json_object()))


@api.post("/records/<record_type>/<int:record_id>/meetings")
def log_meeting(record_type: str, record_id: int) -> tuple[Response, int]:
    """Log a meeting on the record's timeline and on the timelines of attendees who are contacts."""
    meeting = activities.log_meeting(g.api_user, record_type, record_id, json_object())
    return activity_created(meeting)


@api.put("/records/<record_type>/<int:record_id>/pin")
def pin(record_type: str, record_id: int) -> Response:
    """Pin an activity to the top of the record's timeline (409 already_pinned for a second)."""
    activity_id = json_object().get("activity_id")
    pinned = timeline.pin(g.api_user, record_type, record_id, activity_id)
    return jsonify(
        {"record_type": record_type, "record_id": record_id, "activity_id": pinned.activity_id}
    )


@api.delete("/records/<record_type>/<int:record_id>/pin")
def unpin(record_type: str, record_id: int) -> tuple[str, int]:
    """Unpin the record's pinned activity."""
    timeline.unpin(g.api_user, record_type, record_id)
    return "", 204


@api.put("/activities/<int:activity_id>/associations")
def set_activity_associations(activity_id: int) -> Response:
    """Put the activity on exactly these records' timelines: {"associations": [{type, id}]}."""
    activity = timeline.set_activity_associations(
        g.api_user, activity_id, json_object().get("associations")
    )
    return jsonify(timeline.activities_json([activity.id], None)[0])


@api.post("/activities/<int:activity_id>/move")
def move_activity(activity_id: int) -> Response:
    """Move a mail off a deal onto another: {"from_deal", "to_deal"}; to_deal null makes a new deal
    (named new_deal_name, else after the mail) in the default pipeline, linked to its contacts."""
    body = json_object()
    if "to_deal" not in body:
        raise ValidationFailed(
            _("to_deal must be a deal's id, or null for a new deal."),
            details={"fields": {"to_deal": "required"}},
        )
    deal_mail.move_to_deal(
        g.api_user, activity_id, body.get("from_deal"), body["to_deal"], body.get("new_deal_name")
    )
    return jsonify(timeline.activities_json([activity_id], None)[0])


@api.get("/records/deal/<int:deal_id>/contact-mail")
def deal_contact_mail(deal_id: int) -> Response:
    """The mail on the timelines of the deal's contacts, newest first, each saying whether it is
    on this deal and naming the deals of its contacts."""
    page = deal_mail.contact_mail_page(
        g.api_user, deal_id, request.args.get("cursor"), requested_limit()
    )
    return jsonify(page)


@api.delete("/activities/<int:activity_id>")
def delete_activity(activity_id: int) -> tuple[str, int]:
    """Delete an activity from every timeline (a shared note from both sides)."""
    delete_everywhere(g.api_user, activity_id)
    return "", 204


@api.get("/timeline-filters/<object_type>")
def get_timeline_filter(object_type: str) -> Response:
    """The activity types you show on every timeline of this record type."""
    return jsonify(
        {"object_type": object_type, "types": timeline.saved_types(g.api_user, object_type)}
    )


@api.put("/timeline-filters/<object_type>")
def put_timeline_filter(object_type: str) -> Response:
    """Save the activity types you show on every timeline of this record type."""
    types = timeline.save_types(g.api_user, object_type, json_object().get("types"))
    return jsonify({"object_type": object_type, "types": types})


@api.get("/records/<record_type>/<int:record_id>/associations")
def get_related(record_type: str, record_id: int) -> Response:
    """The records associated with this one, by type."""
    return jsonify(related_records(g.api_user, record_type, record_id))


@api.post("/records/<record_type>/<int:record_id>/associations")
def add_related(record_type: str, record_id: int) -> tuple[Response, int]:
    """Associate another record with this one: {"type", "id"}."""
    body = json_object()
    link_records(g.api_user, record_type, record_id, body.get("type"), body.get("id"))
    return jsonify(related_records(g.api_user, record_type, record_id)), 201


@api.delete("/records/<record_type>/<int:record_id>/associations/<other_type>/<int:other_id>")
def remove_related(record_type: str, record_id: int, other_type: str, other_id: int):
    """Remove the association between two records."""
    unlink_records(g.api_user, record_type, record_id, other_type, other_id)
    return "", 204


def task_json(task: Task) -> dict[str, Any]:
    """A task as the API shows it."""
    return {
        "id": task.id,
        "title": task.title,
        "due_at": to_json(task.due_at),
        "done": task.done,
        "owner_id": task.owner_id,
        "record_type": task.record_type,
        "record_id": task.record_id,
        "stage_id": task.stage_id,
    }


@api.get("/tasks")
def list_tasks() -> Response:
    """Open tasks: yours, or everyone's in the account with ?all=1."""
    tasks = open_tasks(g.api_user, mine_only=request.args.get("all") != "1")
    return jsonify({"items": [task_json(task) for task in tasks], "next_cursor": None})


@api.patch("/tasks/<int:task_id>")
def update_task(task_id: int) -> Response:
    """Mark a task done (or not): {"done": true}."""
    done = json_object().get("done")
    if not isinstance(done, bool):
        raise ValidationFailed(
            _("done must be true or false."), details={"fields": {"done": "boolean"}}
        )
    task = db.session.scalar(
        select(Task).where(Task.id == task_id, Task.account_id == g.api_user.account_id)
    )
    if task is None:
        raise NotFound(_("There is no task %(id)s.", id=task_id))
    task.done = done
    db.session.commit()
    return jsonify(task_json(task))
