"""Logging mail: the checks in order, contacts, associations, threads, replies, each explained."""

from __future__ import annotations

from datetime import timedelta

from tests import factories
from tests.maillog.mail import outgoing, raw
from tracklog.extensions import db
from tracklog.maillog.why import render_step
from tracklog.models import (
    Activity,
    ActivityAssociation,
    AssociationExclusion,
    Company,
    Contact,
    EngagementEvent,
    MailAttachment,
    Message,
    NeverLogEntry,
    utcnow,
)


def why_texts(inbound) -> list[str]:
    """The mail's why as sentences."""
    return [render_step(recorded)["text"] for recorded in inbound.steps]


def timeline_of(activity: Activity) -> set[tuple[str, int]]:
    """The records an activity is on."""
    rows = db.session.scalars(
        db.select(ActivityAssociation).filter_by(activity_id=activity.id)
    ).all()
    return {(row.record_type, row.record_id) for row in rows}


def test_sent_mail_is_logged_on_a_new_contact_and_its_company(deliver, world):
    inbound = deliver(raw(outgoing()))
    assert inbound.status == "logged", why_texts(inbound)
    contact = db.session.scalar(db.select(Contact).filter_by(email="peter@initech.example"))
    assert contact.first_name == "Peter" and contact.last_name == "Gibbons"
    assert contact.owner_id == world.admin.id and contact.marketing_status == "non_marketing"
    company = db.session.get(Company, contact.company_id)
    assert company.domain == "initech.example"
    activity = db.session.get(Activity, inbound.activity_id)
    assert activity.type == "email" and activity.direction == "outgoing"
    assert timeline_of(activity) == {("contact", contact.id), ("company", company.id)}
    texts = " ".join(why_texts(inbound))
    assert "Created the contact peter@initech.example" in texts
    assert "Logged on 2 records" in texts


def test_free_mail_gets_no_company(deliver, world):
    inbound = deliver(raw(outgoing(to=("Joe <joe@gmail.com>",))))
    contact = db.session.scalar(db.select(Contact).filter_by(email="joe@gmail.com"))
    assert contact.company_id is None
    assert any("free mail" in text for text in why_texts(inbound))


def test_sender_who_is_no_user_is_not_logged(deliver, world):
    inbound = deliver(raw(outgoing(sender="mallory@elsewhere.example")))
    assert inbound.status == "not_logged" and inbound.activity_id is None
    assert "mallory@elsewhere.example is not a user" in why_texts(inbound)[-1]


def test_alias_of_a_user_is_logged(deliver, world):
    factories.make_alias(world.user, "sales@acme.example")
    inbound = deliver(raw(outgoing(sender="sales@acme.example")))
    assert inbound.status == "logged"
    assert db.session.get(Activity, inbound.activity_id).owner_id == world.user.id


def test_never_log_addresses_are_removed_and_named(deliver, world):
    db.session.add(
        NeverLogEntry(
            account_id=world.account.id,
            pattern="partner.example",
            kind="domain",
            added_by_id=world.admin.id,
        )
    )
    db.session.commit()
    both = ("peter@initech.example", "bob@partner.example")
    inbound = deliver(raw(outgoing(to=both)))
    assert inbound.status == "logged"
    assert any(
        "bob@partner.example is on the never-log list" in text and "added by alice" in text
        for text in why_texts(inbound)
    )
    assert db.session.scalar(db.select(Contact).filter_by(email="bob@partner.example")) is None
    only = deliver(raw(outgoing(to=("bob@partner.example",), subject="other")))
    assert only.status == "not_logged"
    assert "nobody is left" in why_texts(only)[-1]


def test_users_own_never_log_list_applies_to_their_mail_only(deliver, world):
    db.session.add(
        NeverLogEntry(
            account_id=world.account.id,
            user_id=world.user.id,
            pattern="peter@initech.example",
            kind="address",
        )
    )
    db.session.commit()
    assert deliver(raw(outgoing(sender="bob@acme.example"))).status == "not_logged"
    assert deliver(raw(outgoing(subject="from alice"))).status == "logged"


def test_privacy_mode_logs_only_contacts_with_a_legal_basis(deliver, world):
    world.account.privacy_mode = True
    db.session.commit()
    factories.make_contact(world.account, "peter@initech.example", legal_basis="consent")
    inbound = deliver(raw(outgoing(to=("peter@initech.example", "milton@initech.example"))))
    assert inbound.status == "logged"
    assert any("milton@initech.example has no legal basis" in t for t in why_texts(inbound))
    alone = deliver(raw(outgoing(to=("milton@initech.example",), subject="x")))
    assert alone.status == "not_logged"


