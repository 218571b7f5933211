"""Pipelines every account starts with and has, and their stages' names in the reader's language.

The default pipelines and stages are stored with their English names and translated when shown,
for as long as the account leaves a name unchanged: one account's users read them each in their
own language (Japanese users see the names HubSpot's Japanese edition uses), and a renamed
pipeline or stage is shown as written.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from tracklog.extensions import db
from tracklog.models import Account, Pipeline, Stage

DEFAULT_SALES_PIPELINE = "Sales Pipeline"
DEFAULT_SALES_STAGES = (
    ("Appointment scheduled", 20, "open"),
    ("Qualified to buy", 40, "open"),
    ("Presentation scheduled", 60, "open"),
    ("Decision maker bought-in", 80, "open"),
    ("Contract sent", 90, "open"),
    ("Closed won", 100, "won"),
    ("Closed lost", 0, "lost"),
)
DEFAULT_TICKET_PIPELINE = "Support Pipeline"
DEFAULT_TICKET_STAGES = (
    ("New", 0, "open"),
    ("Waiting on contact", 0, "open"),
    ("Waiting on us", 0, "open"),
    ("Closed", 0, "closed"),
)
STAGE_LABELS = {
    "Appointment scheduled": _l("Appointment scheduled"),
    "Qualified to buy": _l("Qualified to buy"),
    "Presentation scheduled": _l("Presentation scheduled"),
    "Decision maker bought-in": _l("Decision maker bought-in"),
    "Contract sent": _l("Contract sent"),
    "Closed won": _l("Closed won"),
    "Closed lost": _l("Closed lost"),
    "New": _l("New"),
    "Waiting on contact": _l("Waiting on contact"),
    "Waiting on us": _l("Waiting on us"),
    "Closed": _l("Closed"),
}


PIPELINE_LABELS = {
    DEFAULT_SALES_PIPELINE: _l("Sales Pipeline"),
    DEFAULT_TICKET_PIPELINE: _l("Support Pipeline"),
}


def pipeline_label(name: str) -> str:
    """A pipeline's name, translated when it is one the account started with (like its stages)."""
    return str(PIPELINE_LABELS.get(name, name))


def stage_label(name: str) -> str:
    """A stage's name, translated when it is one the account started with."""
    return str(STAGE_LABELS.get(name, name))


def build_pipeline(
    account: Account,
    name: str,
    object_type: str,
    stages: tuple[tuple[str, int, str], ...],
    order: int,
) -> Pipeline:
    """A pipeline with its stages in the given order, not yet added to the session."""
    pipeline = Pipeline(account_id=account.id, name=name, object=object_type, display_order=order)
    pipeline.stages = [
        Stage(
            account_id=account.id,
            name=stage_name,
            order=index,
            probability=probability,
            kind=kind,
        )
        for index, (stage_name, probability, kind) in enumerate(stages)
    ]
    return pipeline


def default_pipelines(account: Account) -> list[Pipeline]:
    """The Sales Pipeline with its seven stages and the support ticket pipeline."""
    return [
        build_pipeline(account, DEFAULT_SALES_PIPELINE, "deal", DEFAULT_SALES_STAGES, 0),
        build_pipeline(account, DEFAULT_TICKET_PIPELINE, "ticket", DEFAULT_TICKET_STAGES, 0),
    ]


def account_pipelines(account_id: int, object_type: str | None = None) -> list[Pipeline]:
    """The account's pipelines (of one kind of record), in display order."""
    query = select(Pipeline).where(Pipeline.account_id == account_id)
    if object_type:
        query = query.where(Pipeline.object == object_type)
    return list(db.session.scalars(query.order_by(Pipeline.display_order, Pipeline.id)))
