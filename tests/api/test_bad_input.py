"""Bad input to /api/v1 answers the documented 4xx error shape, never a 500 (issue 12)."""

from __future__ import annotations

import io
from typing import Any

import pytest
from flask import g
from werkzeug.test import TestResponse

from tests import factories
from tests.tracking.helpers import compose
from tracklog.extensions import db
from tracklog.models import Contact, InboundMessage, Message, Task, User
from tracklog.paging import encode_cursor

PAST_THE_RANGE = [2**31, 2**63, 10**30]
NOT_AN_ID = [*PAST_THE_RANGE, [1], {"id": 1}, "1", 1.5, True]
NOT_AN_OBJECT = [[1], ["a", "b"], "text", 3, True]


def assert_error(response: TestResponse, status: int, code: str | None = None) -> dict[str, Any]:
    """The response is the contract's error shape with this status (and code); its error."""
    assert response.status_code == status, response.get_data(as_text=True)
    error = response.json["error"]
    assert set(error) == {"code", "message", "details"} and error["message"]
    if code is not None:
        assert error["code"] == code
    return error


@pytest.fixture
def contact(world: factories.World) -> Contact:
    """A contact of the first account."""
    return factories.make_contact(world.account)


@pytest.fixture
def note(world: factories.World, contact: Contact) -> int:
    """The id of a note on the contact's timeline."""
    return factories.make_activity(world.account, [("contact", contact.id)]).id


@pytest.mark.parametrize("record_id", PAST_THE_RANGE)
@pytest.mark.parametrize("method", ["GET", "PATCH", "PUT", "DELETE"])
def test_an_id_past_the_databases_range_in_a_path_is_a_404(api, world, method, record_id):
    body = {} if method in ("PATCH", "PUT") else None
    assert_error(api.call(method, f"/contacts/{record_id}", json=body), 404, "not_found")


@pytest.mark.parametrize(
    "path",
    [
        "/records/contact/{big}/timeline",
        "/activities/{big}/attachments/1",
        "/activities/1/attachments/{big}",
        "/contacts/٣",
        "/contacts/²",
    ],
)
def test_other_paths_with_impossible_ids_are_a_404(api, world, path):
    assert_error(api.get(path.format(big=2**31)), 404, "not_found")


@pytest.mark.parametrize("value", NOT_AN_ID, ids=repr)
def test_an_id_in_a_body_that_is_not_a_storable_whole_number_is_a_422(
    api, world, contact, note, value
):
    calls = [
        ("POST", "/contacts", {"email": "milton@initech.example", "company_id": value}),
        ("PATCH", f"/contacts/{contact.id}", {"owner_id": value}),
        ("PUT", f"/records/contact/{contact.id}/pin", {"activity_id": value}),
        ("POST", f"/records/contact/{contact.id}/associations", {"type": "company", "id": value}),
        (
            "PUT",
            f"/activities/{note}/associations",
            {"associations": [{"type": "deal", "id": value}]},
        ),
        ("POST", "/notifications/read", {"up_to": value}),
    ]
    for method, path, body in calls:
        assert_error(api.call(method, path, json=body), 422)
    assert db.session.scalar(db.select(db.func.count()).select_from(Contact)) == 1


@pytest.mark.parametrize(
    "position",
    [{"before_id": 2**31}, {"before_id": 2**63}, {"before_id": [1]}, {"before_id": "1"}],
)
def test_a_list_cursor_with_an_impossible_position_is_an_invalid_cursor(api, world, position):
    response = api.get(f"/contacts?cursor={encode_cursor(position)}")
    assert_error(response, 400, "invalid_cursor")
    assert_error(api.get(f"/notifications?cursor={encode_cursor(position)}"), 400, "invalid_cursor")


@pytest.mark.parametrize("activity_id", [2**31, 2**63, "7", None])
def test_a_timeline_cursor_with_an_impossible_position_is_an_invalid_cursor(
    api, world, contact, activity_id
):
    cursor = encode_cursor({"at": "2026-05-31T10:00:00+00:00", "id": activity_id})
    response = api.get(f"/records/contact/{contact.id}/timeline?cursor={cursor}")
    assert_error(response, 400, "invalid_cursor")