def test_internal_mail_is_not_logged(deliver, world):
    inbound = deliver(raw(outgoing(to=("bob@acme.example",))))
    assert inbound.status == "not_logged"
    assert "internal mail" in why_texts(inbound)[-1]


def test_attachments_over_the_limit_are_left_out_and_said(deliver, world):
    world.account.attachment_size_limit = 1000
    db.session.commit()
    mail = outgoing()
    mail.add_attachment(b"small file", maintype="text", subtype="plain", filename="notes.txt")
    mail.add_attachment(b"x" * 5000, maintype="application", subtype="pdf", filename="big.pdf")
    inbound = deliver(raw(mail))
    assert inbound.status == "logged"
    files = db.session.scalars(db.select(MailAttachment).order_by(MailAttachment.id)).all()
    assert [(f.filename, f.omitted_reason) for f in files] == [
        ("notes.txt", None),
        ("big.pdf", "over_limit"),
    ]
    assert files[0].sha256 and files[1].sha256 is None
    activity = db.session.get(Activity, inbound.activity_id)
    assert activity.warnings[-1]["code"] == "attachment_omitted"
    assert any("big.pdf" in t and "left out" in t for t in why_texts(inbound))


def test_outgoing_mail_goes_on_the_five_most_recently_associated_open_deals_or_tickets(
    deliver, world
):
    account = world.account
    contact = factories.make_contact(account, "peter@initech.example")
    deals = [factories.make_deal(account, f"Deal {n}") for n in range(4)]
    tickets = [factories.make_ticket(account, f"Ticket {n}") for n in range(3)]
    won = factories.make_deal(account, "Won", stage_index=5)
    closed = factories.make_ticket(account, "Old", stage_index=3)
    newest_last = [deals[0], tickets[0], deals[1], tickets[1], deals[2], tickets[2], deals[3]]
    for age, record in enumerate(reversed([*newest_last, won, closed])):
        factories.link_contact(
            account, contact, "deal" if record in (*deals, won) else "ticket", record.id, age
        )
    deals[0].updated_at = utcnow() + timedelta(days=1)  # updated last, associated first
    db.session.commit()

    inbound = deliver(raw(outgoing()))

    on = timeline_of(db.session.get(Activity, inbound.activity_id))
    picked = {pair for pair in on if pair[0] in ("deal", "ticket")}
    assert picked == {
        ("deal", deals[3].id),
        ("ticket", tickets[2].id),
        ("deal", deals[2].id),
        ("ticket", tickets[1].id),
        ("deal", deals[1].id),
    }
    association = db.session.scalar(
        db.select(ActivityAssociation).filter_by(record_type="deal", record_id=deals[3].id)
    )
    assert association.source == "automatic"
    assert any("most recently associated open deals" in t for t in why_texts(inbound))


def test_records_chosen_in_outlook_are_used_exactly(api, deliver, world):
    deal = factories.make_deal(world.account, "Chosen")
    composed = api.post(
        "/compose",
        {
            "to": ["peter@initech.example"],
            "html": "<p>hi</p>",
            "associations": [{"type": "deal", "id": deal.id}],
            "client": {"item_id": "d1"},
        },
    ).json
    inbound = deliver(raw(outgoing()), draft=composed["message_id"])
    activity = db.session.get(Activity, inbound.activity_id)
    assert timeline_of(activity) == {("deal", deal.id)}
    message = db.session.scalar(db.select(Message).filter_by(public_id=composed["message_id"]))
    assert message.activity_id == activity.id


def test_contacts_are_not_created_when_the_pane_said_so(api, deliver, world):
    composed = api.post(
        "/compose",
        {
            "to": ["peter@initech.example"],
            "html": "<p/>",
            "create_contacts": False,
            "client": {"item_id": "d2"},
        },
    ).json
    inbound = deliver(raw(outgoing()), draft=composed["message_id"])
    assert inbound.status == "not_logged"
    assert db.session.scalar(db.select(Contact).filter_by(email="peter@initech.example")) is None


def test_same_mail_by_two_paths_is_one_activity(deliver, world):
    mail = raw(outgoing())
    first = deliver(mail)
    second = deliver(mail, channel="upload")
    assert first.status == "logged" and second.status == "duplicate"
    assert second.activity_id == first.activity_id
    assert db.session.scalar(db.select(db.func.count()).select_from(Activity)) == 1


def test_mail_without_message_id_is_deduplicated_by_content(deliver, world):
    mail = outgoing()
    del mail["Message-ID"]
    first, second = deliver(raw(mail)), deliver(raw(mail))
    assert first.status == "logged" and second.status == "duplicate"


