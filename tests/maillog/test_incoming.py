"""Incoming mail: a customer's mail reaching the logging address, and the deal it goes on."""

from __future__ import annotations

from datetime import timedelta
from email.message import EmailMessage

import pytest

from tests import factories
from tests.maillog.mail import outgoing, raw
from tests.maillog.test_ingest import timeline_of, why_texts
from tests.maillog.test_smtpd import connect, stored, wait_for
from tests.maillog.test_smtpd import deliver as smtp_deliver
from tracklog.auth.accounts import bcc_address
from tracklog.extensions import db
from tracklog.maillog.ingest import process_batch
from tracklog.models import Activity, Deal, EngagementEvent, Message, Notification, utcnow


def from_customer(**fields) -> EmailMessage:
    """Peter's mail to Alice, as her mailbox received it."""
    return outgoing(
        sender="Peter Gibbons <peter@initech.example>",
        to=("Alice <alice@acme.example>",),
        subject=fields.pop("subject", "Question about the offer"),
        **fields,
    )


def forwarded_as_attachment(
    original: EmailMessage, account, by: str = "alice@acme.example"
) -> bytes:
    """A mailbox rule's "forward as attachment" of the original to the logging address."""
    wrapper = EmailMessage()
    wrapper["From"] = by
    wrapper["To"] = bcc_address(account)
    wrapper["Subject"] = f"FW: {original['Subject']}"
    wrapper.set_content("Forwarded by a rule.")
    wrapper.add_attachment(original)
    return raw(wrapper)


def logged(inbound) -> Activity:
    """The activity a delivered mail became, asserting it was logged."""
    assert inbound.status == "logged", why_texts(inbound)
    return db.session.get(Activity, inbound.activity_id)


def test_a_redirected_mail_from_a_contact_is_logged_as_incoming(deliver, world):
    peter = factories.make_contact(world.account, "peter@initech.example", first_name="Peter")
    activity = logged(deliver(raw(from_customer())))
    assert activity.direction == "incoming" and activity.owner_id == world.admin.id
    assert ("contact", peter.id) in timeline_of(activity)


def test_a_mail_forwarded_as_an_attachment_is_the_one_logged_and_only_once(deliver, world):
    original = from_customer(message_id="<question-1@initech.example>")
    inbound = deliver(forwarded_as_attachment(original, world.account))
    activity = logged(inbound)
    assert activity.message_id == "<question-1@initech.example>"
    assert activity.subject == "Question about the offer" and activity.direction == "incoming"
    assert any("Forwarded as an attachment by" in text for text in why_texts(inbound))
    again = deliver(raw(original))
    assert again.status == "duplicate" and again.activity_id == activity.id


def test_mail_from_a_stranger_to_nobody_of_the_account_is_not_logged(deliver, world):
    stranger = outgoing(sender="spam@example.net", to=("someone@else.example",))
    inbound = deliver(raw(stranger))
    assert inbound.status == "not_logged"
    assert any("is not a user of this account" in text for text in why_texts(inbound))


def test_mail_received_by_a_deactivated_user_is_not_logged(deliver, world):
    world.admin.active = False
    db.session.commit()
    inbound = deliver(raw(from_customer()))
    assert inbound.status == "not_logged"
    assert any("whose user is deactivated" in text for text in why_texts(inbound))


def test_a_reply_to_tracked_mail_through_the_logging_address_is_a_reply(api, deliver, world):
    composed = api.post(
        "/compose",
        {"to": ["peter@initech.example"], "html": "<p>offer</p>", "client": {"item_id": "r1"}},
    ).json
    deliver(raw(outgoing(message_id="<offer-9@acme.example>")), draft=composed["message_id"])
    reply = from_customer(subject="RE: Pricing for Initech", in_reply_to="<offer-9@acme.example>")
    logged(deliver(raw(reply)))
    message = db.session.scalar(db.select(Message).filter_by(public_id=composed["message_id"]))
    assert message.replied_at is not None
    assert db.session.scalar(db.select(EngagementEvent).filter_by(kind="reply")) is not None
    kinds = [
        n.kind
        for n in db.session.scalars(db.select(Notification).filter_by(user_id=world.admin.id))
    ]
    assert "reply" in kinds


def deal_in(account, name: str, stage_index: int, contact, updated_days_ago: float) -> Deal:
    """A deal of the contact, last updated some days ago."""
    deal = factories.make_deal(account, name, stage_index=stage_index)
    factories.link_contact(account, contact, "deal", deal.id)
    deal.updated_at = utcnow() - timedelta(days=updated_days_ago)
    db.session.commit()
    return deal


