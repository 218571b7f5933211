"""Tasks, calls and meetings added by hand: through the API and the record page, on the timeline
(with its type filter), and tasks in the task list."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests import factories
from tests.api.test_records import assert_error
from tests.crm.test_board_pages import sign_in
from tracklog.extensions import db
from tracklog.models import Task


def timeline(api, record_type: str, record_id: int, types: str) -> list[dict]:
    """The record's timeline items of some types."""
    response = api.get(f"/records/{record_type}/{record_id}/timeline?types={types}")
    assert response.status_code == 200
    return response.json["items"]


def test_a_task_made_through_the_api_is_on_the_timeline_and_in_the_task_list(api, world):
    deal = factories.make_deal(world.account)
    created = api.post(
        f"/records/deal/{deal.id}/tasks",
        {"title": "Send the revised quote", "due_at": "2030-03-04T09:30:00Z", "notes": "v2"},
    )
    assert created.status_code == 201, created.json
    item = created.json
    assert item["type"] == "task" and item["subject"] == "Send the revised quote"
    assert item["task"]["due_at"] == "2030-03-04T09:30:00Z" and item["task"]["done"] is False
    assert [i["id"] for i in timeline(api, "deal", deal.id, "task")] == [item["id"]]
    assert timeline(api, "deal", deal.id, "note,call,meeting") == []
    tasks = api.get("/tasks").json["items"]
    assert [(t["title"], t["record_type"], t["record_id"]) for t in tasks] == [
        ("Send the revised quote", "deal", deal.id)
    ]
    api.patch(f"/tasks/{tasks[0]['id']}", {"done": True})
    assert timeline(api, "deal", deal.id, "task")[0]["task"]["done"] is True


def test_a_task_without_an_offset_is_due_in_the_users_own_time_zone(api, world):
    world.admin.time_zone = "Asia/Tokyo"
    db.session.commit()
    contact = factories.make_contact(world.account)
    item = api.post(
        f"/records/contact/{contact.id}/tasks", {"title": "Call back", "due_at": "2030-03-04T09:30"}
    ).json
    assert item["task"]["due_at"] == "2030-03-04T00:30:00Z"


def test_a_call_keeps_its_outcome_and_length(api, world):
    contact = factories.make_contact(world.account, first_name="Peter", last_name="Gibbons")
    item = api.post(
        f"/records/contact/{contact.id}/calls",
        {
            "outcome": "connected",
            "duration_minutes": 25,
            "occurred_at": "2026-01-05T10:00:00+01:00",
            "notes": "Budget approved.",
        },
    ).json
    assert item["type"] == "call" and item["subject"] == "Peter Gibbons"
    assert item["details"] == {"outcome": "connected", "duration_minutes": 25}
    assert item["occurred_at"] == "2026-01-05T09:00:00Z"
    assert [i["id"] for i in timeline(api, "contact", contact.id, "call")] == [item["id"]]


def test_a_meeting_is_also_on_the_timelines_of_attendees_who_are_contacts(api, world):
    deal = factories.make_deal(world.account)
    peter = factories.make_contact(world.account, "peter@initech.example")
    item = api.post(
        f"/records/deal/{deal.id}/meetings",
        {
            "title": "Contract review",
            "starts_at": "2026-02-01T13:00:00Z",
            "ends_at": "2026-02-01T14:00:00Z",
            "attendees": ["Peter@Initech.example", "someone@elsewhere.example"],
        },
    ).json
    assert item["details"] == {
        "ends_at": "2026-02-01T14:00:00Z",
        "attendees": ["peter@initech.example", "someone@elsewhere.example"],
    }
    assert {(a["type"], a["id"]) for a in item["associations"]} == {
        ("deal", deal.id),
        ("contact", peter.id),
    }
    assert [i["id"] for i in timeline(api, "contact", peter.id, "meeting")] == [item["id"]]


