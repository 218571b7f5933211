"""The connected mailbox's base: sealed secrets, status, disconnect, the sync schedule, and the
deal of mail received before the mailbox was connected."""

from __future__ import annotations

from datetime import timedelta
from email.utils import format_datetime

import pytest

from tests import factories
from tests.crm.test_board_pages import sign_in
from tests.maillog.mail import outgoing, raw
from tests.maillog.test_ingest import timeline_of, why_texts
from tracklog.extensions import db
from tracklog.mailbox import schedule
from tracklog.mailbox.connections import connect, connection_of, secret_of
from tracklog.mailbox.intake import log_synced_mail
from tracklog.mailbox.schedule import MailboxSyncError, run_due_syncs
from tracklog.mailbox.sealing import SecretUnreadable, seal, unseal
from tracklog.models import Activity, ActivityAssociation, AuditEntry, InboundMessage, utcnow
from tracklog.models.mailbox import MailboxConnection

# What the replay provider below finds in the mailbox on its next sync.
MAILBOX: list[bytes] = []


def replay_sync(connection: MailboxConnection) -> tuple[dict, timedelta]:
    """A provider whose mailbox is MAILBOX: logs each mail once, counting its passes."""
    for mail in MAILBOX:
        log_synced_mail(connection, mail)
    if connection.settings.get("fail"):
        raise MailboxSyncError("consent_revoked", "Consent was revoked.", timedelta(hours=1))
    return {"passes": connection.state.get("passes", 0) + 1}, timedelta(minutes=2)


@pytest.fixture
def replay(monkeypatch):
    """The imap provider replaced by the replay provider, with an empty mailbox."""
    monkeypatch.setitem(schedule.SYNCERS, "imap", f"{__name__}:replay_sync")
    MAILBOX.clear()
    yield MAILBOX
    MAILBOX.clear()


def customer_mail(days_ago: float = 0, message_id: str | None = None) -> bytes:
    """Peter's mail to Alice, received some days ago."""
    mail = outgoing(
        sender="Peter Gibbons <peter@initech.example>",
        to=("Alice <alice@acme.example>",),
        subject="About the renewal",
        message_id=message_id,
    )
    del mail["Date"]
    mail["Date"] = format_datetime(utcnow() - timedelta(days=days_ago))
    return raw(mail)


def connected(user, provider: str = "imap") -> MailboxConnection:
    """The user's mailbox, connected an hour ago (mail dated now arrived since)."""
    connection = connect(user, provider, user.email, b"app-password", {"host": "mail.example"})
    connection.connected_at = utcnow() - timedelta(hours=1)
    db.session.commit()
    return connection


def synced(user, replay: list[bytes], message_id: str, days_ago: float = 0) -> Activity:
    """Peter's mail in the user's mailbox, which is then connected and synced: its activity."""
    replay.append(customer_mail(days_ago=days_ago, message_id=message_id))
    connected(user)
    run_due_syncs()
    return db.session.scalar(db.select(Activity).filter_by(message_id=message_id))


def test_a_secret_is_sealed_and_opens_only_with_the_servers_keys(app):
    sealed = seal(b"app-password")
    assert b"app-password" not in sealed and unseal(sealed) == b"app-password"
    assert seal(b"app-password") != sealed  # a fresh nonce each time
    with pytest.raises(SecretUnreadable):
        unseal(sealed[:-1] + bytes([sealed[-1] ^ 1]))
    previous = app.config["SECRET_KEY"]
    app.config["SECRET_KEY"], app.config["SECRET_KEY_FALLBACKS"] = "a-new-key" * 4, [previous]
    assert unseal(sealed) == b"app-password"  # after a rotation, with the previous key
    app.config["SECRET_KEY_FALLBACKS"] = []
    with pytest.raises(SecretUnreadable):
        unseal(sealed)


def test_the_api_says_whether_a_mailbox_is_connected_and_disconnects_it(api, world):
    answer = api.get("/me/mailbox").get_json()
    assert answer["connected"] is False and answer["provider"] is None
    connection = connected(world.admin)
    assert connection.sealed_secret != b"app-password" and secret_of(connection) == b"app-password"
    answer = api.get("/me/mailbox").get_json()
    assert answer["connected"] is True and answer["provider"] == "imap"
    assert answer["address"] == "alice@acme.example" and answer["last_sync"] is None
    gone = api.delete("/me/mailbox")
    assert gone.status_code == 200 and gone.get_json()["connected"] is False
    assert connection_of(world.admin) is None
    actions = db.session.scalars(db.select(AuditEntry.action)).all()
    assert {"mailbox_connected", "mailbox_disconnected"} <= set(actions)


def test_another_users_mailbox_is_never_shown_or_disconnected(api, world, client):
    connected(world.user)
    assert api.get("/me/mailbox").get_json()["connected"] is False
    api.delete("/me/mailbox")
    assert connection_of(world.user) is not None


