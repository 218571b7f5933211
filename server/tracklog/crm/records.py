"""Rules shared by every kind of record: placing in a pipeline, removing a record's links, and
committing a change that may clash with another record."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import and_, delete, func, or_, select
from sqlalchemy.exc import IntegrityError

from tracklog.crm.associations import Planned, add_record_link, apply_associations
from tracklog.crm.explain import encode_why
from tracklog.errors import Conflict, ValidationFailed
from tracklog.extensions import db
from tracklog.inputs import stored_integer
from tracklog.models import (
    Activity,
    ActivityAssociation,
    Company,
    Contact,
    Deal,
    Pin,
    Pipeline,
    RecordAssociation,
    Stage,
    Ticket,
    User,
    utcnow,
)


def commit_or_conflict(after_flush: Callable[[], None] | None = None) -> None:
    """Flush, run what needs the new ids, commit; a constraint violation is a Conflict."""
    try:
        db.session.flush()
        if after_flush is not None:
            after_flush()
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise Conflict(_("The change clashes with another record.")) from None


def default_pipeline(account_id: int, object_type: str) -> Pipeline | None:
    """The account's first pipeline for deals or tickets."""
    query = (
        select(Pipeline)
        .filter_by(account_id=account_id, object=object_type)
        .order_by(Pipeline.display_order, Pipeline.id)
    )
    return db.session.scalars(query.limit(1)).first()


def place_in_pipeline(record: Deal | Ticket, object_type: str) -> None:
    """Fill in a missing pipeline or stage and check that the stage belongs to the pipeline."""
    account_id = record.account_id
    if record.pipeline_id is None and record.stage_id is not None:
        stage = db.session.scalar(
            select(Stage).filter_by(id=record.stage_id, account_id=account_id)
        )
        record.pipeline_id = stage.pipeline_id if stage else None
    if record.pipeline_id is None:
        pipeline = default_pipeline(account_id, object_type)
    else:
        pipeline = db.session.scalar(
            select(Pipeline).filter_by(id=record.pipeline_id, account_id=account_id)
        )
    if pipeline is None or pipeline.object != object_type:
        raise ValidationFailed(
            _("Choose a %(object)s pipeline of this account.", object=object_type),
            details={"fields": {"pipeline_id": _("not a %(object)s pipeline", object=object_type)}},
        )
    record.pipeline_id = pipeline.id
    stage_ids = [stage.id for stage in pipeline.stages]
    if record.stage_id is None:
        record.stage_id = stage_ids[0]
    elif record.stage_id not in stage_ids:
        raise ValidationFailed(
            _("The stage is not part of the pipeline %(name)s.", name=pipeline.name),
            details={"fields": {"stage_id": _("not a stage of this pipeline")}},
        )


def records_in_stages(account_id: int, stage_ids: list[int]) -> int:
    """How many deals and tickets stand in any of these stages."""
    if not stage_ids:
        return 0
    total = 0
    for model in (Deal, Ticket):
        query = (
            select(func.count())
            .select_from(model)
            .where(model.account_id == account_id, model.stage_id.in_(stage_ids))
        )
        total += db.session.scalar(query)
    return total


def delete_record_links(account_id: int, record_type: str, record_id: int) -> None:
    """Remove a record's timeline associations, record associations and pin before it goes."""
    db.session.execute(
        delete(ActivityAssociation).where(
            ActivityAssociation.account_id == account_id,
            ActivityAssociation.record_type == record_type,
            ActivityAssociation.record_id == record_id,
        )
    )
    db.session.execute(
        delete(RecordAssociation).where(
            RecordAssociation.account_id == account_id,
            or_(
                and_(
                    RecordAssociation.from_type == record_type,
                    RecordAssociation.from_id == record_id,
                ),
                and_(
                    RecordAssociation.to_type == record_type, RecordAssociation.to_id == record_id
                ),
            ),
        )
    )
    db.session.execute(
        delete(Pin).where(
            Pin.account_id == account_id,
            Pin.record_type == record_type,
            Pin.record_id == record_id,
        )
    )


def bring_in_from(
    user: User, record: Deal | Ticket, record_type: str, source: Any, days: int | None
) -> int:
    """Link a new deal or ticket to the contact or company it was created from, and put that
    record's activities of the last N days (30 by default) on its timeline; how many."""
    source_type = source.get("type") if isinstance(source, dict) else None
    source_id = source.get("id") if isinstance(source, dict) else None
    model = {"contact": Contact, "company": Company}.get(source_type)
    exists = (
        model is not None
        and stored_integer(source_id) is not None
        and db.session.scalar(
            select(model.id).where(model.id == source_id, model.account_id == user.account_id)
        )
    )
    if not exists:
        raise ValidationFailed(
            _("Create it from a contact or company of this account."),
            details={"fields": {"from": _("not a contact or company of this account")}},
        )
    add_record_link(user, source_type, source_id, record_type, record.id)
    since = utcnow() - timedelta(days=days if isinstance(days, int) and days >= 0 else 30)
    activity_ids = db.session.scalars(
        select(ActivityAssociation.activity_id).where(
            ActivityAssociation.account_id == user.account_id,
            ActivityAssociation.record_type == source_type,
            ActivityAssociation.record_id == source_id,
            ActivityAssociation.occurred_at >= since,
        )
    ).all()
    label = getattr(record, "name", None) or getattr(record, "subject", "")
    why = encode_why("brought_in_with_record", record=label)
    for activity in db.session.scalars(select(Activity).where(Activity.id.in_(activity_ids))):
        apply_associations(activity, [Planned(record_type, record.id, "manual", why)])
    return len(activity_ids)


def record_choices(model: Any, account_id: int, limit: int = 500) -> list[tuple[int, str]]:
    """Companies or deals of the account by name, (id, name), for a filter's choices."""
    query = select(model.id, model.name).where(model.account_id == account_id)
    return [tuple(row) for row in db.session.execute(query.order_by(model.name).limit(limit))]
