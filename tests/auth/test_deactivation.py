"""Deactivating a user (PATCH /api/v1/users/<id> {"active": false}) closes every way in at once,
and their mail is no longer logged, with the reason; roles and activation changes are audited."""

from __future__ import annotations

from tests.auth.test_sessions import restart_browser, sign_in, signed_in
from tests.maillog.mail import outgoing, raw
from tracklog.extensions import db
from tracklog.maillog.ingest import process_inbound
from tracklog.maillog.store import store_inbound
from tracklog.maillog.why import render_step
from tracklog.models import AuditEntry


def deactivate(api, world):
    """The admin deactivates Bob."""
    answer = api.patch(f"/users/{world.user.id}", {"active": False})
    assert answer.status_code == 200, answer.json
    return answer


def test_tokens_sessions_and_remembered_sign_ins_stop_at_once(app, api, world):
    browser, remembered = app.test_client(), app.test_client()
    sign_in(browser, "bob@acme.example", remember=False)
    sign_in(remembered, "bob@acme.example")
    assert signed_in(browser) and signed_in(remembered)
    deactivate(api, world)
    refused = api.as_token(world.user_token).get("/me")
    assert refused.status_code == 401 and refused.json["error"]["code"] == "user_inactive"
    assert not signed_in(browser)
    restart_browser(remembered)
    assert not signed_in(remembered)
    assert sign_in(app.test_client(), "bob@acme.example").status_code != 302


def test_their_mail_is_no_longer_logged_and_the_why_says_so(api, world):
    deactivate(api, world)
    inbound = store_inbound(world.account.id, "smtp", raw(outgoing(sender="bob@acme.example")))
    processed = process_inbound(inbound.id)
    assert processed.status == "not_logged"
    last = render_step(processed.steps[-1])
    assert last["code"] == "sender_deactivated" and "deactivated" in last["text"]


def test_deactivation_and_role_changes_are_audited_and_reactivation_works(api, world):
    deactivate(api, world)
    assert api.patch(f"/users/{world.user.id}", {"active": True}).status_code == 200
    assert api.patch(f"/users/{world.user.id}", {"role": "admin"}).status_code == 200
    entries = db.session.scalars(
        db.select(AuditEntry).where(AuditEntry.target_type == "user").order_by(AuditEntry.id)
    ).all()
    assert [(e.action, e.changes) for e in entries] == [
        ("user_deactivated", {"active": [True, False]}),
        ("user_reactivated", {"active": [False, True]}),
        ("role_changed", {"role": ["user", "admin"]}),
    ]
    assert api.as_token(world.user_token).get("/me").status_code == 200


def test_an_admin_cannot_deactivate_or_demote_themselves(api, world):
    for change in ({"active": False}, {"role": "user"}):
        answer = api.patch(f"/users/{world.admin.id}", change)
        assert answer.status_code == 409 and answer.json["error"]["code"] == "cannot_change_self"
    db.session.refresh(world.admin)
    assert world.admin.active and world.admin.is_admin


def test_only_admins_deactivate(api, world):
    answer = api.as_token(world.user_token).patch(f"/users/{world.admin.id}", {"active": False})
    assert answer.status_code == 403
    db.session.refresh(world.admin)
    assert world.admin.active
