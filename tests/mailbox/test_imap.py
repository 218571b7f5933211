"""The IMAP connector against a real Dovecot: connecting, the sync of INBOX and Sent with its
UID bookkeeping, failures shown to the user, and the same logging rules as every other road."""

from __future__ import annotations

from datetime import timedelta
from email.utils import format_datetime

import pytest
from click.testing import CliRunner

from tests import factories
from tests.conftest import app_environment
from tests.crm.test_board_pages import sign_in
from tests.imap_server import ImapUser
from tests.maillog.mail import outgoing, raw
from tests.maillog.test_incoming import LOST, OPEN, WON, deal_in, from_customer
from tests.maillog.test_ingest import timeline_of, why_texts
from tests.services import free_port
from tracklog.cli import cli
from tracklog.extensions import db
from tracklog.mailbox import imap
from tracklog.mailbox.connections import connection_of, replace_secret
from tracklog.mailbox.schedule import run_due_syncs
from tracklog.models import Activity, InboundMessage, utcnow
from tracklog.models.mailbox import MailboxConnection


@pytest.fixture
def mailbox(app, imap_user: ImapUser) -> ImapUser:
    """A fresh Dovecot mailbox, its server's test CA trusted by the app."""
    app.config["IMAP_CA_BUNDLE"] = str(imap_user.server.ca)
    return imap_user


def connect_mailbox(api, mailbox: ImapUser, security: str = "tls", **fields) -> dict:
    """Connect the mailbox through the API, as of an hour ago (mail dated now came since)."""
    answer = api.post("/me/mailbox/imap", {**mailbox.settings(security), **fields})
    assert answer.status_code == 201, answer.get_json()
    for connection in db.session.scalars(db.select(MailboxConnection)):
        if connection.settings["username"] == mailbox.username:
            connection.connected_at = utcnow() - timedelta(hours=1)
    db.session.commit()
    return answer.get_json()


def sync_now() -> int:
    """Make every mailbox due and sync them."""
    for connection in db.session.scalars(db.select(MailboxConnection)):
        connection.next_sync_at = utcnow()
    db.session.commit()
    return run_due_syncs()


def activity_of(message_id: str) -> Activity | None:
    """The activity logged for a Message-ID."""
    return db.session.scalar(db.select(Activity).filter_by(message_id=message_id))


def stored_count() -> int:
    """How many mails were stored by any road."""
    return db.session.scalar(db.select(db.func.count(InboundMessage.id)))


def refusal(answer) -> str:
    """The error code of a refused connection (asserting it was a 422)."""
    assert answer.status_code == 422, answer.get_json()
    return answer.get_json()["error"]["code"]


def customer(world):
    """Peter, a contact of Acme."""
    return factories.make_contact(world.account, "peter@initech.example", first_name="Peter")


def test_connecting_logs_in_first_and_keeps_the_password_sealed(api, world, mailbox):
    answer = connect_mailbox(api, mailbox)
    assert answer["connected"] is True and answer["provider"] == "imap"
    assert answer["address"] == mailbox.username
    connection = connection_of(world.admin)
    assert connection.settings == {
        "host": "127.0.0.1",
        "port": mailbox.server.imaps_port,
        "security": "tls",
        "username": mailbox.username,
    }
    assert mailbox.password.encode() not in connection.sealed_secret
    assert api.get("/me/mailbox").get_json()["provider"] == "imap"


def test_starttls_connects_too_and_an_address_may_be_given(api, world, mailbox):
    answer = connect_mailbox(api, mailbox, "starttls", address="Alice@Acme.example")
    assert answer["address"] == "Alice@Acme.example"


def test_plaintext_imap_connects_only_to_this_machine(api, world, mailbox):
    assert connect_mailbox(api, mailbox, "none")["connected"] is True
    assert connection_of(world.admin).settings["security"] == "none"
    elsewhere = {**mailbox.settings("none"), "host": "imap.example.com"}
    refused = api.post("/me/mailbox/imap", elsewhere)
    assert refusal(refused) == "validation_failed"
    assert "security" in refused.get_json()["error"]["details"]["fields"]


