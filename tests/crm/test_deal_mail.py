"""A deal's mail two ways: the mail of its contacts (each saying whether it is on the deal), and
associating, removing and moving a mail by hand, through the API and the deal's page."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from tests import factories
from tests.api.test_records import assert_error
from tests.crm.test_timeline import activity_at
from tests.web.test_sign_in import sign_in
from tracklog.extensions import db
from tracklog.models import (
    Activity,
    ActivityAssociation,
    AssociationExclusion,
    Deal,
    RecordAssociation,
)


@dataclass
class Deals:
    """Peter and Joanna on the Initech renewal; Peter also on Initech upsell; mail of both."""

    renewal: Deal
    upsell: Deal
    peter: int
    joanna: int
    on_renewal: Activity
    peters: Activity
    joannas: Activity
    note: Activity


@pytest.fixture
def deals(world) -> Deals:
    """Two contacts of one deal, one of them on another deal, and their mail and a note."""
    account = world.account
    peter = factories.make_contact(account, "peter@initech.example", first_name="Peter")
    joanna = factories.make_contact(account, "joanna@initech.example", first_name="Joanna")
    renewal = factories.make_deal(account, "Initech renewal")
    upsell = factories.make_deal(account, "Initech upsell")
    factories.link_contact(account, peter, "deal", renewal.id)
    factories.link_contact(account, joanna, "deal", renewal.id)
    factories.link_contact(account, peter, "deal", upsell.id)
    on_renewal = activity_at(
        account, [("contact", peter.id), ("deal", renewal.id)], 4, "email", "Renewal terms"
    )
    peters = activity_at(
        account, [("contact", peter.id), ("deal", upsell.id)], 3, "email", "Upsell ideas"
    )
    joannas = activity_at(account, [("contact", joanna.id)], 2, "email", "Lunch?")
    note = activity_at(account, [("contact", peter.id)], 1, "note", "Called Peter")
    return Deals(renewal, upsell, peter.id, joanna.id, on_renewal, peters, joannas, note)


def on_deals(activity: Activity) -> dict[int, str]:
    """The deals an activity is on, with how each association was made."""
    rows = db.session.scalars(
        db.select(ActivityAssociation).filter_by(activity_id=activity.id, record_type="deal")
    )
    return {row.record_id: row.source for row in rows}


def excluded_deals(activity: Activity) -> set[int]:
    """The deals a user removed the activity from."""
    rows = db.session.scalars(
        db.select(AssociationExclusion).filter_by(activity_id=activity.id, record_type="deal")
    )
    return {row.record_id for row in rows}


def test_contact_mail_lists_the_mail_of_every_contact_of_the_deal(api, deals):
    page = api.get(f"/records/deal/{deals.renewal.id}/contact-mail").json
    items = {item["id"]: item for item in page["items"]}
    assert [item["id"] for item in page["items"]] == [
        deals.joannas.id,
        deals.peters.id,
        deals.on_renewal.id,
    ]
    assert items[deals.on_renewal.id]["on_this_deal"] is True
    assert items[deals.peters.id]["on_this_deal"] is False
    assert items[deals.joannas.id]["on_this_deal"] is False
    peters_deals = {deal["name"] for deal in items[deals.peters.id]["deals"]}
    assert peters_deals == {"Initech renewal", "Initech upsell"}
    assert items[deals.joannas.id]["deals"] == [{"id": deals.renewal.id, "name": "Initech renewal"}]
    assert page["next_cursor"] is None


def test_contact_mail_pages_and_lists_a_mail_of_two_contacts_once(api, world, deals):
    both = activity_at(
        world.account,
        [("contact", deals.peter), ("contact", deals.joanna)],
        0.5,
        "email",
        "To you both",
    )
    path = f"/records/deal/{deals.renewal.id}/contact-mail"
    first = api.get(f"{path}?limit=2").json
    second = api.get(f"{path}?limit=2&cursor={first['next_cursor']}").json
    seen = [item["id"] for item in first["items"] + second["items"]]
    assert seen == [both.id, deals.joannas.id, deals.peters.id, deals.on_renewal.id]


def test_contact_mail_of_another_account_or_of_no_deal_is_404(api, world, deals):
    other = api.as_token(world.other_token)
    assert_error(other.get(f"/records/deal/{deals.renewal.id}/contact-mail"), 404, "not_found")
    assert api.get(f"/records/contact/{deals.peter}/contact-mail").status_code == 404
    assert_error(api.get(f"/records/deal/{deals.peter + 1000}/contact-mail"), 404, "not_found")


def test_associate_and_remove_through_the_api_are_the_users(api, deals):
    path = f"/activities/{deals.peters.id}/associations"
    places = [
        {"type": "contact", "id": deals.peter},
        {"type": "deal", "id": deals.upsell.id},
        {"type": "deal", "id": deals.renewal.id},
    ]
    assert api.call("PUT", path, json={"associations": places}).status_code == 200
    assert on_deals(deals.peters)[deals.renewal.id] == "manual"
    contact_mail = api.get(f"/records/deal/{deals.renewal.id}/contact-mail").json["items"]
    assert {item["id"]: item["on_this_deal"] for item in contact_mail}[deals.peters.id] is True
    response = api.call("PUT", path, json={"associations": places[:2]})
    assert response.status_code == 200
    assert deals.renewal.id not in on_deals(deals.peters)
    assert excluded_deals(deals.peters) == {deals.renewal.id}


def test_move_to_another_deal_through_the_api(api, deals):
    body = {"from_deal": deals.renewal.id, "to_deal": deals.upsell.id}
    response = api.post(f"/activities/{deals.on_renewal.id}/move", json=body)
    assert response.status_code == 200
    assert {"type": "deal", "id": deals.upsell.id} in [
        {"type": link["type"], "id": link["id"]} for link in response.json["associations"]
    ]
    assert on_deals(deals.on_renewal) == {deals.upsell.id: "manual"}
    assert excluded_deals(deals.on_renewal) == {deals.renewal.id}


def test_move_to_a_new_deal_through_the_api(api, world, deals):
    body = {"from_deal": deals.renewal.id, "to_deal": None}
    assert api.post(f"/activities/{deals.on_renewal.id}/move", json=body).status_code == 200
    [new_id] = on_deals(deals.on_renewal)
    new = db.session.get(Deal, new_id)
    assert new.name == "Renewal terms" and new.status == "open"
    first_stage = factories.pipeline_of(world.account).stages[0]
    assert new.stage_id == first_stage.id
    link = db.session.scalar(db.select(RecordAssociation).filter_by(to_type="deal", to_id=new.id))
    assert (link.from_type, link.from_id, link.source) == ("contact", deals.peter, "manual")
    named = {"from_deal": new.id, "to_deal": None, "new_deal_name": "Initech training"}
    assert api.post(f"/activities/{deals.on_renewal.id}/move", json=named).status_code == 200
    assert [db.session.get(Deal, i).name for i in on_deals(deals.on_renewal)] == [
        "Initech training"
    ]


def test_move_refuses_what_it_cannot_do(api, world, deals):
    path = f"/activities/{deals.peters.id}/move"
    not_on_it = api.post(path, json={"from_deal": deals.renewal.id, "to_deal": deals.upsell.id})
    assert_error(not_on_it, 404, "not_found")
    same = api.post(path, json={"from_deal": deals.upsell.id, "to_deal": deals.upsell.id})
    assert_error(same, 422, "validation_failed")
    assert_error(api.post(path, json={"from_deal": deals.upsell.id}), 422, "validation_failed")
    other = api.as_token(world.other_token)
    body = {"from_deal": deals.upsell.id, "to_deal": deals.renewal.id}
    assert_error(other.post(path, json=body), 404, "not_found")
    assert on_deals(deals.peters) == {deals.upsell.id: "manual"}


def test_the_deal_page_shows_both_views(alice, deals):
    mail = alice.get(f"/deals/{deals.renewal.id}?mail=contacts").get_data(as_text=True)
    assert "Upsell ideas" in mail and "Lunch?" in mail and "Renewal terms" in mail
    assert "Called Peter" not in mail
    assert mail.count("data-on-this-deal") == 1
    assert 'aria-current="page">Mail of this deal' in mail
    own = alice.get(f"/deals/{deals.renewal.id}?mail=deal").get_data(as_text=True)
    assert "Renewal terms" in own and "Upsell ideas" not in own
    assert "Remove from this deal" in own and "A new deal…" in own


def test_page_forms_associate_remove_and_move(alice, deals):
    base = f"/deals/{deals.renewal.id}/mail"
    response = alice.post(f"{base}/{deals.joannas.id}/associate", data={"mail": "contacts"})
    assert response.status_code == 302
    assert response.location.endswith(f"?mail=contacts#activity-{deals.joannas.id}")
    assert on_deals(deals.joannas) == {deals.renewal.id: "manual"}
    alice.post(f"{base}/{deals.joannas.id}/remove", data={"mail": "deal"})
    assert on_deals(deals.joannas) == {} and excluded_deals(deals.joannas) == {deals.renewal.id}
    alice.post(f"{base}/{deals.on_renewal.id}/move", data={"to_deal": str(deals.upsell.id)})
    assert on_deals(deals.on_renewal) == {deals.upsell.id: "manual"}
    page = alice.get(f"/deals/{deals.renewal.id}").get_data(as_text=True)
    assert "The mail was moved to Initech upsell." in page


def test_page_forms_of_another_account_are_404(client, world, deals):
    sign_in(client, "hank@globex.example")
    path = f"/deals/{deals.renewal.id}/mail/{deals.on_renewal.id}/remove"
    assert client.post(path).status_code == 404
    assert on_deals(deals.on_renewal) == {deals.renewal.id: "manual"}