@pytest.mark.parametrize(
    ("kind", "body", "fields"),
    [
        ("tasks", {}, {"title"}),
        ("tasks", {"title": "x", "due_at": "next week", "owner_id": "abc"}, {"due_at", "owner_id"}),
        ("tasks", {"title": 5, "owner_id": True}, {"title", "owner_id"}),
        ("calls", {"outcome": "shouted", "duration_minutes": -3}, {"outcome", "duration_minutes"}),
        ("calls", {"outcome": "busy", "duration_minutes": "1e3"}, {"duration_minutes"}),
        (
            "meetings",
            {"title": "x", "starts_at": "2026-02-01T13:00Z", "ends_at": "2026-02-01T12:00Z"},
            {"ends_at"},
        ),
        (
            "meetings",
            {"title": "x", "attendees": ["not an address"]},
            {"starts_at", "ends_at", "attendees"},
        ),
    ],
)
def test_bad_input_names_each_bad_field(api, world, kind, body, fields):
    contact = factories.make_contact(world.account)
    error = assert_error(
        api.post(f"/records/contact/{contact.id}/{kind}", body), 422, "validation_failed"
    )
    assert set(error["details"]["fields"]) == fields
    assert timeline(api, "contact", contact.id, "task,call,meeting") == []


def test_a_body_that_is_not_an_object_and_a_missing_record_are_clear_errors(api, world):
    contact = factories.make_contact(world.account)
    listed = api.post(f"/records/contact/{contact.id}/calls", ["busy"])
    assert_error(listed, 422, "invalid_json")
    assert_error(api.post("/records/contact/999999/calls", {"outcome": "busy"}), 404, "not_found")
    theirs = factories.make_contact(world.other_account)
    assert_error(api.post(f"/records/contact/{theirs.id}/tasks", {"title": "x"}), 404, "not_found")


def test_a_task_for_another_accounts_user_is_refused(api, world):
    contact = factories.make_contact(world.account)
    response = api.post(
        f"/records/contact/{contact.id}/tasks", {"title": "x", "owner_id": world.other_admin.id}
    )
    assert set(assert_error(response, 422, "validation_failed")["details"]["fields"]) == {
        "owner_id"
    }


def test_the_record_page_creates_tasks_calls_and_meetings(client, world):
    world.user.time_zone = "Europe/Stockholm"
    db.session.commit()
    company = factories.make_company(world.account)
    sign_in(client, world.user)
    page = client.get(f"/companies/{company.id}").get_data(as_text=True)
    assert f'action="/companies/{company.id}/tasks"' in page
    assert f'action="/companies/{company.id}/calls"' in page
    assert f'action="/companies/{company.id}/meetings"' in page
    posted = client.post(
        f"/companies/{company.id}/tasks",
        data={"title": "Prepare the demo", "due_at": "2030-06-01T09:00", "owner_id": ""},
    )
    assert posted.status_code == 302 and posted.location.endswith("#timeline")
    client.post(
        f"/companies/{company.id}/calls",
        data={"outcome": "left_voicemail", "duration_minutes": "3", "occurred_at": ""},
    )
    client.post(
        f"/companies/{company.id}/meetings",
        data={"title": "Kick-off", "starts_at": "2030-06-02T10:00", "ends_at": "2030-06-02T11:30"},
    )
    page = client.get(f"/companies/{company.id}").get_data(as_text=True)
    assert "Prepare the demo" in page and "Jun 1, 2030, 9:00\u202fAM" in page
    assert "Left voicemail · 3 minutes" in page
    assert "Kick-off" in page and "Until Jun 2, 2030, 11:30\u202fAM" in page
    task = db.session.scalar(db.select(Task).filter_by(title="Prepare the demo"))
    assert task.owner_id == world.user.id
    assert task.due_at == datetime(2030, 6, 1, 7, 0, tzinfo=UTC)
    tasks = client.get("/tasks").get_data(as_text=True)
    assert "Prepare the demo" in tasks and f'href="/companies/{company.id}"' in tasks


def test_the_record_page_says_what_was_wrong_with_a_form(client, world):
    contact = factories.make_contact(world.account)
    sign_in(client, world.user)
    response = client.post(
        f"/contacts/{contact.id}/meetings",
        data={"title": "Kick-off", "starts_at": "2030-06-02T10:00", "ends_at": "soon"},
        follow_redirects=True,
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Some fields are not valid." in html and "Ends: must be a date and time" in html
