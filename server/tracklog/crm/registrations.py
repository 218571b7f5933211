"""A company's active deal registrations: the open shared deals (partnerships still active) of its
own account that are associated with it. Read here from the models, so that the record domain
does not depend on the partners package that builds on it."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ScalarSelect, Select, and_, func, or_, select

from tracklog.extensions import db
from tracklog.models import Company, Deal, Partnership, RecordAssociation, SharedDeal, Stage


def _company_deal_link(company_id: Any) -> object:
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


def registrations_count(company_id: Any, account_id: Any) -> ScalarSelect:
    """How many open shared deals of the account are associated with the company: a scalar
    subquery, which follows the row when given Company's columns (the companies list's filter)."""
    query = (
        select(func.count(func.distinct(Deal.id)))
        .join(Stage, Stage.id == Deal.stage_id)
        .join(
            SharedDeal,
            or_(SharedDeal.selling_deal_id == Deal.id, SharedDeal.partner_deal_id == Deal.id),
        )
        .join(Partnership, Partnership.id == SharedDeal.partnership_id)
        .join(
            RecordAssociation,
            and_(RecordAssociation.account_id == account_id, _company_deal_link(company_id)),
        )
        .where(
            Deal.account_id == account_id,
            Stage.kind == "open",
            Partnership.status == "active",
        )
    )
    return query.scalar_subquery()


def active_deal_registrations(company: Company) -> int:
    """How many open shared deals of the company's account are associated with it."""
    return db.session.scalar(select(registrations_count(company.id, company.account_id))) or 0


def registration_counts(companies: list[Company]) -> dict[int, int]:
    """The active deal registrations of several companies (a list page's rows), by id."""
    if not companies:
        return {}
    count = registrations_count(Company.id, Company.account_id)
    query = select(Company.id, count).where(Company.id.in_([c.id for c in companies]))
    return {company_id: number or 0 for company_id, number in db.session.execute(query)}


def with_registrations(query: Select, at_least: int) -> Select:
    """The companies of a query with at least this many active deal registrations."""
    return query.where(registrations_count(Company.id, Company.account_id) >= at_least)
