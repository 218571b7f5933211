"""The template library: visibility, changes, compose's template_id and the results rule."""

from __future__ import annotations

import pytest

from tests.tracking.helpers import compose, pixel_path
from tests.tracking.test_hits import hit
from tests.web.test_sign_in import sign_in
from tracklog.extensions import db
from tracklog.mailtemplates.library import Results, recommendation, reply_lower_bound
from tracklog.models import Message, utcnow


def new_template(api, **fields) -> dict:
    """POST /templates, asserting it was created."""
    response = api.post("/templates", {"name": "Intro", "subject": "Hello", **fields})
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.json


def send_from(api, template_id: int | None, count: int, replied: int, item: str) -> list[str]:
    """Compose `count` mails from a template; the first `replied` of them get answered."""
    ids = []
    for number in range(count):
        sent = compose(
            api, ["peter@initech.example"], item_id=f"{item}-{number}", template_id=template_id
        )
        ids.append(sent["message_id"])
        if number < replied:
            message = db.session.scalar(db.select(Message).filter_by(public_id=ids[-1]))
            message.replied_at = utcnow()
            db.session.commit()
    return ids


def test_a_template_is_its_owners_until_shared(api, world):
    created = new_template(api, html="<p>Hi</p>")
    bob = api.as_token(world.user_token)
    assert bob.get(f"/templates/{created['id']}").status_code == 404
    assert bob.get("/templates").json["items"] == []
    api.patch(f"/templates/{created['id']}", {"shared": True})
    assert [t["id"] for t in bob.get("/templates").json["items"]] == [created["id"]]
    assert bob.patch(f"/templates/{created['id']}", {"name": "Mine"}).status_code == 404
    assert bob.delete(f"/templates/{created['id']}").status_code == 404
    other = api.as_token(world.other_token)
    assert other.get(f"/templates/{created['id']}").status_code == 404


def test_admins_change_the_teams_templates(api, world):
    bob = api.as_token(world.user_token)
    bobs = new_template(bob, shared=True)
    changed = api.patch(f"/templates/{bobs['id']}", {"subject": "Hi there"})
    assert changed.status_code == 200 and changed.json["subject"] == "Hi there"
    assert api.delete(f"/templates/{bobs['id']}").status_code == 204
    assert bob.get(f"/templates/{bobs['id']}").status_code == 404


def test_the_body_is_sanitised(api, world):
    created = new_template(api, html='<p onclick="x()">Hi</p><script>alert(1)</script>')
    assert "script" not in created["html"] and "onclick" not in created["html"]
    assert "<p>Hi</p>" in created["html"]


@pytest.mark.parametrize(
    "body",
    [{"name": ""}, {"name": 5}, {"subject": ["x"]}, {"shared": "yes"}, {"name": "x" * 201}],
)
def test_bad_fields_are_named(api, world, body):
    response = api.post("/templates", {"name": "Intro", **body})
    assert response.status_code == 422
    assert set(response.json["error"]["details"]["fields"]) == set(body)


def test_compose_knows_the_template_and_its_uses_count(api, world, recipient, record):
    created = new_template(api)
    [first, second] = send_from(api, created["id"], 2, replied=1, item="t")
    hit(recipient, pixel_path(compose(api, ["peter@initech.example"], item_id="t-0")["html"]))
    record()
    listed = api.get(f"/templates/{created['id']}").json
    assert listed["uses"] == 1  # composing the draft again without the template forgets it
    send_from(api, created["id"], 1, replied=0, item="t")
    assert api.get(f"/templates/{created['id']}").json["uses"] == 2
    assert first != second


def test_rates_count_people_and_answers(api, world, recipient, record):
    created = new_template(api)
    sent = compose(api, ["peter@initech.example"], item_id="a", template_id=created["id"])
    compose(api, ["milton@initech.example"], item_id="b", template_id=created["id"])
    hit(recipient, pixel_path(sent["html"]))
    record()
    message = db.session.scalar(db.select(Message).filter_by(public_id=sent["message_id"]))
    message.replied_at = utcnow()
    db.session.commit()
    result = api.get(f"/templates/{created['id']}").json
    assert (result["uses"], result["open_rate"], result["reply_rate"]) == (2, 0.5, 0.5)
    assert result["recommended"] is False and "2 of the 10" in result["recommendation"]


def test_a_template_is_recommended_only_when_it_clearly_beats_the_team(api, world):
    strong, weak = new_template(api, name="Strong"), new_template(api, name="Weak")
    send_from(api, strong["id"], 12, replied=10, item="s")
    send_from(api, weak["id"], 12, replied=2, item="w")
    send_from(api, None, 20, replied=2, item="plain")
    results = {t["name"]: t for t in api.get("/templates").json["items"]}
    assert results["Strong"]["recommended"] is True
    assert "Recommended" in results["Strong"]["recommendation"]
    assert results["Weak"]["recommended"] is False
    assert "does not beat the team's" in results["Weak"]["recommendation"]


def test_compose_refuses_a_template_it_cannot_see(api, world):
    theirs = new_template(api.as_token(world.other_token))
    body = {
        "subject": "x",
        "from": "alice@acme.example",
        "to": ["peter@initech.example"],
        "html": "<p>x</p>",
        "template_id": theirs["id"],
    }
    assert api.post("/compose", body).status_code == 404
    assert api.post("/compose", {**body, "template_id": "one"}).status_code == 422


def test_the_small_sample_rule():
    team = Results(uses=100, tracked=100, opened=50, replied=10)
    assert recommendation(Results(uses=9, replied=9), team)[0] is False
    assert recommendation(Results(uses=10, replied=9), team)[0] is True
    assert recommendation(Results(uses=10, replied=2), team)[0] is False
    assert 0 < reply_lower_bound(Results(uses=10, replied=5)) < 0.5


def test_the_page_lists_adds_and_changes_templates(client, api, world):
    sign_in(client, "alice@acme.example")
    page = client.get("/templates")
    assert page.status_code == 200 and "No templates yet" in page.get_data(True)
    added = client.post("/templates", data={"name": "Follow-up", "html": "<p>Hi</p>"})
    assert added.status_code == 302
    listing = client.get("/templates").get_data(True)
    assert "Follow-up" in listing and "Not enough sends to judge yet" in listing
    refused = client.post("/templates", data={"name": ""})
    assert refused.status_code == 422 and 'aria-invalid="true"' in refused.get_data(True)
