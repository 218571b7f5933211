"""The demo account: believable, consistent, confined to itself, and seeded only once."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import delete, func, select

from tests import factories
from tests.web.test_home import section
from tracklog.auth.accounts import bcc_address, password_matches
from tracklog.crm.pipelines import DEFAULT_SALES_PIPELINE, DEFAULT_SALES_STAGES
from tracklog.demo import DEMO_ACCOUNT, DEMO_PASSWORD, DemoSeeder, seed_demo
from tracklog.errors import Conflict
from tracklog.extensions import db
from tracklog.models import (
    Account,
    Activity,
    ActivityAssociation,
    Base,
    Company,
    Contact,
    Deal,
    EngagementEvent,
    InboundMessage,
    Message,
    Notification,
    Pin,
    Pipeline,
    RecordAssociation,
    Task,
    Ticket,
    User,
    utcnow,
)

RECORD_MODELS = {"contact": Contact, "company": Company, "deal": Deal, "ticket": Ticket}


def count(model: type[Base]) -> int:
    """Rows of a model in the whole database."""
    return db.session.scalar(select(func.count()).select_from(model))


def table_counts() -> dict[str, int]:
    """Rows of every table, by name."""
    with db.engine.connect() as connection:
        return {
            table.name: connection.scalar(select(func.count()).select_from(table))
            for table in Base.metadata.sorted_tables
        }


def demo_account() -> Account:
    """The seeded demo account."""
    return db.session.scalar(select(Account).filter_by(name=DEMO_ACCOUNT))


def test_demo_fills_believable_amounts_of_data(app):
    seed_demo()
    assert 3 <= count(User) <= 4
    assert 8 <= count(Company) <= 12
    assert 45 <= count(Contact) <= 55
    assert 12 <= count(Deal) <= 18
    assert 3 <= count(Ticket) <= 6
    emails = db.session.scalar(select(func.count()).where(Activity.type == "email"))
    notes = db.session.scalar(select(func.count()).where(Activity.type == "note"))
    assert 30 <= emails <= 100
    assert 8 <= notes <= 30
    assert 2 <= count(Pin) <= 5
    admins = db.session.scalars(select(User).filter_by(role="admin")).all()
    assert len(admins) == 1


def test_demo_users_sign_in_with_the_demo_password(app):
    seed_demo()
    users = db.session.scalars(select(User)).all()
    assert all(password_matches(user, DEMO_PASSWORD) for user in users)
    assert all(user.entra_object_id is None for user in users)


def test_contacts_use_example_domains_and_mostly_non_marketing(app):
    seed_demo()
    contacts = db.session.scalars(select(Contact)).all()
    companies = {company.id: company for company in db.session.scalars(select(Company))}
    assert all(company.domain.endswith(".example") for company in companies.values())
    for contact in contacts:
        assert contact.email.endswith("@" + companies[contact.company_id].domain)
    with_basis = [contact for contact in contacts if contact.legal_basis]
    assert 2 <= len(with_basis) <= 12
    assert {contact.legal_basis for contact in with_basis} <= {"consent", "legitimate_interest"}
    marketing = [contact for contact in contacts if contact.marketing_status == "marketing"]
    assert len(marketing) < len(contacts) / 4
    last_names = {contact.last_name for contact in contacts}
    assert last_names & {"Sato", "Suzuki", "Takahashi", "Tanaka", "Ito", "Yamamoto"}
    assert any(any(letter in name for letter in "åäö") for name in map(str.lower, last_names))


def test_every_sales_stage_holds_a_deal_and_statuses_cover_open_won_lost(app):
    seed_demo()
    pipeline = db.session.scalar(select(Pipeline).filter_by(name=DEFAULT_SALES_PIPELINE))
    deals = db.session.scalars(select(Deal)).all()
    assert [stage.name for stage in pipeline.stages] == [name for name, *_ in DEFAULT_SALES_STAGES]
    for stage in pipeline.stages:
        assert any(deal.stage_id == stage.id for deal in deals), stage.name
    assert {deal.status for deal in deals} == {"open", "won", "lost"}
    assert all(deal.amount and deal.amount > 0 and deal.close_date for deal in deals)
    user_ids = set(db.session.scalars(select(User.id)))
    assert {deal.owner_id for deal in deals} <= user_ids


def test_tickets_spread_over_open_and_closed_statuses(app):
    seed_demo()
    tickets = db.session.scalars(select(Ticket)).all()
    assert {ticket.status for ticket in tickets} == {"open", "closed"}
    assert len({ticket.stage_id for ticket in tickets}) >= 3


def test_timeline_rows_copy_their_activity_and_point_at_real_records(app):
    seed_demo()
    activities = {activity.id: activity for activity in db.session.scalars(select(Activity))}
    placements = db.session.scalars(select(ActivityAssociation)).all()
    for placement in placements:
        activity = activities[placement.activity_id]
        assert placement.activity_type == activity.type
        assert placement.occurred_at == activity.occurred_at
        assert placement.account_id == activity.account_id
        assert placement.source in {"automatic", "manual"} and placement.why
        record = db.session.get(RECORD_MODELS[placement.record_type], placement.record_id)
        assert record is not None and record.account_id == activity.account_id
    assert {placement.activity_id for placement in placements} == set(activities)


def test_activities_look_like_logged_mail_and_notes(app):
    seed_demo()
    seeded_at = time.time()
    activities = db.session.scalars(select(Activity)).all()
    message_ids = [activity.message_id for activity in activities if activity.type == "email"]
    assert len(message_ids) == len(set(message_ids))
    for activity in activities:
        age_days = (seeded_at - activity.occurred_at.timestamp()) / 86400
        assert 0 <= age_days <= 60
        assert activity.owner_id is not None and activity.body_text and activity.body_html
        assert "<script" not in activity.body_html
        if activity.type == "email":
            assert activity.message_id.startswith("<demo-")
            assert activity.message_id.endswith("@demo.example>")
            assert activity.direction in {"outgoing", "incoming"}
            assert activity.thread_key and activity.subject
    directions = {activity.direction for activity in activities if activity.type == "email"}
    assert directions == {"outgoing", "incoming"}
    threads = [activity.thread_key for activity in activities if activity.type == "email"]
    assert len(set(threads)) < len(threads)


def test_records_are_linked_and_pins_sit_on_their_own_timeline(app):
    seed_demo()
    links = {
        (link.from_type, link.to_type) for link in db.session.scalars(select(RecordAssociation))
    }
    assert {("contact", "company"), ("deal", "contact"), ("deal", "company")} <= links
    companies = {company.id for company in db.session.scalars(select(Company))}
    for contact in db.session.scalars(select(Contact)):
        assert contact.company_id in companies
    for pin in db.session.scalars(select(Pin)):
        on_timeline = db.session.scalar(
            select(ActivityAssociation).filter_by(
                activity_id=pin.activity_id, record_type=pin.record_type, record_id=pin.record_id
            )
        )
        assert on_timeline is not None


def test_every_row_belongs_to_the_demo_account(app):
    seed_demo()
    account = demo_account()
    assert db.session.scalars(select(Account.id)).all() == [account.id]
    with db.engine.connect() as connection:
        for table in Base.metadata.sorted_tables:
            if "account_id" in table.c:
                query = select(func.count()).where(table.c.account_id != account.id)
                assert connection.scalar(query) == 0, table.name


def test_a_second_run_adds_nothing_and_still_says_how_to_sign_in(app):
    first = seed_demo()
    before = table_counts()
    second = seed_demo()
    assert table_counts() == before
    assert second[1:] == first[1:]


def test_sign_in_lines_name_the_url_users_password_and_bcc_address(app):
    lines = seed_demo()
    output = "\n".join(lines)
    assert "https://tracklog.test/sign-in" in output
    assert "maria.lindqvist@demo.example" in output
    assert DEMO_PASSWORD in output
    assert bcc_address(demo_account()) in output
    for user in db.session.scalars(select(User)):
        assert user.email in output


def test_seeding_is_deterministic(app):
    seed_demo()
    first = snapshot()
    db.session.execute(delete(Account))
    db.session.commit()
    assert count(Contact) == 0
    seed_demo()
    assert snapshot() == first


def snapshot() -> list[tuple]:
    """What the demo holds, leaving out ids and times."""
    rows: list[tuple] = []
    for contact in db.session.scalars(select(Contact).order_by(Contact.email)):
        rows.append((contact.email, contact.name, contact.legal_basis, contact.marketing_status))
    for deal in db.session.scalars(select(Deal).order_by(Deal.name)):
        rows.append((deal.name, deal.stage.name, str(deal.amount)))
    for activity in db.session.scalars(select(Activity).order_by(Activity.message_id)):
        rows.append((activity.type, activity.subject, activity.message_id, activity.body_text))
    return sorted(rows, key=repr)


def test_demo_command_seeds_a_fresh_instance_once(tmp_path: Path):
    tracklog = Path(sys.executable).with_name("tracklog")
    env = {name: value for name, value in os.environ.items() if not name.startswith("TRACKLOG_")}
    env.update(
        TRACKLOG_INSTANCE_PATH=str(tmp_path),
        TRACKLOG_BASE_URL="https://demo.tracklog.test",
        TRACKLOG_BCC_DOMAIN="bcc.tracklog.test",
    )

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        """Run the tracklog command in the test instance."""
        return subprocess.run(
            [str(tracklog), *args], env=env, capture_output=True, text=True, timeout=60
        )

    upgraded = run("db", "upgrade")
    assert upgraded.returncode == 0, upgraded.stderr
    first = run("demo")
    assert first.returncode == 0, first.stderr
    assert "https://demo.tracklog.test/sign-in" in first.stdout
    assert "maria.lindqvist@demo.example" in first.stdout
    assert "log+" in first.stdout and "@bcc.tracklog.test" in first.stdout
    again = run("demo")
    assert again.returncode == 0, again.stderr
    assert "already exists" in again.stdout
    assert again.stdout.splitlines()[1:] == first.stdout.splitlines()[1:]


def test_a_demo_address_used_elsewhere_stops_before_creating_anything(app):
    other = factories.make_account("Globex")
    factories.make_user(other, "maria.lindqvist@demo.example")
    with pytest.raises(Conflict):
        seed_demo()
    assert demo_account() is None


def test_a_failure_half_way_leaves_no_demo_account_behind(app, monkeypatch):
    def broken(self: DemoSeeder) -> None:
        """Fail as a database might after the account exists."""
        raise RuntimeError("disk full")

    monkeypatch.setattr(DemoSeeder, "build_pins", broken)
    with pytest.raises(RuntimeError):
        seed_demo()
    assert demo_account() is None
    assert count(Pipeline) == 0 and count(User) == 0


def test_tracked_mail_shows_every_kind_of_hit_with_a_reason(app):
    seed_demo()
    events = db.session.scalars(select(EngagementEvent)).all()
    seen = {(event.kind, event.classification) for event in events}
    assert {
        ("open", "human"),
        ("open", "proxy"),
        ("open", "prefetch"),
        ("click", "scanner"),
        ("click", "human"),
        ("reply", "human"),
    } <= seen
    assert all(event.reason for event in events)
    assert any(event.first_human_open for event in events)
    assert any(event.country == "SE" for event in events)
    scanners = [event for event in events if event.classification == "scanner"]
    assert any(event.evidence["rule"] == "microsoft-defender" for event in scanners)
    messages = db.session.scalars(select(Message).filter_by(tracking="individual")).all()
    assert len(messages) >= 20
    assert all(message.activity_id and message.recipients[0].contact_id for message in messages)
    assert any(message.replied_at for message in messages)
    now = utcnow()
    assert all(event.occurred_at <= now for event in events)


def test_salespeople_have_tasks_calls_meetings_and_unread_notifications(app):
    seed_demo()
    now = utcnow()
    tasks = db.session.scalars(select(Task)).all()
    assert any(task.due_at < now for task in tasks)
    assert any(task.due_at.date() == now.date() for task in tasks)
    assert all(task.record_type == "deal" and not task.done for task in tasks)
    types = set(db.session.scalars(select(Activity.type)))
    assert {"email", "note", "task", "call", "meeting"} <= types
    for user in db.session.scalars(select(User)):
        unread = select(func.count()).where(
            Notification.user_id == user.id, Notification.read_at.is_(None)
        )
        assert db.session.scalar(unread) > 0, user.email
    statuses = set(db.session.scalars(select(InboundMessage.status)))
    assert "not_logged" in statuses


def test_the_first_sign_in_shows_something_true_in_every_section_of_the_start_page(app, client):
    seed_demo()
    response = client.post(
        "/sign-in", data={"email": "maria.lindqvist@demo.example", "password": DEMO_PASSWORD}
    )
    assert response.status_code == 302
    html = client.get("/").get_data(as_text=True)
    for name, empty in (
        ("engagement", "No opens or clicks yet."),
        ("tasks", "Nothing due this week."),
        ("deals", "No open deal of yours closes"),
        ("unlogged", "Every mail you sent with the logging address was logged."),
    ):
        assert empty not in section(html, name)
    assert "(overdue)" in section(html, "tasks")
    assert "€" in section(html, "deals")
    assert "Notes for the quarterly review" in section(html, "unlogged")
