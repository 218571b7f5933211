"""The task list: the user's open tasks, or the account's for admins."""

from __future__ import annotations

from datetime import UTC, datetime

from tests import factories
from tests.crm.test_board_pages import session_api, sign_in
from tracklog.crm.tasks import task_rows
from tracklog.extensions import db
from tracklog.models import Task


def test_task_list_shows_due_dates_in_the_users_time_zone_and_marks_done(client, world):
    deal = factories.make_deal(world.account, "Initech renewal")
    world.admin.time_zone = "Asia/Tokyo"
    due = datetime(2026, 3, 1, 23, 30, tzinfo=UTC)
    mine = Task(
        account_id=world.account.id,
        title="Chase the signature",
        due_at=due,
        owner_id=world.admin.id,
        record_type="deal",
        record_id=deal.id,
    )
    theirs = Task(account_id=world.account.id, title="Bob's call", owner_id=world.user.id)
    db.session.add_all([mine, theirs])
    db.session.commit()
    sign_in(client, world.admin)
    html = client.get("/tasks").get_data(as_text=True)
    assert "Chase the signature" in html and "Bob's call" not in html
    assert f'<a href="/deals/{deal.id}">Initech renewal</a>' in html
    assert "Mar 2, 2026" in html  # 23:30 UTC is the next morning in Tokyo
    assert "(overdue)" not in html or due < datetime.now(UTC)
    everyone = client.get("/tasks?all=1").get_data(as_text=True)
    assert "Bob&#39;s call" in everyone and "Chase the signature" in everyone
    done = session_api(client, "PATCH", f"/tasks/{mine.id}", {"done": True})
    assert done.status_code == 200 and done.json["done"] is True
    assert "Chase the signature" not in client.get("/tasks").get_data(as_text=True)


def test_non_admins_only_ever_see_their_own_tasks(client, world):
    db.session.add(Task(account_id=world.account.id, title="Alice's call", owner_id=world.admin.id))
    db.session.commit()
    sign_in(client, world.user)
    assert "Alice" not in client.get("/tasks?all=1").get_data(as_text=True)
    html = client.get("/tasks").get_data(as_text=True)
    assert "No open tasks." in html and "Everyone" not in html


def test_task_rows_name_each_owner_and_link_the_record(app, world):
    deal = factories.make_deal(world.account, "Initech renewal")
    world.user.display_name = "Bob"
    task = Task(
        account_id=world.account.id,
        title="Send the quote",
        owner_id=world.user.id,
        record_type="deal",
        record_id=deal.id,
    )
    db.session.add(task)
    db.session.commit()
    [row] = task_rows(world.admin, everyone=True)
    assert row["owner"] == "Bob"
    assert row["record"] == "Initech renewal" and row["url"] == f"/deals/{deal.id}"
    assert task_rows(world.admin, everyone=False) == []