OPEN, WON, LOST = 0, 5, 6


@pytest.mark.parametrize(
    ("deals", "expected", "why"),
    [
        ([("A", OPEN, 3)], "A", "the only open deal of Peter"),
        ([("A", OPEN, 3), ("B", OPEN, 1), ("C", OPEN, 2)], "B", "most recently updated of the 3"),
        ([("L1", LOST, 1), ("L2", LOST, 2)], None, None),
        ([("W", WON, 1), ("L", LOST, 0)], "W", "won deal of Peter"),
        ([("W", WON, 0), ("A", OPEN, 5)], "A", "the only open deal of Peter"),
    ],
)
def test_the_deal_an_incoming_mail_goes_on(deliver, world, deals, expected, why):
    peter = factories.make_contact(world.account, "peter@initech.example", first_name="Peter")
    made = {name: deal_in(world.account, name, stage, peter, age) for name, stage, age in deals}
    inbound = deliver(raw(from_customer()))
    activity = logged(inbound)
    on_deals = {record_id for kind, record_id in timeline_of(activity) if kind == "deal"}
    assert on_deals == ({made[expected].id} if expected else set())
    assert ("contact", peter.id) in timeline_of(activity)
    texts = " ".join(why_texts(inbound))
    if why:
        assert why in texts


def test_a_forwarded_mail_arrives_through_smtp(start, world):
    receiver = start(process=process_batch)
    original = from_customer(message_id="<question-2@initech.example>")
    with connect(receiver) as client:
        code, _answer = smtp_deliver(
            client, bcc_address(world.account), forwarded_as_attachment(original, world.account)
        )
    assert code == 250
    assert wait_for(lambda: stored()[0].status == "logged")
    activity = db.session.get(Activity, stored()[0].activity_id)
    assert activity.message_id == "<question-2@initech.example>"
    assert activity.direction == "incoming"


def deals_of(activity: Activity) -> set[str]:
    """The names of the deals an activity is on."""
    ids = {record_id for kind, record_id in timeline_of(activity) if kind == "deal"}
    return set(db.session.scalars(db.select(Deal.name).where(Deal.id.in_(ids))))


def rerun_after_a_newer_deal(api, world, peter) -> None:
    """Another open deal of Peter becomes the most recently updated, then his mail is re-run."""
    deal_in(world.account, "Newest", OPEN, peter, 0)
    response = api.post(f"/records/contact/{peter.id}/reassociate")
    assert response.status_code == 200
    db.session.expire_all()


def test_a_moved_incoming_mail_stays_moved_after_a_duplicate_and_a_rerun(api, deliver, world):
    peter = factories.make_contact(world.account, "peter@initech.example", first_name="Peter")
    recent = deal_in(world.account, "Recent", OPEN, peter, 1)
    older = deal_in(world.account, "Older", OPEN, peter, 5)
    mail = raw(from_customer(message_id="<moved@initech.example>"))
    activity = logged(deliver(mail))
    assert deals_of(activity) == {"Recent"}
    move = {"from_deal": recent.id, "to_deal": older.id}
    assert api.post(f"/activities/{activity.id}/move", json=move).status_code == 200
    assert deliver(mail).status == "duplicate"
    db.session.expire_all()
    assert deals_of(activity) == {"Older"}
    rerun_after_a_newer_deal(api, world, peter)
    assert deals_of(activity) == {"Older"}
    assert ("contact", peter.id) in timeline_of(activity)


def test_a_removed_incoming_mail_stays_off_its_deals_after_a_rerun(api, deliver, world):
    peter = factories.make_contact(world.account, "peter@initech.example", first_name="Peter")
    only = deal_in(world.account, "Only", OPEN, peter, 1)
    activity = logged(deliver(raw(from_customer())))
    places = {"associations": [{"type": "contact", "id": peter.id}]}
    assert (
        api.call("PUT", f"/activities/{activity.id}/associations", json=places).status_code == 200
    )
    rerun_after_a_newer_deal(api, world, peter)
    assert deals_of(activity) == set()
    assert ("deal", only.id) not in timeline_of(activity)


def test_an_incoming_mail_nobody_touched_follows_the_rule_on_a_rerun(api, deliver, world):
    peter = factories.make_contact(world.account, "peter@initech.example", first_name="Peter")
    deal_in(world.account, "Only", OPEN, peter, 1)
    activity = logged(deliver(raw(from_customer())))
    rerun_after_a_newer_deal(api, world, peter)
    assert deals_of(activity) == {"Newest"}
