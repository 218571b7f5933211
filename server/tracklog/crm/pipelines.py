"""Pipelines every account starts with."""

from __future__ import annotations

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
