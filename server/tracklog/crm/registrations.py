"""A company's active deal registrations: the open shared deals (partnerships still active) of its
own account that are associated with it. Read here from the models, so that the record domain
does not depend on the partners package that builds on it."""

from __future__ import annotations

from sqlalchemy import and_, func, or_, select

from tracklog.extensions import db
from tracklog.models import Company, Deal, Partnership, RecordAssociation, SharedDeal, Stage


def _company_deal_link(company_id: int) -> object:
    """Whether a deal is associated with the company, in either direction."""
    link = RecordAssociation
    return or_(
        and_(
            link.from_type == "company",
            link.from_id == company_id,
            link.to_type == "deal",
            link.to_id == Deal.id,
        ),
        and_(
            link.to_type == "company",
            link.to_id == company_id,
            link.from_type == "deal",
            link.from_id == Deal.id,
        ),
    )


def active_deal_registrations(company: Company) -> int:
    """How many open shared deals of the company's account are associated with it."""
    linked = select(RecordAssociation.id).where(
        RecordAssociation.account_id == company.account_id, _company_deal_link(company.id)
    )
    query = (
        select(func.count(func.distinct(Deal.id)))
        .join(Stage, Stage.id == Deal.stage_id)
        .join(
            SharedDeal,
            or_(SharedDeal.selling_deal_id == Deal.id, SharedDeal.partner_deal_id == Deal.id),
        )
        .join(Partnership, Partnership.id == SharedDeal.partnership_id)
        .where(
            Deal.account_id == company.account_id,
            Stage.kind == "open",
            Partnership.status == "active",
            linked.exists(),
        )
    )
    return db.session.scalar(query) or 0
