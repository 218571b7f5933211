"""Mail whose processing failed is retried on a schedule of its own, whatever else arrives, and
given up after a few attempts with the reason on its "why"."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.maillog.mail import outgoing, raw
from tests.maillog.test_smtpd import connect, deliver, wait_for
from tracklog.auth.accounts import bcc_address
from tracklog.extensions import db
from tracklog.maillog import ingest
from tracklog.maillog.ingest import MAX_ATTEMPTS, process_batch, process_inbound
from tracklog.maillog.store import store_inbound
from tracklog.maillog.why import render_step
from tracklog.models import InboundMessage, Notification, utcnow


class FlakyProcessing:
    """Processing that fails the first `failures` attempts at the first mail it sees (a database
    hiccup, say), alone or in a batch."""

    def __init__(self, failures: int) -> None:
        self.failures, self.calls, self.victim = failures, 0, None
        self.real = ingest._log_inbound

    def __call__(self, inbound: InboundMessage) -> list:
        """Fail while failures remain, then process for real."""
        self.victim = self.victim or inbound.id
        if inbound.id == self.victim:
            self.calls += 1
            if self.calls <= self.failures:
                raise RuntimeError("the database went away")
        return self.real(inbound)


@pytest.fixture
def flaky(monkeypatch):
    """Make the next processings fail a given number of times."""

    def install(failures: int) -> FlakyProcessing:
        """Install a processing that fails `failures` times first."""
        processing = FlakyProcessing(failures)
        monkeypatch.setattr(ingest, "_log_inbound", processing)
        return processing

    return install


def fresh(inbound_id: int) -> InboundMessage:
    """The stored mail as the database has it now."""
    db.session.expire_all()
    return db.session.get(InboundMessage, inbound_id)


def make_due(inbound_id: int) -> None:
    """Let the planned retry's time come."""
    fresh(inbound_id).retry_at = utcnow() - timedelta(seconds=1)
    db.session.commit()


def test_a_failed_attempt_plans_the_next_and_says_so(world, flaky):
    flaky(1)
    inbound = store_inbound(world.account.id, "smtp", raw(outgoing()))

    process_inbound(inbound.id)
    failed_once = fresh(inbound.id)
    planned = failed_once.retry_at
    process_inbound(inbound.id)  # not due yet: nothing happens

    assert failed_once.status == "stored" and failed_once.attempts == 1
    assert timedelta(seconds=20) < planned - utcnow() <= timedelta(seconds=30)
    assert fresh(inbound.id).attempts == 1
    text = render_step(failed_once.steps[-1])["text"]
    assert "attempt 1 of 5" in text and "the database went away" in text
    make_due(inbound.id)
    assert process_inbound(inbound.id).status == "logged"


def test_after_the_last_attempt_the_mail_is_failed_and_its_sender_told(world, flaky):
    flaky(MAX_ATTEMPTS)
    inbound = store_inbound(world.account.id, "smtp", raw(outgoing()))
    delays = []
    for _attempt in range(MAX_ATTEMPTS):
        process_inbound(inbound.id)
        current = fresh(inbound.id)
        if current.retry_at is not None:
            delays.append(round((current.retry_at - utcnow()).total_seconds() / 60))
            make_due(inbound.id)

    given_up = fresh(inbound.id)
    assert given_up.status == "failed" and given_up.attempts == MAX_ATTEMPTS
    assert delays == [0, 2, 10, 30]  # minutes: 30 s, 2, 10, 30
    assert "gave up" in render_step(given_up.steps[-1])["text"]
    [told] = db.session.scalars(db.select(Notification)).all()
    assert told.user_id == world.admin.id and told.code == "logging_failed"


def test_the_receiver_retries_when_due_while_other_mail_keeps_arriving(
    start, world, flaky, monkeypatch
):
    monkeypatch.setattr(ingest, "RETRY_DELAYS", (timedelta(seconds=1),) * (MAX_ATTEMPTS - 1))
    flaky(2)  # in its batch, then alone: its failure is recorded and retried when due
    receiver = start(process=process_batch)
    address = bcc_address(world.account)
    with connect(receiver) as client:
        deliver(client, address, raw(outgoing(message_id="<first@acme.example>")))
        for number in range(15):  # a steady stream: the receiver is never idle
            deliver(client, address, raw(outgoing(message_id=f"<more-{number}@acme.example>")))

    def all_logged() -> bool:
        """Whether every mail is logged, the one whose first attempt failed included."""
        db.session.rollback()
        statuses = db.session.scalars(db.select(InboundMessage.status)).all()
        return len(statuses) == 16 and set(statuses) == {"logged"}

    assert wait_for(all_logged, seconds=15)
    retried = db.session.scalars(db.select(InboundMessage).filter_by(attempts=1)).all()
    assert len(retried) == 1
