"""Record associations: the contacts of a deal, the deals of a company, and so on."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from sqlalchemy import and_, delete, or_, select

from tracklog.crm.associations import RECORD_MODELS, add_record_link, linked_ids, record_label
from tracklog.crm.timeline import require_record
from tracklog.errors import ValidationFailed
from tracklog.extensions import db
from tracklog.inputs import stored_integer
from tracklog.models import RECORD_TYPES, RecordAssociation, User


def related_records(user: User, record_type: str, record_id: int) -> dict[str, list[dict]]:
    """The records associated with one record, by type; a contact's company counts too."""
    record = require_record(user, record_type, record_id)
    related: dict[str, list[dict]] = {}
    for other_type in RECORD_TYPES:
        if other_type == record_type:
            continue
        ids = set(linked_ids(user.account_id, record_type, record_id, other_type))
        if record_type == "contact" and other_type == "company" and record.company_id:
            ids.add(record.company_id)
        model = RECORD_MODELS[other_type]
        rows = (
            db.session.scalars(
                select(model).where(model.account_id == user.account_id, model.id.in_(ids))
            )
            if ids
            else []
        )
        related[other_type] = [
            {"type": other_type, "id": r.id, "label": record_label(r)} for r in rows
        ]
    return related


def link_records(
    user: User, record_type: str, record_id: int, other_type: Any, other_id: Any
) -> None:
    """Associate two records of the account (once)."""
    if other_type not in RECORD_TYPES or other_type == record_type:
        raise ValidationFailed(
            _("Choose a record of another type."), details={"fields": {"type": "invalid"}}
        )
    if stored_integer(other_id) is None:
        raise ValidationFailed(_("Choose a record."), details={"fields": {"id": "integer"}})
    require_record(user, record_type, record_id)
    require_record(user, other_type, other_id)
    if other_id in linked_ids(user.account_id, record_type, record_id, other_type):
        return
    add_record_link(user, record_type, record_id, other_type, other_id)
    db.session.commit()


def unlink_records(
    user: User, record_type: str, record_id: int, other_type: str, other_id: int
) -> None:
    """Remove the association between two records, in whichever direction it was made."""
    require_record(user, record_type, record_id)
    db.session.execute(
        delete(RecordAssociation).where(
            RecordAssociation.account_id == user.account_id,
            or_(
                and_(
                    RecordAssociation.from_type == record_type,
                    RecordAssociation.from_id == record_id,
                    RecordAssociation.to_type == other_type,
                    RecordAssociation.to_id == other_id,
                ),
                and_(
                    RecordAssociation.from_type == other_type,
                    RecordAssociation.from_id == other_id,
                    RecordAssociation.to_type == record_type,
                    RecordAssociation.to_id == record_id,
                ),
            ),
        )
    )
    record = require_record(user, record_type, record_id)
    if record_type == "contact" and other_type == "company" and record.company_id == other_id:
        record.company_id = None
    db.session.commit()
