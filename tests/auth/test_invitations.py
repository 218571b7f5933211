"""Invitations: an admin invites an address, the invitee sets a password through a one-time link
and signs in with the role they were given; expired, used, withdrawn and forged links do nothing."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from tests.auth.conftest import AUDIENCE, TENANT_ID
from tests.crm.test_board_pages import sign_in
from tracklog.auth.entra import user_for_entra_token
from tracklog.auth.invitations import invite_user
from tracklog.extensions import db
from tracklog.models import AuditEntry, Invitation, User, utcnow

NEW_PASSWORD = "a long enough password"
CAROL_OID = "0f8fad5b-d9cb-469f-a165-70867728950e"


def invite(api, email: str = "carol@acme.example", role: str = "admin", **extra):
    """POST /invitations."""
    return api.post("/invitations", {"email": email, "role": role, **extra})


def token_of(link: str) -> str:
    """The token at the end of an invitation link."""
    return re.search(r"/invite/([^/]+)$", link).group(1)


def accept(client, token: str, password: str = NEW_PASSWORD, repeat: str | None = None):
    """Post the invitation page's form."""
    return client.post(f"/invite/{token}", data={"new": password, "repeat": repeat or password})


def test_an_invitee_sets_a_password_and_signs_in_with_their_role(api, client, world):
    created = invite(api, display_name="Carol")
    assert created.status_code == 201, created.json
    assert created.json["sent"] is False and created.json["role"] == "admin"
    assert created.json["link"].startswith("https://tracklog.test/invite/")
    assert api.get("/invitations").json["items"][0]["email"] == "carol@acme.example"
    assert "link" not in api.get("/invitations").json["items"][0]
    token = token_of(created.json["link"])
    page = client.get(f"/invite/{token}").get_data(as_text=True)
    assert "Acme Sales" in page and "carol@acme.example" in page
    answer = accept(client, token)
    assert answer.status_code == 302 and answer.headers["Location"] == "/"
    assert client.get("/settings/users").status_code == 200  # signed in, as an admin
    carol = db.session.scalar(db.select(User).filter_by(email="carol@acme.example"))
    assert carol.role == "admin" and carol.display_name == "Carol"
    assert carol.account_id == world.account.id
    assert api.get("/invitations").json["items"] == []
    other_browser = client.application.test_client()
    other_browser.post("/sign-in", data={"email": carol.email, "password": NEW_PASSWORD})
    assert other_browser.get("/settings/users").status_code == 200


def test_a_used_link_is_gone_and_creates_nothing(api, client, world):
    token = token_of(invite(api).json["link"])
    assert accept(client, token).status_code == 302
    again = client.application.test_client()
    assert again.get(f"/invite/{token}").status_code == 410
    assert accept(again, token, "another long password").status_code == 410
    assert db.session.scalar(db.select(db.func.count()).select_from(User)) == 4


@pytest.mark.parametrize("how", ["expired", "withdrawn"])
def test_expired_and_withdrawn_links_are_gone(api, client, world, how):
    created = invite(api).json
    if how == "expired":
        invitation = db.session.get(Invitation, created["id"])
        invitation.expires_at = utcnow() - timedelta(seconds=1)
        db.session.commit()
    else:
        assert api.delete(f"/invitations/{created['id']}").status_code == 204
    answer = accept(client, token_of(created["link"]))
    assert answer.status_code == 410
    assert "Ask for a new one" in answer.get_data(as_text=True)
    assert db.session.scalar(db.select(User).filter_by(email="carol@acme.example")) is None


def test_a_forged_link_is_not_found(api, client, world):
    invite(api)
    assert client.get("/invite/forged-token").status_code == 404
    assert accept(client, "forged-token").status_code == 404
    assert db.session.scalar(db.select(User).filter_by(email="carol@acme.example")) is None


def test_the_password_rules_of_a_password_change_hold(api, client, world):
    token = token_of(invite(api).json["link"])
    short = accept(client, token, "short")
    assert short.status_code == 200 and "at least 8 characters" in short.get_data(as_text=True)
    differ = accept(client, token, NEW_PASSWORD, "something else")
    assert "The new passwords differ." in differ.get_data(as_text=True)
    assert db.session.scalar(db.select(User).filter_by(email="carol@acme.example")) is None
    assert accept(client, token).status_code == 302


def test_existing_users_and_bad_input_are_refused(api, world):
    taken = invite(api, "Bob@acme.example")
    assert taken.status_code == 409 and taken.json["error"]["code"] == "user_exists"
    assert invite(api, "hank@globex.example").status_code == 409
    assert invite(api, "not an address").status_code == 422
    assert invite(api, role="owner").status_code == 422
    assert api.get("/invitations").json["items"] == []


def test_only_admins_invite_and_see_invitations(api, world):
    as_user = api.as_token(world.user_token)
    assert invite(as_user).status_code == 403
    created = invite(api).json
    assert as_user.get("/invitations").status_code == 403
    assert as_user.delete(f"/invitations/{created['id']}").status_code == 403
    as_other = api.as_token(world.other_token)
    assert as_other.get("/invitations").json["items"] == []
    assert as_other.delete(f"/invitations/{created['id']}").status_code == 404


def test_inviting_again_replaces_the_pending_link(api, client, world):
    first = invite(api, role="user").json
    second = invite(api, role="admin").json
    assert [item["id"] for item in api.get("/invitations").json["items"]] == [second["id"]]
    assert accept(client, token_of(first["link"])).status_code == 410


def test_invitations_and_withdrawals_are_audited(api, world):
    created = invite(api).json
    api.delete(f"/invitations/{created['id']}")
    entries = db.session.scalars(db.select(AuditEntry).order_by(AuditEntry.id)).all()
    mine = [(e.action, e.target_type, e.target_id) for e in entries if "invit" in e.action]
    assert mine == [
        ("user_invited", "invitation", created["id"]),
        ("invitation_revoked", "invitation", created["id"]),
    ]
    assert "carol" not in str([e.changes for e in entries])
    assert [e["action"] for e in api.get("/audit-log").json["items"]][:2] == [
        "invitation_revoked",
        "user_invited",
    ]


def test_the_invitation_page_offers_microsoft_sign_in_when_the_account_has_it(api, client, world):
    token = token_of(invite(api).json["link"])
    assert "Sign in with Microsoft" not in client.get(f"/invite/{token}").get_data(as_text=True)
    world.account.entra_tenant_id = TENANT_ID
    db.session.commit()
    assert "Sign in with Microsoft" in client.get(f"/invite/{token}").get_data(as_text=True)


def test_a_signed_in_user_who_opens_an_invitation_becomes_the_invitee(api, client, world):
    token = token_of(invite(api, role="user").json["link"])
    sign_in(client, world.admin)
    assert accept(client, token).status_code == 302
    assert client.get("/settings/users").status_code == 403  # now carol, a user


def test_an_entra_sign_in_of_an_invited_address_takes_the_invitations_role(world, idp):
    world.account.entra_tenant_id = TENANT_ID
    db.session.commit()
    invitation, _link = invite_user(world.admin, "carol@acme.example", "admin")
    user = user_for_entra_token(idp.token(TENANT_ID, AUDIENCE, oid=CAROL_OID))
    assert (user.email, user.role, user.account_id) == (
        "carol@acme.example",
        "admin",
        world.account.id,
    )
    db.session.refresh(invitation)
    assert invitation.used_at is not None
