"""Kinds of record as the web pages' URLs name them: /contacts, /companies, /deals, /tickets."""

from __future__ import annotations

PLURALS = {"contact": "contacts", "company": "companies", "deal": "deals", "ticket": "tickets"}
SINGULARS = {plural: singular for singular, plural in PLURALS.items()}
# The URL rule part that matches any of them, as the view argument `plural`.
RECORD_ROUTE = "<any(contacts,companies,deals,tickets):plural>"


def record_path(record_type: str, record_id: int) -> str:
    """The page of one record."""
    return f"/{PLURALS[record_type]}/{record_id}"
