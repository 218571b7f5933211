"""/api/v1/tracking-rules: an admin's own rules classify the account's next hits, and stored hits
are classified again on request, with the message's counts following."""

from __future__ import annotations

import pytest

from tests.tracking.helpers import (
    CHROME_WINDOWS,
    click_paths,
    compose,
    pixel_path,
    sent_an_hour_ago,
)
from tests.tracking.test_hits import events, hit
from tracklog.extensions import db
from tracklog.models import AuditEntry, EngagementEvent, TrackingRule

GATEWAY = "Mozilla/5.0 (Windows NT 10.0) AcmeMailGateway/2.1"
NOTE = "Our mail gateway fetches images when a mail is opened."


def add_rule(api, **fields):
    """POST /tracking-rules with a gateway rule, changed by fields."""
    body = {"classification": "proxy", "user_agent_contains": "AcmeMailGateway", "note": NOTE}
    return api.post("/tracking-rules", {**body, **fields})


def audit_actions() -> list[str]:
    """The audit log's actions, oldest first."""
    return db.session.scalars(db.select(AuditEntry.action).order_by(AuditEntry.id)).all()


def test_a_rule_for_a_user_agent_classifies_the_next_open_with_the_note(
    api, world, recipient, record
):
    created = add_rule(api)
    assert created.status_code == 201, created.json
    rule = created.json
    assert rule["classification"] == "proxy" and rule["note"] == NOTE
    assert rule["match"] == {"user_agent_contains": ["AcmeMailGateway"]}
    assert rule["added_by"] == {"id": world.admin.id, "email": world.admin.email}
    sent = compose(api, ["peter@initech.example"])
    hit(recipient, pixel_path(sent["html"]), agent=GATEWAY)
    assert record() == 1
    [event] = events()
    assert event.classification == "proxy" and event.reason == NOTE
    assert event.evidence["rule"] == rule["rule"] and event.country is None
    [shown] = api.get(f"/messages/{sent['message_id']}").json["events"]
    assert shown["reason"] == NOTE and shown["classification"] == "proxy"


def test_other_accounts_are_not_affected(api, world, recipient, record):
    assert add_rule(api).status_code == 201
    theirs = api.as_token(world.other_token)
    sent = compose(theirs, ["peter@initech.example"], **{"from": "hank@globex.example"})
    hit(recipient, pixel_path(sent["html"]), agent=GATEWAY)
    record()
    [event] = events()
    assert event.classification == "human"
    assert theirs.get("/tracking-rules").json["items"] == []


def test_a_rule_on_a_network_classifies_clicks_from_it(api, world, recipient, record):
    created = add_rule(
        api, classification="scanner", user_agent_contains=None, ip_networks="198.51.100.0/24"
    )
    assert created.status_code == 201, created.json
    sent = compose(api, ["peter@initech.example"])
    hit(recipient, click_paths(sent["html"])[0], agent=CHROME_WINDOWS, ip="198.51.100.7")
    record()
    [event] = events()
    assert event.classification == "scanner" and event.reason == NOTE


def test_reclassification_turns_a_human_open_into_a_proxy_open_and_the_kpis_follow(
    api, world, recipient, record
):
    sent = compose(api, ["peter@initech.example"])
    hit(recipient, pixel_path(sent["html"]), agent=GATEWAY)
    hit(recipient, pixel_path(sent["html"]), agent=CHROME_WINDOWS, ip="81.2.69.160")
    record()
    before = api.get(f"/messages/{sent['message_id']}").json["kpis"]
    assert before["human_opens"] == 2 and before["opens_through_proxy"] == 0
    add_rule(api)
    answer = api.post("/tracking-rules/reclassify")
    assert answer.status_code == 200, answer.json
    assert answer.json == {
        "examined": 2,
        "changed": 1,
        "changes": [{"from": "human", "to": "proxy", "count": 1}],
    }
    after = api.get(f"/messages/{sent['message_id']}").json
    assert after["kpis"]["human_opens"] == 2 and after["kpis"]["opens_through_proxy"] == 1
    reasons = {event["classification"]: event["reason"] for event in after["events"]}
    assert reasons["proxy"] == NOTE
    add_rule(api, classification="prefetch", note="Our archive fetches every image.")
    api.post("/tracking-rules/reclassify")
    kpis = api.get(f"/messages/{sent['message_id']}").json["kpis"]
    assert kpis["human_opens"] == 2, "the first rule added is tried first"
    entry = db.session.scalars(
        db.select(AuditEntry).where(AuditEntry.action == "hits_reclassified")
    ).first()
    assert entry.changes["examined"] == 2 and entry.changes["changed"] == 1
    assert entry.actor_id == world.admin.id


