"""GET /api/v1/tokens and DELETE /api/v1/tokens/<id>: a user's own tokens, every token of the
account for admins, revocable at once and audited."""

from __future__ import annotations

from tests.crm.test_board_pages import sign_in
from tracklog.extensions import db
from tracklog.models import ApiToken, AuditEntry


def test_a_user_lists_only_their_own_tokens(api, world):
    items = api.as_token(world.user_token).get("/tokens").json["items"]
    assert [item["owner"]["email"] for item in items] == ["bob@acme.example"]
    assert world.user_token not in str(items)
    assert items[0]["prefix"] == world.user_token[:10] and items[0]["revoked_at"] is None


def test_an_admin_lists_every_token_of_the_account_with_owner_and_last_use(api, world):
    api.as_token(world.user_token).get("/me")
    items = api.get("/tokens").json["items"]
    assert [item["owner"]["email"] for item in items] == ["bob@acme.example", "alice@acme.example"]
    assert items[0]["last_used_at"] is not None
    assert "hank@globex.example" not in str(items)


def test_an_admin_revokes_a_users_token_and_it_stops_working(api, world):
    bobs = api.get("/tokens").json["items"][0]
    revoked = api.delete(f"/tokens/{bobs['id']}")
    assert revoked.status_code == 200 and revoked.json["revoked_at"] is not None
    refused = api.as_token(world.user_token).get("/me")
    assert refused.status_code == 401 and refused.json["error"]["code"] == "token_revoked"
    entry = db.session.scalars(db.select(AuditEntry).filter_by(action="token_revoked")).one()
    assert (entry.actor_id, entry.target_type, entry.target_id) == (
        world.admin.id,
        "api_token",
        bobs["id"],
    )


def test_a_user_cannot_revoke_someone_elses_token(api, world):
    alices = db.session.scalars(db.select(ApiToken).filter_by(user_id=world.admin.id)).one()
    answer = api.as_token(world.user_token).delete(f"/tokens/{alices.id}")
    assert answer.status_code == 404
    assert api.get("/me").status_code == 200


def test_another_accounts_token_is_not_found(api, world):
    hanks = db.session.scalars(db.select(ApiToken).filter_by(user_id=world.other_admin.id)).one()
    assert api.delete(f"/tokens/{hanks.id}").status_code == 404
    assert api.as_token(world.other_token).get("/me").status_code == 200


def test_creating_a_token_is_audited(api, world):
    created = api.as_token(world.user_token).post("/me/addin-token", {"name": "Outlook"})
    assert created.status_code == 201
    actions = db.session.scalars(
        db.select(AuditEntry.action).filter_by(account_id=world.account.id, actor_id=world.user.id)
    ).all()
    assert "token_created" in actions


def test_the_token_page_shows_an_admin_every_owner_and_revokes_any(client, world):
    sign_in(client, world.admin)
    page = client.get("/settings/tokens").get_data(as_text=True)
    assert "Every token of the account" in page and "bob@acme.example" in page
    bobs = db.session.scalars(db.select(ApiToken).filter_by(user_id=world.user.id)).one()
    client.post(f"/settings/tokens/{bobs.id}/revoke")
    db.session.expire_all()
    assert db.session.get(ApiToken, bobs.id).revoked_at is not None


def test_the_token_page_shows_a_user_only_their_own(client, world):
    sign_in(client, world.user)
    page = client.get("/settings/tokens").get_data(as_text=True)
    assert "Your tokens" in page and "alice@acme.example" not in page


def test_the_add_in_token_may_only_prepare_and_log_mail(api, world):
    created = api.as_token(world.user_token).post("/me/addin-token", {"name": "Outlook"})
    assert created.status_code == 201 and created.json["scope"] == "compose"
    scoped = api.as_token(created.json["token"])
    assert scoped.get("/me").status_code == 200
    composed = scoped.post(
        "/compose", {"to": ["peter@initech.example"], "html": "<p>Hi</p>", "subject": "Hi"}
    )
    assert composed.status_code == 200
    for refused in (scoped.get("/contacts"), scoped.get("/messages"), scoped.get("/tokens")):
        assert refused.status_code == 403 and refused.json["error"]["code"] == "token_scope"
    listed = api.as_token(world.user_token).get("/tokens").json["items"]
    assert [item["scope"] for item in listed] == ["compose", "full"]
    assert api.as_token(world.user_token).delete(f"/tokens/{listed[0]['id']}").status_code == 200
    assert scoped.get("/me").status_code == 401
