"""Processing stored mail in batches: the same outcome as one mail at a time, in one commit."""

from __future__ import annotations

import pytest

from tests import factories
from tests.maillog.mail import outgoing, raw
from tracklog.extensions import db
from tracklog.maillog import ingest
from tracklog.maillog.ingest import process_batch, process_inbound
from tracklog.maillog.store import store_inbound
from tracklog.models import (
    Account,
    Activity,
    ActivityAssociation,
    Company,
    Contact,
    InboundMessage,
)


def mails(user: str) -> list[bytes]:
    """A day of mail from one user: a new contact, a second at the same company, the contact's
    reply, the same mail delivered twice, a stranger's mail and one whose processing fails."""
    first = outgoing(sender=user, message_id="<first@seller.example>")
    return [
        raw(first),
        raw(outgoing(sender=user, to=("Peter <peter@initech.example>", "mike@initech.example"))),
        raw(
            outgoing(
                sender="Peter <peter@initech.example>",
                to=(user,),
                subject="Re: Pricing for Initech",
                in_reply_to="<first@seller.example>",
            )
        ),
        raw(first),
        raw(outgoing(sender="mallory@elsewhere.example")),
        raw(outgoing(sender=user, subject="Explode")),
    ]


def thread(activity: Activity) -> str:
    """The conversation an activity is in: its own, or the one its mail answers."""
    return "own" if activity.thread_key == activity.message_id else activity.thread_key


def outcome(account: Account, inbound_ids: list[int]) -> list[tuple]:
    """What processing made of each mail and the account's contacts, by natural keys (the two
    accounts compared have ids of their own)."""
    db.session.expire_all()
    names = {("contact", c.id): c.email for c in db.session.scalars(db.select(Contact))}
    names |= {("company", c.id): c.domain for c in db.session.scalars(db.select(Company))}
    results = []
    for inbound_id in inbound_ids:
        inbound = db.session.get(InboundMessage, inbound_id)
        activity = db.session.get(Activity, inbound.activity_id) if inbound.activity_id else None
        links = db.session.scalars(
            db.select(ActivityAssociation).filter_by(activity_id=inbound.activity_id)
        )
        results.append(
            (
                inbound.status,
                inbound.attempts,
                [step["code"] for step in inbound.steps],
                activity and (activity.subject, activity.direction, thread(activity)),
                sorted(names[link.record_type, link.record_id] for link in links),
            )
        )
    contacts = db.session.scalars(db.select(Contact).filter_by(account_id=account.id))
    companies = {company.id: company.domain for company in db.session.scalars(db.select(Company))}
    people = sorted(
        (c.email, companies.get(c.company_id), c.owner_id is not None) for c in contacts
    )
    return [*results, people]


def test_a_batch_gives_every_mail_the_outcome_it_gets_alone(
    world: factories.World, monkeypatch: pytest.MonkeyPatch
) -> None:
    thread_key = ingest.thread_key

    def exploding(account_id, parsed, own_id):
        """A bug that strikes one mail of the batch."""
        if parsed.subject == "Explode":
            raise RuntimeError("a bug in threading")
        return thread_key(account_id, parsed, own_id)

    monkeypatch.setattr(ingest, "thread_key", exploding)
    alone_account, batch_account = world.account, world.other_account
    alone = [store_inbound(alone_account.id, "smtp", m).id for m in mails("alice@acme.example")]
    batch = [store_inbound(batch_account.id, "smtp", m).id for m in mails("hank@globex.example")]

    for inbound_id in alone:
        process_inbound(inbound_id)
    process_batch(batch)
    process_batch(batch)  # a second delivery of the batch finds nothing left to do

    alone_outcome, batch_outcome = outcome(alone_account, alone), outcome(batch_account, batch)
    assert batch_outcome == alone_outcome
    statuses = [result[0] for result in batch_outcome[:-1]]
    assert statuses == ["logged", "logged", "logged", "duplicate", "not_logged", "stored"]
    assert batch_outcome[-1][:2] == [
        ("mike@initech.example", "initech.example", True),
        ("peter@initech.example", "initech.example", True),
    ]