def test_removing_a_rule_and_classifying_again_gives_the_open_back(api, world, recipient, record):
    rule = add_rule(api).json
    sent = compose(api, ["peter@initech.example"])
    hit(recipient, pixel_path(sent["html"]), agent=GATEWAY)
    record()
    assert api.delete(f"/tracking-rules/{rule['id']}").status_code == 204
    assert api.post("/tracking-rules/reclassify").json["changes"] == [
        {"from": "proxy", "to": "human", "count": 1}
    ]
    [event] = events()
    assert event.classification == "human" and event.country == "GB"
    assert [a for a in audit_actions() if a.startswith("tracking_rule")] == [
        "tracking_rule_added",
        "tracking_rule_removed",
    ]


def test_the_verdicts_made_before_the_rules_stand(api, world, recipient, record):
    sent = compose(api, ["peter@initech.example"])
    recipient.head(click_paths(sent["html"])[0], headers={"User-Agent": GATEWAY})
    record()
    add_rule(api, classification="bot")
    assert api.post("/tracking-rules/reclassify").json["changed"] == 0
    [event] = events()
    assert event.classification == "scanner" and event.evidence["rule"] == "head-request"


def test_hits_recorded_without_headers_are_not_judged_by_header_rules(
    api, world, recipient, record
):
    sent = compose(api, ["peter@initech.example"])
    sent_an_hour_ago(sent["message_id"])
    aws = "3.5.140.2"  # an AWS address: cloud-automation needs a missing Accept-Language
    recipient.get(
        click_paths(sent["html"])[0],
        headers={"User-Agent": CHROME_WINDOWS, "Accept-Language": "en"},
        environ_base={"REMOTE_ADDR": aws},
    )
    record()
    [event] = events()
    assert event.classification == "human" and event.headers == {"accept-language": "en"}
    event.headers = None  # as recorded before migration 0020
    db.session.commit()
    assert api.post("/tracking-rules/reclassify").json["changed"] == 0
    assert events()[0].classification == "human"


