"""Timelines: newest first with the pin on top, per-user per-type filters, notes, pins,
changing where an activity appears, and deleting it."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.event import listen, remove

from tests import factories
from tests.api.test_records import assert_error
from tracklog.extensions import db
from tracklog.models import Activity, utcnow


def activity_at(account, on, days_ago: float, type_: str = "email", subject: str = "") -> Activity:
    """An activity some days ago on the given records' timelines."""
    activity = factories.make_activity(
        account, on=on, type_=type_, subject=subject or f"{days_ago}"
    )
    when = utcnow() - timedelta(days=days_ago)
    activity.occurred_at = when
    for row in db.session.scalars(
        db.select(factories.ActivityAssociation).filter_by(activity_id=activity.id)
    ):
        row.occurred_at = when
    db.session.commit()
    return activity


def ids(page) -> list[int]:
    """The activity ids of a timeline page."""
    return [item["id"] for item in page["items"]]


def test_newest_first_with_the_pin_on_top(api, world):
    contact = factories.make_contact(world.account)
    old = activity_at(world.account, [("contact", contact.id)], 5)
    new = activity_at(world.account, [("contact", contact.id)], 1)
    middle = activity_at(world.account, [("contact", contact.id)], 3)
    path = f"/records/contact/{contact.id}"
    assert ids(api.get(f"{path}/timeline").json) == [new.id, middle.id, old.id]
    assert api.call("PUT", f"{path}/pin", json={"activity_id": old.id}).status_code == 200
    page = api.get(f"{path}/timeline").json
    assert ids(page) == [old.id, new.id, middle.id]
    assert page["items"][0]["pinned"] is True and not page["items"][1]["pinned"]
    assert set(page["items"][0]) >= {
        "id",
        "type",
        "subject",
        "occurred_at",
        "pinned",
        "associations",
    }


def test_one_pin_per_record_enforced_by_the_server(api, world):
    contact = factories.make_contact(world.account)
    first = activity_at(world.account, [("contact", contact.id)], 2)
    second = activity_at(world.account, [("contact", contact.id)], 1)
    path = f"/records/contact/{contact.id}/pin"
    api.call("PUT", path, json={"activity_id": first.id})
    error = assert_error(
        api.call("PUT", path, json={"activity_id": second.id}), 409, "already_pinned"
    )
    assert error["details"]["pinned_activity_id"] == first.id
    assert api.delete(path).status_code == 204
    assert api.call("PUT", path, json={"activity_id": second.id}).status_code == 200
    as_bob = api.as_token(world.user_token)
    timeline = as_bob.get(f"/records/contact/{contact.id}/timeline").json
    assert timeline["items"][0]["id"] == second.id and timeline["items"][0]["pinned"]


def test_only_an_activity_of_the_timeline_can_be_pinned(api, world):
    contact, other = (
        factories.make_contact(world.account),
        factories.make_contact(world.account, "x@y.example"),
    )
    elsewhere = activity_at(world.account, [("contact", other.id)], 1)
    response = api.call(
        "PUT", f"/records/contact/{contact.id}/pin", json={"activity_id": elsewhere.id}
    )
    assert_error(response, 404, "not_found")


def test_cursor_pages_through_equal_timestamps_without_gaps(api, world):
    contact = factories.make_contact(world.account)
    when = utcnow() - timedelta(hours=1)
    made = []
    for _ in range(5):
        activity = activity_at(world.account, [("contact", contact.id)], 0)
        made.append(activity)
    for activity in made:
        activity.occurred_at = when
        for row in db.session.scalars(
            db.select(factories.ActivityAssociation).filter_by(activity_id=activity.id)
        ):
            row.occurred_at = when
    db.session.commit()
    seen, cursor = [], None
    while True:
        page = api.get(
            f"/records/contact/{contact.id}/timeline?limit=2"
            + (f"&cursor={cursor}" if cursor else "")
        ).json
        seen += ids(page)
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert sorted(seen) == sorted(a.id for a in made) and len(seen) == 5


def test_filter_is_saved_per_user_and_per_record_type(api, world):
    contact = factories.make_contact(world.account)
    company = factories.make_company(world.account)
    email = activity_at(world.account, [("contact", contact.id), ("company", company.id)], 2)
    note = activity_at(world.account, [("contact", contact.id), ("company", company.id)], 1, "note")
    saved = api.call("PUT", "/timeline-filters/contact", json={"types": ["email"]})
    assert saved.json["types"] == ["email"]
    other_contact = factories.make_contact(world.account, "milton@initech.example")
    activity_at(world.account, [("contact", other_contact.id)], 1, "note")
    assert ids(api.get(f"/records/contact/{contact.id}/timeline").json) == [email.id]
    assert ids(api.get(f"/records/contact/{other_contact.id}/timeline").json) == []
    assert ids(api.get(f"/records/company/{company.id}/timeline").json) == [note.id, email.id]
    as_bob = api.as_token(world.user_token)
    assert ids(as_bob.get(f"/records/contact/{contact.id}/timeline").json) == [note.id, email.id]
    explicit = api.get(f"/records/contact/{contact.id}/timeline?types=note").json
    assert ids(explicit) == [note.id]
    assert api.get(f"/records/contact/{contact.id}/timeline?types=fax").status_code == 422


