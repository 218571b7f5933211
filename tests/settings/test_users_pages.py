"""The users page (admins): invite with the link shown once, withdraw, make admin or user,
deactivate and reactivate through the same rules as the API; and each user's addresses page."""

from __future__ import annotations

import re

from tests.crm.test_board_pages import sign_in
from tracklog.extensions import db
from tracklog.models import Invitation, UserAddress


def test_an_admin_invites_from_the_page_and_sees_the_link_once(client, world):
    sign_in(client, world.admin)
    page = client.get("/settings/users").get_data(as_text=True)
    assert "bob@acme.example" in page and "hank@globex.example" not in page
    answer = client.post(
        "/settings/users/invite", data={"email": "carol@acme.example", "role": "user"}
    )
    shown = answer.get_data(as_text=True)
    assert answer.status_code == 200 and "will not be shown again" in shown
    assert re.search(r"https://tracklog\.test/invite/\S+", shown)
    again = client.get("/settings/users").get_data(as_text=True)
    assert "carol@acme.example" in again and "/invite/" not in again
    [invitation] = db.session.scalars(db.select(Invitation)).all()
    withdrawn = client.post(f"/settings/users/invitations/{invitation.id}/revoke")
    assert "was withdrawn" in client.get(withdrawn.headers["Location"]).get_data(as_text=True)
    db.session.refresh(invitation)
    assert invitation.revoked_at is not None


def test_a_refused_invitation_says_why(client, world):
    sign_in(client, world.admin)
    answer = client.post("/settings/users/invite", data={"email": "bob@acme.example"})
    assert answer.status_code == 409
    assert "already a user" in answer.get_data(as_text=True)


def test_roles_and_activation_change_from_the_page(client, world):
    sign_in(client, world.admin)
    client.post(f"/settings/users/{world.user.id}/role", data={"role": "admin"})
    db.session.refresh(world.user)
    assert world.user.role == "admin"
    client.post(f"/settings/users/{world.user.id}/role", data={"role": "user"})
    client.post(f"/settings/users/{world.user.id}/active", data={"active": "0"})
    db.session.refresh(world.user)
    assert world.user.role == "user" and world.user.active is False
    client.post(f"/settings/users/{world.user.id}/active", data={"active": "1"})
    db.session.refresh(world.user)
    assert world.user.active is True


def test_an_admin_cannot_demote_or_deactivate_themselves(client, world):
    sign_in(client, world.admin)
    answer = client.post(f"/settings/users/{world.admin.id}/role", data={"role": "user"})
    assert "cannot change your own role" in client.get(answer.headers["Location"]).get_data(
        as_text=True
    )
    client.post(f"/settings/users/{world.admin.id}/active", data={"active": "0"})
    db.session.refresh(world.admin)
    assert world.admin.role == "admin" and world.admin.active is True


def test_users_of_other_accounts_are_not_found(client, world):
    sign_in(client, world.admin)
    answer = client.post(f"/settings/users/{world.other_admin.id}/active", data={"active": "0"})
    assert "not" in client.get(answer.headers["Location"]).get_data(as_text=True)
    db.session.refresh(world.other_admin)
    assert world.other_admin.active is True


def test_a_user_who_is_not_an_admin_gets_403(client, world):
    sign_in(client, world.user)
    assert client.get("/settings/users").status_code == 403
    assert (
        client.post("/settings/users/invite", data={"email": "x@acme.example"}).status_code == 403
    )
    client.post(f"/settings/users/{world.admin.id}/active", data={"active": "0"})
    db.session.refresh(world.admin)
    assert world.admin.active is True
    assert db.session.scalars(db.select(Invitation)).all() == []
    assert "/settings/users" not in client.get("/settings/never-log").get_data(as_text=True)


def test_a_user_adds_and_removes_an_address_on_their_page(client, world):
    sign_in(client, world.user)
    answer = client.post("/settings/addresses", data={"email": "bob.sales@acme.example"})
    shown = answer.get_data(as_text=True)
    assert "waiting for confirmation" in shown and "/verify-address/" in shown
    link = re.search(r"https://tracklog\.test(/verify-address/\S+?)<", shown).group(1)
    assert client.get(link).status_code == 200
    assert client.post(link).status_code == 200
    assert "verified" in client.get("/settings/addresses").get_data(as_text=True)
    [alias] = db.session.scalars(db.select(UserAddress)).all()
    client.post(f"/settings/addresses/{alias.id}/remove")
    assert db.session.scalars(db.select(UserAddress)).all() == []
