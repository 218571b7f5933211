"""The audit log: what is recorded, who may read it, and that accounts never see each other's."""

from __future__ import annotations

import pytest

from tracklog.audit.log import changed_fields, record_audit
from tracklog.extensions import db
from tracklog.models import AuditEntry


@pytest.fixture(autouse=True)
def empty_log(world):
    """Start from an empty log: making the world's tokens was audited too."""
    db.session.execute(db.delete(AuditEntry))
    db.session.commit()


def test_an_admin_reads_entries_newest_first_with_who_what_and_changes(api, world):
    record_audit(
        world.admin,
        world.account.id,
        "settings_changed",
        ("account", world.account.id),
        changed_fields({"currency": "EUR"}, {"currency": "SEK"}),
    )
    record_audit(world.admin, world.account.id, "token_revoked", ("token", 7))
    db.session.commit()
    answer = api.get("/audit-log")
    assert answer.status_code == 200
    items = answer.json["items"]
    assert [item["action"] for item in items] == ["token_revoked", "settings_changed"]
    assert items[1]["actor"] == {"id": world.admin.id, "email": world.admin.email}
    assert items[1]["changes"] == {"currency": ["EUR", "SEK"]}
    assert items[0]["target"] == {"type": "token", "id": 7}


def test_entries_of_one_action_can_be_asked_for(api, world):
    record_audit(world.admin, world.account.id, "contact_exported", ("contact", 1))
    record_audit(None, world.account.id, "retention_run", changes={"events": [None, 3]})
    db.session.commit()
    items = api.get("/audit-log?action=retention_run").json["items"]
    assert [item["action"] for item in items] == ["retention_run"]
    assert items[0]["actor"] is None


def test_an_unknown_action_filter_is_a_validation_error(api):
    answer = api.get("/audit-log?action=made_up")
    assert answer.status_code == 422
    assert answer.json["error"]["code"] == "validation_failed"


def test_a_user_who_is_not_an_admin_is_refused(api, world):
    answer = api.as_token(world.user_token).get("/audit-log")
    assert answer.status_code == 403
    assert answer.json["error"]["code"] == "forbidden"


def test_another_accounts_entries_are_never_shown(api, world):
    record_audit(world.other_admin, world.other_account.id, "token_created", ("token", 1))
    db.session.commit()
    assert api.get("/audit-log").json["items"] == []
    assert len(api.as_token(world.other_token).get("/audit-log").json["items"]) == 1


def test_the_actor_stays_named_after_the_user_is_deleted(api, world):
    record_audit(world.user, world.account.id, "never_log_added", ("never_log", 3))
    db.session.commit()
    db.session.delete(world.user)
    db.session.commit()
    actor = api.get("/audit-log").json["items"][0]["actor"]
    assert actor == {"id": None, "email": "bob@acme.example"}


def test_an_action_nobody_declared_is_a_programming_error(world):
    with pytest.raises(ValueError):
        record_audit(world.admin, world.account.id, "something_else")


def test_changed_fields_keeps_only_what_differs():
    assert changed_fields({"a": 1, "b": 2}, {"a": 1, "b": 3}) == {"b": [2, 3]}
