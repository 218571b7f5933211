"""Bad query strings and forms on the web pages answer a 400/404/422 page, never a 500."""

from __future__ import annotations

import pytest

from tests import factories
from tests.web.test_sign_in import sign_in

BIG = 2**31


@pytest.fixture
def alice(client, world):
    """The client signed in as Acme's admin, with a contact to work on."""
    factories.make_contact(world.account)
    sign_in(client, "alice@acme.example")
    return client


def answered(response, status: int, mimetype: str = "text/html") -> str:
    """The page (or JSON) of a refused request, after checking its status and type."""
    assert response.status_code == status, response.get_data(as_text=True)[:1000]
    assert response.mimetype == mimetype
    return response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/contacts?owner=99999999999&company=%C2%B2", 200),
        ("/deals?pipeline=%D9%A3&stage=99999999999&sort=zzz", 200),
        ("/contacts?q=pe%00ter", 422),
        (f"/contacts/{BIG}", 404),
        (f"/contacts/{BIG}/timeline", 404),
        (f"/activities/{BIG}/thread", 404),
        ("/deals/new?from_type=contact&from_id=99999999999", 200),
        (f"/deals/board/{BIG}", 404),
        (f"/settings/pipelines/{BIG}", 404),
        ("/tasks?all=%00", 422),
        ("/logging/why?date=9999-12-31", 422),
        ("/logging/why?recipient=%00", 422),
        ("/messages?q=%00", 422),
        ("/messages/tl_%00", 422),
        ("/messages/tl_%00/why", 422),
    ],
)
def test_pages_answer_impossible_ids_and_bad_query_strings_with_a_page(alice, path, status):
    answered(alice.get(path), status)


def test_record_forms(alice, world):
    contact = factories.make_contact(world.account, "milton@initech.example")
    too_far_back = {
        "name": "Renewal",
        "from_type": "contact",
        "from_id": str(contact.id),
        "bring_activities_days": "99999999999",
    }
    assert "bring_activities_days" in answered(alice.post("/deals/new", data=too_far_back), 422)
    answered(alice.post("/contacts/new", data={"email": "a@b.example", "first_name": "\x00"}), 422)


def test_deleting_a_stage_with_a_body_that_is_not_an_object_is_a_422(alice, world):
    pipeline = factories.pipeline_of(world.account)
    path = f"/settings/pipelines/{pipeline.id}/stages/{pipeline.stages[0].id}/delete"
    answered(alice.post(path, json=[1]), 422, "application/json")


@pytest.mark.parametrize("body", [[1], "text", {"up_to": BIG}, {"up_to": [1]}], ids=repr)
def test_the_bell_refuses_what_is_not_a_notification_id(alice, body):
    answered(alice.post("/notifications/read", json=body), 422, "application/json")


@pytest.mark.parametrize("path", ["/sign-in", "/addin/sign-in"])
def test_sign_in_forms(client, world, path):
    answered(client.post(path, json=[1]), 422, "application/json")
    answered(client.post(path, data={"email": "alice@acme.example\x00", "password": "x"}), 422)


def test_settings_pages(alice):
    answered(alice.post(f"/settings/devices/{BIG}/sign-out"), 404)
    answered(alice.post(f"/settings/tokens/{BIG}/revoke"), 404)
