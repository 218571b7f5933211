"""/api/v1/never-log: the account's list (admins) and each user's own, and what they change."""

from __future__ import annotations

from tests.tracking.helpers import compose
from tracklog.extensions import db
from tracklog.models import AuditEntry, NeverLogEntry


def add(api, pattern: str, scope: str):
    """POST /never-log."""
    return api.post("/never-log", {"pattern": pattern, "scope": scope})


def test_an_admin_adds_a_domain_for_the_whole_account(api, world):
    created = add(api, "@Initech.example", "account")
    assert created.status_code == 201, created.json
    assert created.json["pattern"] == "initech.example" and created.json["kind"] == "domain"
    assert created.json["added_by"] == {"id": world.admin.id, "email": world.admin.email}
    as_user = api.as_token(world.user_token)
    answer = compose(as_user, ["peter@initech.example"])
    assert answer["recipients"][0]["log"] is False
    assert "never-log" in answer["recipients"][0]["reason"]


def test_a_users_own_list_is_theirs_alone(api, world):
    as_user = api.as_token(world.user_token)
    created = add(as_user, "Peter@Initech.example", "user")
    assert created.status_code == 201 and created.json["kind"] == "address"
    assert created.json["scope"] == "user"
    assert compose(as_user, ["peter@initech.example"])["recipients"][0]["log"] is False
    assert compose(api, ["peter@initech.example"])["recipients"][0]["log"] is True
    assert api.get("/never-log").json["items"] == []
    assert [item["pattern"] for item in as_user.get("/never-log").json["items"]] == [
        "peter@initech.example"
    ]


def test_a_user_sees_the_accounts_list_but_cannot_change_it(api, world):
    entry = add(api, "initech.example", "account").json
    as_user = api.as_token(world.user_token)
    assert [item["id"] for item in as_user.get("/never-log").json["items"]] == [entry["id"]]
    assert add(as_user, "globex.example", "account").status_code == 403
    assert as_user.delete(f"/never-log/{entry['id']}").status_code == 403
    assert db.session.get(NeverLogEntry, entry["id"]) is not None


def test_removing_an_entry_logs_the_recipient_again_and_is_audited(api, world):
    entry = add(api, "initech.example", "account").json
    assert api.delete(f"/never-log/{entry['id']}").status_code == 204
    assert compose(api, ["peter@initech.example"])["recipients"][0]["log"] is True
    actions = db.session.scalars(db.select(AuditEntry.action).order_by(AuditEntry.id)).all()
    assert [action for action in actions if action.startswith("never_log")] == [
        "never_log_added",
        "never_log_removed",
    ]


def test_bad_patterns_and_scopes_are_named(api, world):
    for pattern, scope, field in [
        ("not a pattern", "account", "pattern"),
        ("localhost", "account", "pattern"),
        (None, "user", "pattern"),
        ("initech.example", "team", "scope"),
    ]:
        answer = add(api, pattern, scope)
        assert answer.status_code == 422, (pattern, scope)
        assert field in answer.json["error"]["details"]["fields"]


def test_the_same_pattern_twice_is_a_conflict(api, world):
    assert add(api, "initech.example", "account").status_code == 201
    assert add(api, "INITECH.example", "account").status_code == 409
    assert add(api, "initech.example", "user").status_code == 201


def test_other_accounts_and_other_users_entries_are_not_found(api, world):
    theirs = add(api.as_token(world.other_token), "initech.example", "account").json
    assert api.delete(f"/never-log/{theirs['id']}").status_code == 404
    bobs = add(api.as_token(world.user_token), "initech.example", "user").json
    assert api.delete(f"/never-log/{bobs['id']}").status_code == 404
    assert api.get("/never-log").json["items"] == []
