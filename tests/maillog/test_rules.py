"""Recipient standing: one function says who is internal, never logged or without a legal basis,
and compose and logging both follow it."""

from __future__ import annotations

from tests import factories
from tests.maillog.mail import outgoing, raw
from tests.tracking.helpers import compose
from tracklog.extensions import db
from tracklog.maillog.rules import recipient_standings
from tracklog.models import NeverLogEntry

EXTERNAL = "peter@initech.example"
NEVER_LOGGED = "bob@partner.example"
NO_BASIS = "milton@initech.example"
ALIAS = "sales@acme.example"


def set_up_rules(world) -> None:
    """Privacy mode, a never-log domain, an alias of bob and a contact with a legal basis."""
    world.account.privacy_mode = True
    db.session.add_all(
        [
            NeverLogEntry(account_id=world.account.id, pattern="partner.example", kind="domain"),
        ]
    )
    db.session.commit()
    factories.make_alias(world.user, ALIAS)
    factories.make_contact(world.account, EXTERNAL, legal_basis="consent")
    factories.make_contact(world.account, NEVER_LOGGED, legal_basis="consent")


def test_standing_names_internal_never_log_and_legal_basis(world):
    set_up_rules(world)
    emails = [EXTERNAL, NEVER_LOGGED, NO_BASIS, ALIAS, "bob@acme.example"]
    standings = recipient_standings(world.account, world.admin, emails)
    assert [s.email for s in standings] == emails
    assert [s.internal for s in standings] == [False, False, False, True, True]
    assert standings[3].internal_user.id == world.user.id
    assert [s.never_log is not None for s in standings] == [False, True, False, False, False]
    assert [s.lacks_legal_basis for s in standings] == [False, False, True, True, True]
    assert standings[0].contact.email == EXTERNAL


def test_users_own_never_log_entry_counts_for_their_mail_only(world):
    db.session.add(
        NeverLogEntry(
            account_id=world.account.id, user_id=world.user.id, pattern=EXTERNAL, kind="address"
        )
    )
    db.session.commit()
    [for_bob] = recipient_standings(world.account, world.user, [EXTERNAL])
    [for_alice] = recipient_standings(world.account, world.admin, [EXTERNAL])
    assert for_bob.never_log is not None and for_alice.never_log is None


def test_compose_and_logging_agree_on_who_is_logged(api, world, deliver):
    set_up_rules(world)
    recipients = [EXTERNAL, NEVER_LOGGED, NO_BASIS, ALIAS]
    planned = {r["email"]: r["log"] for r in compose(api, recipients)["recipients"]}
    inbound = deliver(raw(outgoing(to=tuple(recipients))))
    removed = {r["params"]["email"] for r in inbound.steps if r["outcome"] == "removed"}
    assert inbound.status == "logged"
    assert planned[EXTERNAL] and EXTERNAL not in removed
    assert not planned[NEVER_LOGGED] and NEVER_LOGGED in removed
    assert not planned[NO_BASIS] and NO_BASIS in removed