@pytest.mark.parametrize(
    "fields, field",
    [
        ({"classification": "human"}, "classification"),
        ({"classification": None}, "classification"),
        ({"note": "  "}, "note"),
        ({"note": "x" * 501}, "note"),
        ({"user_agent_contains": None}, "match"),
        ({"user_agent_contains": ""}, "match"),
        ({"user_agent_contains": None, "ip_networks": "10.0.0.0/33"}, "ip_networks"),
        ({"user_agent_contains": None, "ip_networks": "gateway"}, "ip_networks"),
        ({"user_agent_contains": None, "user_agent_regex": ["("]}, "user_agent_regex"),
        ({"user_agent_contains": 7}, "user_agent_contains"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_bad_rules_are_refused_with_the_field_named(api, world, fields, field):
    body = {k: v for k, v in fields.items() if v is not None}
    sent = {"classification": "proxy", "user_agent_contains": "Gateway", "note": NOTE}
    sent.update(body)
    for name, value in fields.items():
        if value is None:
            sent.pop(name)
    answer = api.post("/tracking-rules", sent)
    assert answer.status_code == 422, answer.json
    assert answer.json["error"]["code"]
    assert field in answer.json["error"]["details"]["fields"]
    assert db.session.scalars(db.select(TrackingRule)).all() == []


def test_the_api_takes_any_matcher_of_the_rules_file(api, world):
    created = add_rule(
        api, user_agent_contains=None, headers_contain={"Via": "acme-gw"}, kinds=["open"]
    )
    assert created.status_code == 201, created.json
    assert created.json["match"] == {"headers_contain": {"Via": "acme-gw"}, "kinds": ["open"]}


def test_only_admins_manage_tracking_rules(api, world):
    rule = add_rule(api).json
    as_user = api.as_token(world.user_token)
    assert as_user.get("/tracking-rules").status_code == 403
    assert add_rule(as_user).status_code == 403
    assert as_user.delete(f"/tracking-rules/{rule['id']}").status_code == 403
    assert as_user.post("/tracking-rules/reclassify").status_code == 403
    theirs = api.as_token(world.other_token)
    assert theirs.delete(f"/tracking-rules/{rule['id']}").status_code == 404
    assert len(db.session.scalars(db.select(TrackingRule)).all()) == 1


def test_the_list_shows_the_files_rules_read_only_and_the_accounts_own(api, world):
    rule = add_rule(api).json
    listed = api.get("/tracking-rules").json
    assert [item["id"] for item in listed["items"]] == [rule["id"]]
    built_in = {item["rule"]: item for item in listed["built_in"]}
    assert built_in["gmail-image-proxy"]["classification"] == "proxy"
    assert built_in["gmail-image-proxy"]["file"] == "packaged"
    assert "Gmail" in built_in["gmail-image-proxy"]["reason"]


def test_a_change_in_another_process_is_seen_within_seconds(app, api, world, recipient, record):
    from tracklog.tracking import accountrules

    sent = compose(api, ["peter@initech.example"])
    hit(recipient, pixel_path(sent["html"]), agent=GATEWAY)
    record()
    db.session.add(
        TrackingRule(
            account_id=world.account.id,
            slug="account-elsewhere",
            classification="proxy",
            match={"user_agent_contains": ["AcmeMailGateway"]},
            note=NOTE,
        )
    )
    db.session.commit()  # as another process would: this one's cache is not told
    hit(recipient, pixel_path(sent["html"]), agent=GATEWAY, ip="81.2.69.161")
    cache = accountrules.account_rules()
    cache.checked_at -= accountrules.CHECK_SECONDS
    record()
    assert [e.classification for e in events()] == ["human", "proxy"]
    assert (
        db.session.scalar(
            db.select(EngagementEvent.reason).order_by(EngagementEvent.id.desc()).limit(1)
        )
        == NOTE
    )


def test_an_open_that_becomes_a_machines_hands_the_first_open_and_its_repeats_on(
    api, world, recipient, record
):
    sent = compose(api, ["peter@initech.example"])
    pixel = pixel_path(sent["html"])
    hit(recipient, pixel, agent=GATEWAY)
    hit(recipient, pixel, agent=CHROME_WINDOWS, ip="81.2.69.160")
    hit(recipient, pixel, agent=GATEWAY)
    record()
    before = api.get(f"/messages/{sent['message_id']}").json["kpis"]
    assert before["human_opens"] == 2 and before["repeat_opens_collapsed"] == 1
    add_rule(api, classification="prefetch", note="Our archive fetches every image.")
    answer = api.post("/tracking-rules/reclassify").json
    assert answer["changes"] == [{"from": "human", "to": "prefetch", "count": 2}]
    after = api.get(f"/messages/{sent['message_id']}").json["kpis"]
    assert after["human_opens"] == 1 and after["repeat_opens_collapsed"] == 0
    assert after["machine_hits"]["prefetch"] == 2
    [first] = [event for event in events() if event.first_human_open]
    assert first.user_agent == CHROME_WINDOWS and first.counted
