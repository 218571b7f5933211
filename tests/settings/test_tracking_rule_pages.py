"""/settings/tracking-rules: an admin lists, adds and removes the account's rules and classifies
the stored hits again; refused rules are shown at their fields."""

from __future__ import annotations

from tests.crm.test_board_pages import sign_in
from tracklog.extensions import db
from tracklog.models import TrackingRule

RULE = {
    "classification": "scanner",
    "user_agent_contains": "",
    "ip_networks": "198.51.100.0/24",
    "note": "Our partner's sandbox follows every link.",
}


def test_an_admin_adds_lists_and_removes_a_rule(client, world):
    sign_in(client, world.admin)
    page = client.get("/settings/tracking-rules").get_data(as_text=True)
    assert "gmail-image-proxy" in page and "No rules of your own yet." in page
    assert 'href="/settings/tracking-rules"' in page
    added = client.post("/settings/tracking-rules", data=RULE)
    assert added.status_code == 302
    [rule] = db.session.scalars(db.select(TrackingRule)).all()
    assert rule.match == {"ip_networks": ["198.51.100.0/24"]} and rule.classification == "scanner"
    page = client.get("/settings/tracking-rules").get_data(as_text=True)
    assert "Our partner&#39;s sandbox follows every link." in page
    assert "198.51.100.0/24" in page and world.admin.email in page
    client.post(f"/settings/tracking-rules/{rule.id}/remove")
    assert db.session.scalars(db.select(TrackingRule)).all() == []


def test_a_refused_rule_is_shown_again_with_the_problem_at_its_field(client, world):
    sign_in(client, world.admin)
    refused = client.post("/settings/tracking-rules", data={**RULE, "ip_networks": "10.0.0.0/33"})
    assert refused.status_code == 422
    page = refused.get_data(as_text=True)
    assert 'id="rule-ip_networks"' in page and "setting-invalid" in page
    assert 'value="10.0.0.0/33"' in page and "not an IP network" in page
    empty = client.post("/settings/tracking-rules", data={**RULE, "ip_networks": "", "note": ""})
    assert empty.status_code == 422
    assert "give a user-agent text or an IP network" in empty.get_data(as_text=True)
    assert db.session.scalars(db.select(TrackingRule)).all() == []


def test_reclassifying_from_the_page_shows_the_counts(client, world):
    sign_in(client, world.admin)
    answer = client.post("/settings/tracking-rules/reclassify")
    assert answer.status_code == 200
    assert "Hits examined: 0. Changed: 0." in answer.get_data(as_text=True)


def test_users_who_are_not_admins_are_refused(client, world):
    sign_in(client, world.user)
    assert client.get("/settings/tracking-rules").status_code == 403
    assert client.post("/settings/tracking-rules", data=RULE).status_code == 403
    assert client.post("/settings/tracking-rules/reclassify").status_code == 403
    nav = client.get("/settings/never-log").get_data(as_text=True)
    assert "/settings/tracking-rules" not in nav