def test_a_refused_connection_says_why_and_connects_nothing(api, app, world, mailbox):
    wrong = api.post("/me/mailbox/imap", {**mailbox.settings(), "password": "wrong"})
    assert refusal(wrong) == "imap_login_failed"
    nobody = api.post("/me/mailbox/imap", {**mailbox.settings(), "port": free_port()})
    assert refusal(nobody) == "imap_unreachable"
    app.config["IMAP_CA_BUNDLE"] = None  # the test CA is not trusted: the certificate fails
    assert refusal(api.post("/me/mailbox/imap", mailbox.settings())) == "imap_tls_failed"
    bad = api.post("/me/mailbox/imap", {"host": "a b", "port": 0, "security": "ssl"})
    assert refusal(bad) == "validation_failed"
    fields = set(bad.get_json()["error"]["details"]["fields"])
    assert fields == {"host", "port", "security", "username", "password"}
    assert api.post("/me/mailbox/imap", ["not", "an", "object"]).status_code == 422
    assert connection_of(world.admin) is None


@pytest.mark.parametrize(
    ("deals", "expected"),
    [
        ([("A", OPEN, 3)], "A"),
        ([("A", OPEN, 3), ("B", OPEN, 1)], "B"),
        ([("L1", LOST, 1), ("L2", LOST, 2)], None),
        ([("W", WON, 1), ("L", LOST, 0)], "W"),
        ([("W", WON, 0), ("A", OPEN, 5)], "A"),
    ],
)
def test_a_customers_mail_in_the_inbox_is_logged_incoming_on_the_right_deal(
    api, world, mailbox, deals, expected
):
    peter = customer(world)
    made = {name: deal_in(world.account, name, stage, peter, age) for name, stage, age in deals}
    connect_mailbox(api, mailbox)
    mailbox.append("INBOX", raw(from_customer(message_id="<q-1@initech.example>")))
    assert sync_now() == 1
    activity = activity_of("<q-1@initech.example>")
    assert activity.direction == "incoming" and activity.owner_id == world.admin.id
    on_deals = {record_id for kind, record_id in timeline_of(activity) if kind == "deal"}
    assert on_deals == ({made[expected].id} if expected else set())
    assert ("contact", peter.id) in timeline_of(activity)
    assert mailbox.seen() == []  # read with BODY.PEEK[]: still unread in the user's mailbox


def test_sent_mail_is_logged_as_outgoing(api, world, mailbox):
    peter = customer(world)
    connect_mailbox(api, mailbox)
    mailbox.append("Sent", raw(outgoing(message_id="<offer-1@acme.example>")))
    sync_now()
    activity = activity_of("<offer-1@acme.example>")
    assert activity.direction == "outgoing" and activity.owner_id == world.admin.id
    assert ("contact", peter.id) in timeline_of(activity)
    assert connection_of(world.admin).state["sent"] == "Sent"


def test_a_mail_already_logged_by_bcc_is_not_logged_again(api, world, mailbox, deliver):
    customer(world)
    mail = raw(outgoing(message_id="<offer-2@acme.example>"))
    first = deliver(mail)
    connect_mailbox(api, mailbox)
    mailbox.append("Sent", mail)
    sync_now()
    synced = db.session.scalar(db.select(InboundMessage).filter_by(channel="imap"))
    assert synced.status == "duplicate" and synced.activity_id == first.activity_id
    count = db.session.scalar(db.select(db.func.count(Activity.id)))
    assert count == 1


def test_a_resync_fetches_only_new_mail(api, world, mailbox):
    customer(world)
    connect_mailbox(api, mailbox)
    mailbox.append("INBOX", raw(from_customer(message_id="<q-2@initech.example>")))
    sync_now()
    assert stored_count() == 1
    sync_now()  # nothing new: `UID 2:*` answers the last mail, which is not fetched again
    assert stored_count() == 1
    mailbox.append("INBOX", raw(from_customer(message_id="<q-3@initech.example>")))
    sync_now()
    assert stored_count() == 2 and activity_of("<q-3@initech.example>") is not None
    inbox = connection_of(world.admin).state["folders"]["INBOX"]
    assert inbox["last_uid"] == 2
    assert connection_of(world.admin).next_sync_at > utcnow() + timedelta(seconds=100)