@pytest.mark.parametrize("body", NOT_AN_OBJECT, ids=repr)
def test_a_json_array_or_scalar_where_an_object_is_expected_is_a_422(
    api, world, contact, note, body
):
    task = api.post(f"/records/contact/{contact.id}/tasks", {"title": "Call Peter"})
    task_id = db.session.scalar(db.select(Task.id))
    assert task.status_code == 201
    calls = [
        ("PATCH", f"/tasks/{task_id}"),
        ("POST", f"/records/contact/{contact.id}/notes"),
        ("PUT", f"/records/contact/{contact.id}/pin"),
        ("PUT", f"/activities/{note}/associations"),
        ("POST", f"/records/contact/{contact.id}/associations"),
        ("PUT", "/timeline-filters/contact"),
        ("PUT", "/messages/tl_unknown/mute"),
        ("POST", "/me/addin-token"),
        ("POST", "/notifications/read"),
        ("PUT", "/me/notification-preferences"),
        ("POST", "/contacts"),
        ("POST", "/compose"),
    ]
    for method, path in calls:
        assert_error(api.call(method, path, json=body), 422, "invalid_json")
    assert db.session.get(Task, task_id).done is False


def test_a_nul_byte_in_a_query_string_is_a_422_naming_the_parameter(api, world):
    error = assert_error(api.get("/contacts?q=pe%00ter"), 422, "invalid_text")
    assert list(error["details"]["fields"]) == ["q"]
    assert_error(api.get("/logging/why?recipient=%00"), 422, "invalid_text")
    assert_error(api.get("/messages/tl_%00"), 422, "invalid_text")


@pytest.mark.parametrize("text", ["Peter\x00", "lone \ud800 surrogate"], ids=["nul", "surrogate"])
def test_text_the_database_cannot_store_in_json_is_a_422_naming_the_field(
    api, world, contact, text
):
    error = assert_error(
        api.post(f"/records/contact/{contact.id}/notes", {"body": text}), 422, "invalid_text"
    )
    assert list(error["details"]["fields"]) == ["body"]
    error = assert_error(api.patch(f"/contacts/{contact.id}", {"first_name": text}), 422)
    assert list(error["details"]["fields"]) == ["first_name"]
    assert db.session.get(Contact, contact.id).first_name == ""


def test_a_nul_byte_in_an_uploaded_file_name_is_dropped_from_the_name(api, world):
    data = {"file": (io.BytesIO(b"%PDF-1.7"), "price\x00list.pdf", "application/pdf")}
    response = api.call("POST", "/attachments", data=data, content_type="multipart/form-data")
    assert response.status_code == 201, response.json
    assert response.json["filename"] == "pricelist.pdf"


def test_a_nul_byte_in_a_drafts_subject_or_html_is_dropped_not_refused(api, world):
    sent = compose(api, ["peter@initech.example"], html="<p>Hi\x00 Peter</p>", subject="Pri\x00ce")
    message = db.session.scalar(db.select(Message).filter_by(public_id=sent["message_id"]))
    assert message.subject == "Price"
    assert "\x00" not in sent["html"] and "Hi Peter" in sent["html"]


def test_a_bug_after_a_failed_write_still_answers_internal_error(app, api, world):
    """The error handler reads the user's language after the transaction broke."""

    def failing_write() -> None:
        """Leave a user loaded, then make the flush fail, as a NUL in a text column did."""
        g._login_user = db.session.get(User, world.user.id)
        db.session.add(Contact(account_id=world.account.id, email=None))
        db.session.flush()

    app.add_url_rule("/api/v1/failing-write", "failing_write", failing_write)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    assert_error(api.get("/failing-write"), 500, "internal_error")


@pytest.mark.parametrize("limit", ["²", "٣", "1²", "-1", "99999999999"])
def test_a_limit_that_is_not_ascii_digits_in_range_is_a_400(api, world, limit):
    assert_error(api.get(f"/contacts?limit={limit}"), 400, "invalid_limit")


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01", "99999-01-01", "2026-02-30"])
def test_a_why_search_for_a_day_past_the_calendar_is_a_422(api, world, day):
    error = assert_error(api.get(f"/logging/why?date={day}"), 422)
    assert list(error["details"]["fields"]) == ["date"]


@pytest.mark.parametrize("days", [3651, 10**6, 2**31, -1])
def test_bringing_activities_from_too_far_back_is_a_422(api, world, contact, days):
    source = {"type": "contact", "id": contact.id}
    response = api.post("/deals", {"name": "x", "from": source, "bring_activities_days": days})
    error = assert_error(response, 422)
    assert list(error["details"]["fields"]) == ["bring_activities_days"]


def test_an_upload_that_is_not_a_mail_stores_nothing(api, world):
    response = api.call("POST", "/log", json={"from": "peter@initech.example"})
    assert_error(response, 400, "not_a_mail")
    assert db.session.scalar(db.select(db.func.count()).select_from(InboundMessage)) == 0