def test_notes_are_sanitised(api, world):
    deal = factories.make_deal(world.account)
    response = api.post(
        f"/records/deal/{deal.id}/notes",
        {"body": "<p>Call went <b>well</b><script>alert(1)</script><img src=x onerror=alert(2)>"},
    )
    assert response.status_code == 201
    assert (
        "script" not in response.json["body_html"] and "onerror" not in response.json["body_html"]
    )
    assert "<b>well</b>" in response.json["body_html"]
    assert ids(api.get(f"/records/deal/{deal.id}/timeline").json) == [response.json["id"]]
    assert api.post(f"/records/deal/{deal.id}/notes", {"body": "  "}).status_code == 422


def test_associating_an_activity_puts_it_on_that_timeline_and_removal_sticks(api, world):
    contact = factories.make_contact(world.account)
    deal = factories.make_deal(world.account)
    activity = activity_at(world.account, [("contact", contact.id)], 1)
    changed = api.call(
        "PUT",
        f"/activities/{activity.id}/associations",
        json={"associations": [{"type": "deal", "id": deal.id}]},
    )
    assert changed.status_code == 200
    assert [(a["type"], a["id"]) for a in changed.json["associations"]] == [("deal", deal.id)]
    assert ids(api.get(f"/records/deal/{deal.id}/timeline").json) == [activity.id]
    assert ids(api.get(f"/records/contact/{contact.id}/timeline").json) == []


def test_activity_associations_are_checked(api, world):
    activity = activity_at(world.account, [], 1)
    other_deal = factories.make_deal(world.other_account)
    response = api.call(
        "PUT",
        f"/activities/{activity.id}/associations",
        json={"associations": [{"type": "deal", "id": other_deal.id}]},
    )
    assert_error(response, 404, "not_found")
    assert_error(
        api.as_token(world.other_token).delete(f"/activities/{activity.id}"), 404, "not_found"
    )


def test_deleting_an_activity_takes_it_off_every_timeline(api, world):
    contact = factories.make_contact(world.account)
    activity_id = activity_at(world.account, [("contact", contact.id)], 1).id
    api.call("PUT", f"/records/contact/{contact.id}/pin", json={"activity_id": activity_id})
    assert api.delete(f"/activities/{activity_id}").status_code == 204
    assert api.get(f"/records/contact/{contact.id}/timeline").json["items"] == []
    db.session.expire_all()
    assert db.session.get(Activity, activity_id) is None


def test_timeline_of_another_accounts_record_is_not_found(api, world):
    contact = factories.make_contact(world.other_account, "secret@globex.example")
    assert_error(api.get(f"/records/contact/{contact.id}/timeline"), 404, "not_found")
    assert_error(api.get("/records/planet/1/timeline"), 404, "not_found")


def test_the_pin_stays_on_top_when_the_readers_filter_hides_its_type(api, world):
    contact = factories.make_contact(world.account)
    note = activity_at(world.account, [("contact", contact.id)], 3, "note")
    email = activity_at(world.account, [("contact", contact.id)], 1)
    path = f"/records/contact/{contact.id}"
    api.call("PUT", f"{path}/pin", json={"activity_id": note.id})
    api.call("PUT", "/timeline-filters/contact", json={"types": ["email"]})

    saved_filter = api.get(f"{path}/timeline").json
    asked = api.get(f"{path}/timeline?types=email").json

    assert ids(saved_filter) == [note.id, email.id]
    assert ids(asked) == [note.id, email.id]
    assert saved_filter["items"][0]["pinned"] is True


def test_a_page_costs_the_same_few_statements_however_many_items_it_holds(api, world):
    contact = factories.make_contact(world.account)
    on = [("contact", contact.id)]
    path = f"/records/contact/{contact.id}/timeline"
    statements: list[str] = []

    def statements_of_a_page() -> int:
        """The SQL statements one timeline call sends (token check included)."""
        statements.clear()
        listen(db.engine, "before_cursor_execute", note)
        try:
            assert api.get(path).status_code == 200
        finally:
            remove(db.engine, "before_cursor_execute", note)
        return len(statements)

    def note(connection, cursor, statement, *args) -> None:
        """Count a statement."""
        statements.append(statement)

    api.get(path)  # the token's first use and the caller's sighting are written once
    counts = []
    for _round in range(2):
        for type_ in ("email", "note", "task", "call"):
            for _copy in range(3):
                factories.make_activity(world.account, on, type_=type_)
        counts.append(statements_of_a_page())
    assert counts[0] == counts[1] <= 8
