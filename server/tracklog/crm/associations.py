"""Which records a mail belongs on, and why."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from tracklog.errors import ValidationFailed
from tracklog.extensions import db
from tracklog.models import RECORD_TYPES, Company, Contact, Deal, Ticket

RECORD_MODELS = {"contact": Contact, "company": Company, "deal": Deal, "ticket": Ticket}


def record_exists(account_id: int, record_type: str, record_id: Any) -> bool:
    """Whether a record of this type and id exists in the account."""
    model = RECORD_MODELS.get(record_type)
    if model is None or isinstance(record_id, bool) or not isinstance(record_id, int):
        return False
    query = select(model.id).where(model.id == record_id, model.account_id == account_id)
    return db.session.scalar(query) is not None


def explicit_associations(account_id: int, requested: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The records a user picked by hand, each checked to exist in the account."""
    chosen, missing = [], []
    for item in requested:
        record_type, record_id = item.get("type"), item.get("id")
        if record_type not in RECORD_TYPES or not record_exists(account_id, record_type, record_id):
            missing.append(f"{record_type}:{record_id}")
            continue
        entry = {"type": record_type, "id": record_id, "why": _("explicitly selected")}
        if entry not in chosen:
            chosen.append(entry)
    if missing:
        raise ValidationFailed(
            _("Some selected records do not exist: %(records)s", records=", ".join(missing)),
            details={"fields": {"associations": missing}},
        )
    return chosen