def test_reply_threads_marks_replied_and_follows_the_deal_rules(api, deliver, world):
    account = world.account
    contact = factories.make_contact(account, "peter@initech.example", first_name="Peter")
    older, newer = factories.make_deal(account, "Older"), factories.make_deal(account, "Newer")
    lost = factories.make_deal(account, "Lost", stage_index=6)
    won = factories.make_deal(account, "Won", stage_index=5)
    for age, deal in enumerate((won, lost, newer, older)):
        factories.link_contact(account, contact, "deal", deal.id, days_ago=age)
    composed = api.post(
        "/compose",
        {"to": ["peter@initech.example"], "html": "<p>offer</p>", "client": {"item_id": "d3"}},
    ).json
    sent = deliver(raw(outgoing(message_id="<offer-1@acme.example>")), draft=composed["message_id"])
    reply = outgoing(
        sender="Peter Gibbons <peter@initech.example>",
        to=("alice@acme.example",),
        subject="RE: Pricing for Initech",
        in_reply_to="<offer-1@acme.example>",
    )
    answered = deliver(raw(reply), channel="upload")
    assert answered.status == "logged", why_texts(answered)
    reply_activity = db.session.get(Activity, answered.activity_id)
    sent_activity = db.session.get(Activity, sent.activity_id)
    assert reply_activity.direction == "incoming"
    assert reply_activity.thread_key == sent_activity.thread_key
    on = timeline_of(reply_activity)
    assert ("deal", newer.id) in on  # the most recently updated open deal wins over a won one
    assert ("deal", older.id) not in on and ("deal", lost.id) not in on
    assert ("deal", won.id) not in on
    assert ("contact", contact.id) in on
    message = db.session.scalar(db.select(Message).filter_by(public_id=composed["message_id"]))
    assert message.replied_at is not None
    [event] = db.session.scalars(db.select(EngagementEvent).filter_by(kind="reply")).all()
    assert event.message_id == message.id
    assert api.get(f"/messages/{composed['message_id']}").json["kpis"]["replies"] == 1


def test_thread_found_by_subject_when_headers_are_missing(deliver, world):
    first = deliver(raw(outgoing(subject="Quarterly review")))
    second = deliver(raw(outgoing(subject="Re: Quarterly review")))
    one, two = (db.session.get(Activity, i.activity_id) for i in (first, second))
    assert one.thread_key == two.thread_key


def test_rerun_keeps_manual_associations_and_removals(api, deliver, world):
    account = world.account
    inbound = deliver(raw(outgoing()))
    activity = db.session.get(Activity, inbound.activity_id)
    contact = db.session.scalar(db.select(Contact).filter_by(email="peter@initech.example"))
    company_id = contact.company_id
    manual_deal = factories.make_deal(account, "Manual")
    db.session.add(
        ActivityAssociation(
            account_id=account.id,
            activity_id=activity.id,
            record_type="deal",
            record_id=manual_deal.id,
            activity_type="email",
            occurred_at=activity.occurred_at,
            source="manual",
            why="added by hand",
        )
    )
    removed = db.session.scalar(
        db.select(ActivityAssociation).filter_by(activity_id=activity.id, record_type="company")
    )
    db.session.delete(removed)
    db.session.add(
        AssociationExclusion(
            account_id=account.id,
            activity_id=activity.id,
            record_type="company",
            record_id=company_id,
        )
    )
    db.session.commit()
    response = api.post(f"/records/contact/{contact.id}/reassociate")
    assert response.status_code == 200 and response.json == {"activities": 1}
    db.session.expire_all()
    assert timeline_of(activity) == {("contact", contact.id), ("deal", manual_deal.id)}


def test_mail_processed_in_parallel_creates_one_contact(app, world):
    import threading

    from tracklog.maillog.ingest import process_inbound
    from tracklog.maillog.store import store_inbound

    ids = [
        store_inbound(world.account.id, "smtp", raw(outgoing(subject=f"Mail {n}"))).id
        for n in range(4)
    ]
    barrier = threading.Barrier(len(ids))

    def process(inbound_id: int) -> None:
        """Process one mail in its own app context, all at the same moment."""
        with app.app_context():
            barrier.wait()
            process_inbound(inbound_id)
            db.session.remove()

    threads = [threading.Thread(target=process, args=(inbound_id,)) for inbound_id in ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    db.session.expire_all()
    assert db.session.scalar(db.select(db.func.count()).select_from(Contact)) == 1
    assert db.session.scalar(db.select(db.func.count()).select_from(Activity)) == 4