def test_a_changed_uidvalidity_syncs_the_folder_again_without_duplicates(api, world, mailbox):
    customer(world)
    connect_mailbox(api, mailbox)
    mailbox.append("INBOX", raw(from_customer(message_id="<q-4@initech.example>")))
    sync_now()
    mailbox.renumber("INBOX", 4242)
    mailbox.append("INBOX", raw(from_customer(message_id="<q-5@initech.example>")))
    sync_now()
    inbox = connection_of(world.admin).state["folders"]["INBOX"]
    assert inbox["uidvalidity"] == 4242 and inbox["last_uid"] == 2
    statuses = db.session.scalars(db.select(InboundMessage.status).order_by(InboundMessage.id))
    assert list(statuses) == ["logged", "duplicate", "logged"]
    assert db.session.scalar(db.select(db.func.count(Activity.id))) == 2


def test_the_first_sync_covers_the_last_30_days_and_a_long_folder_takes_several_passes(
    api, world, mailbox, monkeypatch
):
    customer(world)
    connect_mailbox(api, mailbox)
    old = from_customer(message_id="<q-old@initech.example>")
    mailbox.append("INBOX", raw(old), received=utcnow() - timedelta(days=40))
    for number in range(3):
        mailbox.append("INBOX", raw(from_customer(message_id=f"<q-{number}x@initech.example>")))
    monkeypatch.setattr(imap, "BATCH", 2)
    sync_now()
    assert stored_count() == 2
    assert connection_of(world.admin).next_sync_at <= utcnow()  # more waits: due again at once
    run_due_syncs()
    assert stored_count() == 3 and activity_of("<q-old@initech.example>") is None


def test_a_mail_over_the_size_limit_is_refused_without_being_fetched(app, api, world, mailbox):
    customer(world)
    connect_mailbox(api, mailbox)
    big = from_customer(message_id="<big@initech.example>", body="x" * 5000)
    mailbox.append("INBOX", raw(big))
    mailbox.append("INBOX", raw(from_customer(message_id="<small@initech.example>")))
    app.config["MAX_MAIL_BYTES"] = 4000
    sync_now()
    refused = db.session.scalar(db.select(InboundMessage).filter_by(status="not_logged"))
    assert refused.size > 5000 and refused.raw == b"" and refused.uploader_id == world.admin.id
    assert any("larger than" in text for text in why_texts(refused))
    assert activity_of("<big@initech.example>") is None
    assert activity_of("<small@initech.example>") is not None


def test_disconnecting_and_reconnecting_keeps_manual_associations(api, world, mailbox):
    peter = customer(world)
    deal = deal_in(world.account, "Renewal", OPEN, peter, 1)
    other = deal_in(world.account, "Expansion", OPEN, peter, 2)
    connect_mailbox(api, mailbox)
    mailbox.append("INBOX", raw(from_customer(message_id="<q-6@initech.example>")))
    sync_now()
    activity = activity_of("<q-6@initech.example>")
    assert timeline_of(activity) >= {("contact", peter.id), ("deal", deal.id)}
    moved = api.post(f"/activities/{activity.id}/move", {"from_deal": deal.id, "to_deal": other.id})
    assert moved.status_code == 200, moved.get_json()
    assert api.delete("/me/mailbox").get_json()["associations_removed"] >= 1
    assert ("contact", peter.id) not in timeline_of(activity)
    assert ("deal", other.id) in timeline_of(activity)
    connect_mailbox(api, mailbox)
    sync_now()
    assert ("contact", peter.id) in timeline_of(activity)
    assert {r for kind, r in timeline_of(activity) if kind == "deal"} == {other.id}


def test_a_refused_password_is_shown_and_tried_again_later(api, world, mailbox):
    connect_mailbox(api, mailbox)
    replace_secret(connection_of(world.admin), b"changed on the server")
    db.session.commit()
    sync_now()
    answer = api.get("/me/mailbox").get_json()
    assert answer["error_code"] == "imap_login_failed"
    assert "refused the user name or password" in answer["error"]
    assert connection_of(world.admin).next_sync_at > utcnow() + timedelta(minutes=50)


def test_an_unreachable_server_is_shown_and_tried_again_soon(api, world, mailbox):
    connect_mailbox(api, mailbox)
    connection = connection_of(world.admin)
    connection.settings = {**connection.settings, "port": free_port()}
    db.session.commit()
    sync_now()
    answer = api.get("/me/mailbox").get_json()
    assert answer["error_code"] == "imap_unreachable"
    assert connection_of(world.admin).next_sync_at < utcnow() + timedelta(minutes=10)


