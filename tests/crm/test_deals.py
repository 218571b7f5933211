"""Deals: a stage's required properties, the tasks it creates, record associations, and
creating a deal from a contact with its recent activities."""

from __future__ import annotations

from tests import factories
from tests.api.test_records import assert_error
from tests.crm.test_timeline import activity_at, ids
from tracklog.extensions import db
from tracklog.models import Stage, Task


def stage_named(account, name: str) -> Stage:
    """A stage of the account's Sales Pipeline by name."""
    pipeline = factories.pipeline_of(account)
    return next(stage for stage in pipeline.stages if stage.name == name)


def test_entering_a_stage_asks_for_its_required_properties(api, world):
    contract = stage_named(world.account, "Contract sent")
    contract.required_properties = ["amount", "close_date", "decision_maker"]
    contract.tasks = [{"title": "Chase the signature", "due_in_days": 3}]
    db.session.commit()
    deal = api.post("/deals", {"name": "Initech renewal"}).json
    response = api.patch(f"/deals/{deal['id']}", {"stage_id": contract.id})
    error = assert_error(response, 422, "required_properties_missing")
    assert error["details"]["missing"] == ["amount", "close_date", "decision_maker"]
    moved = api.patch(
        f"/deals/{deal['id']}",
        {
            "stage_id": contract.id,
            "amount": 5000,
            "close_date": "2026-12-31",
            "properties": {"decision_maker": "Bill Lumbergh"},
        },
    )
    assert moved.status_code == 200, moved.json
    [task] = db.session.scalars(db.select(Task)).all()
    assert task.title == "Chase the signature" and task.record_id == deal["id"]
    assert task.due_at is not None and task.owner_id == world.admin.id
    listed = api.get("/tasks").json["items"]
    assert [item["id"] for item in listed] == [task.id]
    assert api.patch(f"/tasks/{task.id}", {"done": True}).json["done"] is True
    assert api.get("/tasks").json["items"] == []
    again = api.patch(f"/deals/{deal['id']}", {"name": "Renamed"})
    assert again.status_code == 200
    assert db.session.scalar(db.select(db.func.count()).select_from(Task)) == 1


def test_record_associations_panel(api, world):
    contact = factories.make_contact(world.account)
    deal = factories.make_deal(world.account)
    path = f"/records/contact/{contact.id}/associations"
    added = api.post(path, {"type": "deal", "id": deal.id})
    assert added.status_code == 201
    assert [d["id"] for d in added.json["deal"]] == [deal.id]
    assert [c["id"] for c in api.get(f"/records/deal/{deal.id}/associations").json["contact"]] == [
        contact.id
    ]
    assert api.delete(f"{path}/deal/{deal.id}").status_code == 204
    assert api.get(path).json["deal"] == []
    other = factories.make_deal(world.other_account)
    assert_error(api.post(path, {"type": "deal", "id": other.id}), 404, "not_found")


def test_deal_created_from_a_contact_brings_its_recent_activities(api, world):
    contact = factories.make_contact(world.account)
    recent = activity_at(world.account, [("contact", contact.id)], 10)
    activity_at(world.account, [("contact", contact.id)], 45)
    deal = api.post(
        "/deals", {"name": "From Peter", "from": {"type": "contact", "id": contact.id}}
    ).json
    assert ids(api.get(f"/records/deal/{deal['id']}/timeline").json) == [recent.id]
    related = api.get(f"/records/deal/{deal['id']}/associations").json
    assert [c["id"] for c in related["contact"]] == [contact.id]
    ticket = api.post(
        "/tickets",
        {
            "subject": "Help",
            "from": {"type": "contact", "id": contact.id},
            "bring_activities_days": 60,
        },
    ).json
    assert len(ids(api.get(f"/records/ticket/{ticket['id']}/timeline").json)) == 2
    bad = api.post("/deals", {"name": "x", "from": {"type": "deal", "id": 1}})
    assert_error(bad, 422, "validation_failed")
