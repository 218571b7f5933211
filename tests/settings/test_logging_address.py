"""Rotating the logging address: a new key at once, the old one logged for a grace period, then
refused at SMTP with the new address named."""

from __future__ import annotations

from datetime import timedelta

from tests.crm.test_board_pages import sign_in
from tests.maillog.test_smtpd import connect, deliver, mail, stored
from tracklog.extensions import db
from tracklog.models import AuditEntry, utcnow


def test_an_admin_rotates_and_the_old_address_works_through_the_grace_period(api, world, start):
    old = api.get("/account/logging-address").json["address"]
    rotated = api.post("/account/logging-address/rotate", {"grace_days": 7})
    assert rotated.status_code == 200, rotated.json
    new = rotated.json["address"]
    assert new != old and rotated.json["previous_address"] == old
    assert api.get("/me").json["bcc"] == new
    receiver = start()
    with connect(receiver) as client:
        assert deliver(client, old, mail())[0] == 250
        assert deliver(client, new, mail())[0] == 250
    assert {inbound.account_id for inbound in stored()} == {world.account.id}


def test_after_the_grace_period_the_old_address_answers_550_naming_the_new(api, world, start):
    old = api.get("/account/logging-address").json["address"]
    new = api.post("/account/logging-address/rotate", {"grace_days": 1}).json["address"]
    db.session.refresh(world.account)
    world.account.previous_bcc_key_until = utcnow() - timedelta(seconds=1)
    db.session.commit()
    receiver = start()
    with connect(receiver) as client:
        code, answer = deliver(client, old, mail())
    assert code == 550 and new in answer.decode()
    assert stored() == []


def test_only_admins_rotate_and_each_rotation_is_audited(api, world):
    refused = api.as_token(world.user_token).post("/account/logging-address/rotate", {})
    assert refused.status_code == 403
    assert api.post("/account/logging-address/rotate", {"grace_days": 365}).status_code == 422
    assert api.post("/account/logging-address/rotate", {}).status_code == 200
    entry = db.session.scalars(db.select(AuditEntry).filter_by(action="bcc_address_rotated")).one()
    assert entry.changes["grace_days"] == [None, 7]


def test_the_settings_page_shows_the_address_and_rotates_it(client, world):
    sign_in(client, world.admin)
    old_key = world.account.bcc_key
    assert old_key in client.get("/settings").get_data(as_text=True)
    page = client.post("/settings/logging-address/rotate", follow_redirects=True)
    db.session.refresh(world.account)
    assert world.account.previous_bcc_key == old_key
    assert world.account.bcc_key in page.get_data(as_text=True)