def test_mail_received_before_the_connection_follows_the_rule_for_history(api, world, mailbox):
    peter = customer(world)
    for name in ("Renewal", "Expansion"):
        deal = deal_in(world.account, name, OPEN, peter, 1)
        deal.created_at = utcnow() - timedelta(days=30)
    db.session.commit()
    mail = from_customer(message_id="<q-7@initech.example>")
    del mail["Date"]
    mail["Date"] = format_datetime(utcnow() - timedelta(days=10))
    mailbox.append("INBOX", raw(mail), received=utcnow() - timedelta(days=10))
    connect_mailbox(api, mailbox)
    sync_now()
    activity = activity_of("<q-7@initech.example>")
    assert timeline_of(activity) == {("contact", peter.id)}  # two deals then: a person decides
    inbound = db.session.scalar(db.select(InboundMessage).filter_by(activity_id=activity.id))
    assert any("Received before the mailbox was connected" in text for text in why_texts(inbound))


def test_each_mailbox_logs_only_its_own_users_mail(api, world, mailbox, dovecot):
    customer(world)
    bobs = dovecot.new_user()
    connect_mailbox(api, mailbox)
    bob_api = factories.ApiClient(api.client, world.user_token)
    connect_mailbox(bob_api, bobs)
    to_bob = outgoing(sender="peter@initech.example", to=("Bob <bob@acme.example>",))
    bobs.append("INBOX", raw(to_bob))
    sync_now()
    synced = db.session.scalars(db.select(InboundMessage)).all()
    assert [(row.uploader_id, row.status) for row in synced] == [(world.user.id, "logged")]
    assert connection_of(world.admin).state["folders"]["INBOX"]["last_uid"] == 0
    assert api.delete("/me/mailbox").status_code == 200
    assert connection_of(world.user) is not None


def test_the_cli_syncs_due_mailboxes(api, world, mailbox, database_url, tmp_path):
    customer(world)
    connect_mailbox(api, mailbox)
    mailbox.append("INBOX", raw(from_customer(message_id="<q-8@initech.example>")))
    environment = app_environment(
        database_url, tmp_path, TRACKLOG_IMAP_CA_BUNDLE=str(mailbox.server.ca)
    )
    result = CliRunner().invoke(cli, ["mailbox", "sync"], env=environment)
    assert result.exit_code == 0 and "1 mailboxes synced" in result.output, result.output
    assert activity_of("<q-8@initech.example>") is not None


def test_the_sent_folder_is_found_by_its_flag_else_by_its_name():
    class Listing:
        """A server's LIST answer."""

        def __init__(self, *lines: bytes) -> None:
            self.lines = list(lines)

        def list(self):
            """LIST "" "*"."""
            return "OK", self.lines

    flagged = Listing(b'(\\HasNoChildren) "/" "Sent Items"', b'(\\Sent) "/" "Gesendet"')
    assert imap.find_sent_folder(flagged) == "Gesendet"
    named = Listing(b'(\\HasNoChildren) "/" INBOX', b'(\\HasNoChildren) "/" "Sent Messages"')
    assert imap.find_sent_folder(named) == "Sent Messages"
    assert imap.find_sent_folder(Listing(b'() "/" INBOX')) is None


def test_the_settings_page_connects_an_imap_mailbox_and_never_shows_the_password(
    client, world, mailbox
):
    sign_in(client, world.admin)
    page = client.get("/settings/mailbox").data.decode()
    assert all(part in page for part in ('id="connect-imap"', 'name="password"', "csrf_token"))
    form = {**mailbox.settings(), "password": "not the password"}
    refused = client.post("/settings/mailbox/imap", data=form)
    text = refused.data.decode()
    assert refused.status_code == 422 and "refused the user name or password" in text
    assert "not the password" not in text and mailbox.username in text
    connected = client.post("/settings/mailbox/imap", data=mailbox.settings())
    assert connected.status_code == 302 and connection_of(world.admin) is not None
    page = client.get("/settings/mailbox").data.decode()
    assert mailbox.username in page and mailbox.password not in page
