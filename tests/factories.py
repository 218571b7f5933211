"""Builders of test data, going through the same services as the app."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from tracklog.auth.accounts import add_user, create_account
from tracklog.auth.tokens import create_token
from tracklog.extensions import db
from tracklog.models import (
    Account,
    Activity,
    ActivityAssociation,
    Company,
    Contact,
    Deal,
    Pipeline,
    RecordAssociation,
    Ticket,
    User,
    UserAddress,
    utcnow,
)

PASSWORD = "correct horse battery"


def make_account(name: str = "Acme Sales") -> Account:
    """An account with its default pipelines."""
    return create_account(name)


def make_user(account: Account, email: str, role: str = "user") -> User:
    """A local user with the test password."""
    return add_user(account, email, role=role, password=PASSWORD, display_name=email.split("@")[0])


def make_alias(user: User, email: str, *, verified: bool = True) -> UserAddress:
    """Another address of the user: verified (as every alias was before verification by a link)
    unless said otherwise."""
    alias = UserAddress(
        account_id=user.account_id,
        user_id=user.id,
        email=email,
        verified_at=utcnow() if verified else None,
    )
    db.session.add(alias)
    db.session.commit()
    return alias


def token_for(user: User) -> str:
    """A fresh personal API token of the user."""
    return create_token(user, "test")[1]


def pipeline_of(account: Account, object_type: str = "deal") -> Pipeline:
    """The account's default pipeline for deals or tickets."""
    return db.session.scalar(
        db.select(Pipeline).filter_by(account_id=account.id, object=object_type)
    )


def make_company(
    account: Account, name: str = "Initech", domain: str = "initech.example"
) -> Company:
    """A company of the account."""
    company = Company(account_id=account.id, name=name, domain=domain)
    db.session.add(company)
    db.session.commit()
    return company


def make_contact(account: Account, email: str = "peter@initech.example", **fields: Any) -> Contact:
    """A contact of the account."""
    contact = Contact(account_id=account.id, email=email, **fields)
    db.session.add(contact)
    db.session.commit()
    return contact


def make_deal(
    account: Account, name: str = "Initech renewal", stage_index: int = 0, **fields: Any
) -> Deal:
    """A deal in a stage of the account's Sales Pipeline."""
    pipeline = pipeline_of(account, "deal")
    deal = Deal(
        account_id=account.id,
        name=name,
        pipeline_id=pipeline.id,
        stage_id=pipeline.stages[stage_index].id,
        **fields,
    )
    db.session.add(deal)
    db.session.commit()
    return deal


def make_ticket(account: Account, subject: str = "Printer on fire", stage_index: int = 0) -> Ticket:
    """A ticket in a status of the account's ticket pipeline."""
    pipeline = pipeline_of(account, "ticket")
    ticket = Ticket(
        account_id=account.id,
        subject=subject,
        pipeline_id=pipeline.id,
        stage_id=pipeline.stages[stage_index].id,
    )
    db.session.add(ticket)
    db.session.commit()
    return ticket


@dataclass
class World:
    """Two accounts with an admin and a user each, and their tokens."""

    account: Account
    admin: User
    user: User
    admin_token: str
    user_token: str
    other_account: Account
    other_admin: User
    other_token: str


def make_world() -> World:
    """Acme (admin, user) and Globex (admin): enough to test roles and tenant isolation."""
    account = make_account("Acme Sales")
    admin = make_user(account, "alice@acme.example", role="admin")
    user = make_user(account, "bob@acme.example")
    other = make_account("Globex")
    other_admin = make_user(other, "hank@globex.example", role="admin")
    return World(
        account=account,
        admin=admin,
        user=user,
        admin_token=token_for(admin),
        user_token=token_for(user),
        other_account=other,
        other_admin=other_admin,
        other_token=token_for(other_admin),
    )


class ApiClient:
    """Calls /api/v1 with a bearer token; `as_token` switches the caller."""

    def __init__(self, client: FlaskClient, token: str) -> None:
        self.client = client
        self.token = token

    def as_token(self, token: str) -> ApiClient:
        """The same client acting with another token."""
        return ApiClient(self.client, token)

    def call(self, method: str, path: str, json: Any = None, **kwargs: Any) -> TestResponse:
        """One request to /api/v1<path>."""
        headers = {"Authorization": f"Bearer {self.token}", **kwargs.pop("headers", {})}
        return self.client.open(
            f"/api/v1{path}", method=method, json=json, headers=headers, **kwargs
        )

    def get(self, path: str, **kwargs: Any) -> TestResponse:
        """GET /api/v1<path>."""
        return self.call("GET", path, **kwargs)

    def post(self, path: str, json: Any = None, **kwargs: Any) -> TestResponse:
        """POST /api/v1<path>."""
        return self.call("POST", path, json=json, **kwargs)

    def patch(self, path: str, json: Any = None, **kwargs: Any) -> TestResponse:
        """PATCH /api/v1<path>."""
        return self.call("PATCH", path, json=json, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> TestResponse:
        """DELETE /api/v1<path>."""
        return self.call("DELETE", path, **kwargs)


def make_activity(
    account: Account, on: list[tuple[str, int]], type_: str = "note", subject: str = "Call notes"
) -> Activity:
    """An activity on the timelines of the given (record type, id) pairs."""
    activity = Activity(account_id=account.id, type=type_, subject=subject, body_text=subject)
    db.session.add(activity)
    db.session.flush()
    db.session.add_all(
        ActivityAssociation(
            account_id=account.id,
            activity_id=activity.id,
            record_type=record_type,
            record_id=record_id,
            activity_type=activity.type,
            occurred_at=activity.occurred_at,
            source="manual",
            why="added in a test",
        )
        for record_type, record_id in on
    )
    db.session.commit()
    return activity


def link_contact(
    account: Account, contact: Contact, record_type: str, record_id: int, days_ago: float = 0
) -> None:
    """Associate a contact with a deal or ticket (some days ago)."""
    db.session.add(
        RecordAssociation(
            account_id=account.id,
            from_type="contact",
            from_id=contact.id,
            to_type=record_type,
            to_id=record_id,
            created_at=utcnow() - timedelta(days=days_ago),
        )
    )
    db.session.commit()
