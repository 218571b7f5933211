"""Moving deals between stages: the properties a stage requires, and the tasks it creates."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import inspect, select

from tracklog.errors import ValidationFailed
from tracklog.extensions import db
from tracklog.models import Deal, Stage, Task, User, utcnow

STANDARD_PROPERTIES = ("name", "amount", "close_date", "owner_id")


def property_value(deal: Deal, name: str) -> Any:
    """A deal's value for a standard or custom property."""
    if name in STANDARD_PROPERTIES:
        return getattr(deal, name)
    return (deal.properties or {}).get(name)


def missing_properties(deal: Deal, stage: Stage) -> list[str]:
    """The properties the stage requires that the deal does not have yet."""
    return [
        name for name in stage.required_properties if property_value(deal, name) in (None, "", [])
    ]


def previous_stage_id(deal: Deal) -> int | None:
    """The stage the deal was in before this change (None for a new deal)."""
    history = inspect(deal).attrs.stage_id.history
    if history.deleted:
        return history.deleted[0]
    return None if deal.id is None else deal.stage_id


def check_stage_entry(deal: Deal) -> bool:
    """Refuse entering a stage without its required properties; whether the stage changes."""
    entering = deal.id is None or previous_stage_id(deal) != deal.stage_id
    if not entering:
        return False
    stage = db.session.get(Stage, deal.stage_id)
    missing = missing_properties(deal, stage)
    if missing:
        raise ValidationFailed(
            _("The stage %(stage)s needs: %(names)s.", stage=stage.name, names=", ".join(missing)),
            code="required_properties_missing",
            details={
                "stage_id": stage.id,
                "missing": missing,
                "fields": {name: _("required by this stage") for name in missing},
            },
        )
    return True


def create_stage_tasks(deal: Deal, actor: User) -> list[Task]:
    """The tasks the deal's stage creates when a deal enters it."""
    stage = db.session.get(Stage, deal.stage_id)
    tasks = []
    for template in stage.tasks or []:
        days = template.get("due_in_days")
        tasks.append(
            Task(
                account_id=deal.account_id,
                title=str(template.get("title", ""))[:300] or stage.name,
                due_at=utcnow() + timedelta(days=days) if isinstance(days, int) else None,
                owner_id=deal.owner_id or actor.id,
                record_type="deal",
                record_id=deal.id,
                stage_id=stage.id,
            )
        )
    db.session.add_all(tasks)
    return tasks


def open_tasks(user: User, mine_only: bool = True) -> list[Task]:
    """Tasks not done yet, soonest due first."""
    query = select(Task).where(Task.account_id == user.account_id, Task.done.is_(False))
    if mine_only:
        query = query.where(Task.owner_id == user.id)
    return list(db.session.scalars(query.order_by(Task.due_at.is_(None), Task.due_at, Task.id)))


def deals_closing_soon(user: User, days: int = 30, limit: int = 10) -> list[Deal]:
    """The user's open deals whose close date is past or within the coming days, soonest first."""
    horizon = utcnow().date() + timedelta(days=days)
    query = (
        select(Deal)
        .join(Stage, Stage.id == Deal.stage_id)
        .where(
            Deal.account_id == user.account_id,
            Deal.owner_id == user.id,
            Stage.kind == "open",
            Deal.close_date.is_not(None),
            Deal.close_date <= horizon,
        )
        .order_by(Deal.close_date, Deal.id)
        .limit(limit)
    )
    return list(db.session.scalars(query))
