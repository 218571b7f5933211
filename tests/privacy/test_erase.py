"""Erasing a contact on request: nothing names them afterwards, and they are not recreated."""

from __future__ import annotations

import json

from sqlalchemy import JSON, String, select

from tests.maillog.mail import outgoing, raw
from tests.privacy.conftest import PETER, ZEB, ZEB_HEADER, inbound_of
from tracklog.extensions import db
from tracklog.models import (
    Activity,
    AuditEntry,
    Contact,
    ErasedAddress,
    MailAttachment,
    Message,
)
from tracklog.tracking.attachments import attachment_path


def rows_naming(*needles: str) -> list[str]:
    """Every table.column holding one of the needles, in any string, text or JSON column."""
    wanted = [needle.lower() for needle in needles]
    found = []
    for table in db.metadata.sorted_tables:
        columns = [c for c in table.columns if isinstance(c.type, String | JSON)]
        if not columns:
            continue
        for row in db.session.execute(select(*columns)):
            for column, value in zip(columns, row, strict=True):
                text = json.dumps(value, ensure_ascii=False, default=str).lower()
                found += [f"{table.name}.{column.name}" for n in wanted if n in text]
    return found


def test_erasure_leaves_no_row_that_names_the_contact_in_any_table(api, held):
    assert rows_naming(ZEB, "Zebulon", "Quixfeather")
    kept_file = attachment_path(
        db.session.scalar(select(MailAttachment.sha256).filter_by(activity_id=held.only_theirs.id))
    )
    assert kept_file.exists()

    answer = api.call("POST", f"/contacts/{held.contact.id}/erase")

    assert answer.status_code == 200, answer.json
    db.session.expire_all()
    assert rows_naming(ZEB, "Zebulon", "Quixfeather") == []
    assert answer.json["removed"]["contacts"] == 1
    assert answer.json["removed"]["engagement_events"] == 2
    assert not kept_file.exists()


def test_erasure_removes_mail_only_theirs_and_keeps_shared_mail_without_them(api, held):
    gone = (held.only_theirs.id, held.note_id)
    message_id, shared_id = held.message.id, held.shared.id

    api.call("POST", f"/contacts/{held.contact.id}/erase")

    db.session.expire_all()
    assert [db.session.get(Activity, activity_id) for activity_id in gone] == [None, None]
    shared = db.session.get(Activity, shared_id)
    assert shared.recipients == ["peter@initech.example"]
    assert inbound_of(shared) is not None
    assert db.session.get(Message, message_id) is None
    kept = db.session.get(Message, held.shared_message.id)
    assert [r.email for r in kept.recipients] == ["peter@initech.example"]
    assert [link.url for link in kept.links] == [
        "https://acme.example/offer?who=%2Cpeter@initech.example"
    ]


def test_erasure_is_audited_with_counts_only(api, world, held):
    answer = api.call("POST", f"/contacts/{held.contact.id}/erase")

    entry = db.session.scalar(select(AuditEntry).filter_by(action="contact_erased"))
    assert (entry.target_type, entry.target_id, entry.actor_id) == (
        "contact",
        held.contact.id,
        world.admin.id,
    )
    assert entry.changes == answer.json["removed"]
    assert all(isinstance(count, int) for count in entry.changes.values())


def test_only_admins_erase(api, world, held):
    refused = api.as_token(world.user_token).call("POST", f"/contacts/{held.contact.id}/erase")

    assert refused.status_code == 403
    assert refused.json["error"]["code"] == "forbidden"
    assert db.session.get(Contact, held.contact.id) is not None


def test_another_accounts_contact_is_not_found(api, world, held):
    answer = api.as_token(world.other_token).call("POST", f"/contacts/{held.contact.id}/erase")

    assert answer.status_code == 404
    assert db.session.get(Contact, held.contact.id) is not None


def test_the_tombstone_holds_against_a_later_bcc_copy(api, world, held, deliver):
    api.call("POST", f"/contacts/{held.contact.id}/erase")

    later = deliver(raw(outgoing(to=(ZEB_HEADER,), subject="Following up")))

    assert later.status == "not_logged"
    assert db.session.scalar(select(Contact).filter_by(email=ZEB)) is None
    why = api.call("GET", f"/logging/why?recipient={ZEB}").json["items"][0]["why"]
    assert f"No contact for {ZEB}: the address was erased on request." in [s["text"] for s in why]


def test_the_tombstone_keeps_only_a_keyed_hash(api, held):
    api.call("POST", f"/contacts/{held.contact.id}/erase")

    tombstone = db.session.scalar(select(ErasedAddress))
    assert len(tombstone.address_hash) == 64
    assert ZEB not in tombstone.address_hash
    assert rows_naming(ZEB) == []


def test_mail_to_an_erased_address_and_others_is_logged_for_the_others(api, held, deliver):
    api.call("POST", f"/contacts/{held.contact.id}/erase")

    later = deliver(raw(outgoing(to=(ZEB_HEADER, PETER), subject="Minutes")))

    assert later.status == "logged"
    assert db.session.scalar(select(Contact).filter_by(email=ZEB)) is None