def test_a_synced_mail_is_logged_as_incoming_and_only_once(world, replay):
    peter = factories.make_contact(world.account, "peter@initech.example", first_name="Peter")
    deal = factories.make_deal(world.account, "Initech renewal")
    factories.link_contact(world.account, peter, "deal", deal.id)
    replay.append(customer_mail(message_id="<renewal-1@initech.example>"))
    connected(world.admin)
    assert run_due_syncs() == 1
    activity = db.session.scalar(
        db.select(Activity).filter_by(message_id="<renewal-1@initech.example>")
    )
    assert activity.direction == "incoming" and activity.owner_id == world.admin.id
    assert {("contact", peter.id), ("deal", deal.id)} <= timeline_of(activity)
    connection = connection_of(world.admin)
    assert connection.last_sync_at is not None and connection.state == {"passes": 1}
    assert run_due_syncs() == 0  # not due again for two minutes
    connection.next_sync_at = utcnow()
    db.session.commit()
    run_due_syncs()
    assert db.session.scalar(db.select(db.func.count(Activity.id))) == 1


def test_a_sync_failure_is_shown_to_the_user_and_tried_again_later(api, world, replay):
    connection = connected(world.admin)
    connection.settings = {"fail": True}
    db.session.commit()
    run_due_syncs()
    answer = api.get("/me/mailbox").get_json()
    assert answer["error_code"] == "consent_revoked" and answer["error"] == "Consent was revoked."
    assert connection_of(world.admin).next_sync_at > utcnow() + timedelta(minutes=50)


def test_a_mailbox_being_synced_is_not_claimed_by_another_run(world, replay):
    connection = connected(world.admin)
    connection.sync_lease_until = utcnow() + timedelta(minutes=5)
    db.session.commit()
    assert run_due_syncs() == 0
    connection.sync_lease_until = utcnow() - timedelta(seconds=1)  # its process died
    db.session.commit()
    assert run_due_syncs() == 1


def test_disconnecting_removes_the_syncs_associations_and_reconnecting_brings_them_back(
    api, world, replay
):
    peter = factories.make_contact(world.account, "peter@initech.example", first_name="Peter")
    deal = factories.make_deal(world.account, "Initech renewal")
    other = factories.make_deal(world.account, "Initech expansion")
    factories.link_contact(world.account, peter, "deal", deal.id)
    activity = synced(world.admin, replay, "<renewal-2@initech.example>")
    by_hand = api.post(
        f"/activities/{activity.id}/move", {"from_deal": deal.id, "to_deal": other.id}
    )
    assert by_hand.status_code == 200, by_hand.get_json()
    answer = api.delete("/me/mailbox").get_json()
    assert answer["associations_removed"] == 1  # the contact; the deal was moved by hand
    assert timeline_of(activity) == {("deal", other.id)}
    connected(world.admin)
    run_due_syncs()
    assert timeline_of(activity) == {("contact", peter.id), ("deal", other.id)}
    manual = db.session.scalars(db.select(ActivityAssociation).filter_by(source="manual")).all()
    assert [(row.record_type, row.record_id) for row in manual] == [("deal", other.id)]


def test_mail_received_before_the_connection_goes_on_the_contacts_only_deal_then(world, replay):
    peter = factories.make_contact(world.account, "peter@initech.example", first_name="Peter")
    older = factories.make_deal(world.account, "Initech renewal")
    older.created_at = utcnow() - timedelta(days=30)
    newer = factories.make_deal(world.account, "Initech expansion")
    for deal in (older, newer):
        factories.link_contact(world.account, peter, "deal", deal.id)
    activity = synced(world.admin, replay, "<old-1@initech.example>", days_ago=10)
    assert ("deal", older.id) in timeline_of(activity)
    assert ("deal", newer.id) not in timeline_of(activity)  # the newer is more recently updated
    inbound = db.session.scalar(db.select(InboundMessage).filter_by(activity_id=activity.id))
    assert any("Received before the mailbox was connected" in text for text in why_texts(inbound))


def test_mail_received_before_the_connection_stays_on_the_contact_with_two_deals_then(
    world, replay
):
    peter = factories.make_contact(world.account, "peter@initech.example", first_name="Peter")
    for name in ("Initech renewal", "Initech expansion"):
        deal = factories.make_deal(world.account, name)
        deal.created_at = utcnow() - timedelta(days=30)
        factories.link_contact(world.account, peter, "deal", deal.id)
    activity = synced(world.admin, replay, "<old-2@initech.example>", days_ago=10)
    assert timeline_of(activity) == {("contact", peter.id)}


def test_the_mailbox_page_shows_the_connection_and_disconnects(client, world):
    sign_in(client, world.admin)
    assert b"Disconnect" not in client.get("/settings/mailbox").data
    connected(world.admin)
    page = client.get("/settings/mailbox").data.decode()
    assert "alice@acme.example" in page and "Disconnect" in page
    token = page.split('name="csrf_token" value="')[1].split('"')[0]
    answer = client.post("/settings/mailbox/disconnect", data={"csrf_token": token})
    assert answer.status_code == 302 and connection_of(world.admin) is None
