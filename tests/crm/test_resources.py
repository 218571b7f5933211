"""The declared resources as plain functions: the acting user is an argument, not the request."""

from __future__ import annotations

import pytest

from tests import factories
from tracklog.crm.resources import RESOURCES
from tracklog.errors import Conflict, Forbidden, NotFound, ValidationFailed
from tracklog.extensions import db
from tracklog.models import Contact, Task

RESOURCE = {resource.name: resource for resource in RESOURCES}


def test_a_contact_created_outside_any_request_belongs_to_the_acting_users_account(app, world):
    contact = RESOURCE["contacts"].create(world.user, {"email": " Peter@Initech.example "})
    assert contact.account_id == world.account.id and contact.email == "peter@initech.example"
    assert RESOURCE["contacts"].get(world.user, contact.id) is contact
    with pytest.raises(NotFound):
        RESOURCE["contacts"].get(world.other_admin, contact.id)


def test_references_are_checked_in_the_acting_users_account(app, world):
    theirs = factories.make_company(world.other_account, "Globex", "globex.example")
    with pytest.raises(ValidationFailed) as failure:
        RESOURCE["contacts"].create(world.user, {"email": "a@x.example", "company_id": theirs.id})
    assert "company_id" in failure.value.details["fields"]
    assert db.session.scalar(db.select(Contact).filter_by(email="a@x.example")) is None


def test_a_second_contact_with_the_same_address_is_a_conflict(app, world):
    RESOURCE["contacts"].create(world.user, {"email": "a@x.example"})
    with pytest.raises(Conflict):
        RESOURCE["contacts"].create(world.admin, {"email": "a@x.example"})


def test_only_admins_change_users_and_an_admin_cannot_delete_themselves(app, world):
    users = RESOURCE["users"]
    with pytest.raises(Forbidden):
        users.update(world.user, world.user.id, {"display_name": "Bobby"})
    with pytest.raises(Conflict) as refusal:
        users.delete(world.admin, world.admin.id)
    assert refusal.value.code == "cannot_delete_self"
    users.delete(world.admin, world.user.id)
    with pytest.raises(NotFound):
        users.get(world.admin, world.user.id)


def test_a_deal_entering_a_stage_gets_its_tasks_owned_by_the_acting_user(app, world):
    pipeline = factories.pipeline_of(world.account)
    stage = pipeline.stages[1]
    stage.tasks = [{"title": "Qualify the budget", "due_in_days": 2}]
    db.session.commit()
    deal = RESOURCE["deals"].create(world.user, {"name": "Initech renewal"})
    RESOURCE["deals"].update(world.user, deal.id, {"stage_id": stage.id})
    [task] = db.session.scalars(db.select(Task).filter_by(record_id=deal.id)).all()
    assert task.title == "Qualify the budget"
