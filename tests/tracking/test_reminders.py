"""Follow-up reminders: a task and a notification when the recipients did nothing by the due
time, closed when a person replied, opened or clicked first; each fires exactly once."""

from __future__ import annotations

import subprocess
import sys
import threading
from datetime import timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from tests import factories
from tests.conftest import app_environment
from tests.notify.conftest import Socket
from tests.tracking.helpers import compose, pixel_path, sent_an_hour_ago
from tests.tracking.test_hits import APPLE_MPP, hit
from tracklog.extensions import db
from tracklog.models import ActivityAssociation, FollowUpReminder, Notification, Task, utcnow
from tracklog.tracking import reminders
from tracklog.tracking.reminders import run_due_reminders

FIRED_TEXT = "No reply from Peter Gibbons to “Pricing”: a follow-up task was created."


@pytest.fixture
def sent(api, world) -> dict[str, Any]:
    """A tracked mail to a known contact, sent an hour ago."""
    factories.make_contact(
        world.account, "peter@initech.example", first_name="Peter", last_name="Gibbons"
    )
    composed = compose(api, ["peter@initech.example"])
    sent_an_hour_ago(composed["message_id"])
    return composed


def remind(api, sent: dict[str, Any], **body: Any) -> dict[str, Any]:
    """Set a reminder on the sent mail through the API; its JSON."""
    response = api.post(f"/messages/{sent['message_id']}/reminders", {"in_days": 2, **body})
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.json


def reminders_of(api, sent: dict[str, Any]) -> list[dict[str, Any]]:
    """The mail's reminders as the API lists them."""
    return api.get(f"/messages/{sent['message_id']}/reminders").json["items"]


def after_due() -> Any:
    """A moment after every reminder of these tests is due."""
    return utcnow() + timedelta(days=3)


def tasks() -> list[Task]:
    """Every task, oldest first."""
    db.session.expire_all()
    return list(db.session.scalars(db.select(Task).order_by(Task.id)))


def test_an_unmet_reminder_fires_once_a_task_and_a_notification(api, world, sent):
    reminder = remind(api, sent)
    assert reminder["state"] == "pending" and reminder["unless"] == "reply"
    assert run_due_reminders().fired == 0  # not due yet

    run = run_due_reminders(after_due())
    assert (run.fired, run.closed) == (1, 0)
    [listed] = reminders_of(api, sent)
    assert listed["state"] == "fired" and listed["closed_reason"] is None
    assert listed["fired_at"] is not None
    [task] = tasks()
    assert listed["task_id"] == task.id
    assert task.title == "Follow up: Pricing" and task.owner_id == world.admin.id
    assert task.record_type == "contact" and task.due_at is not None
    assert task.notes.endswith(f"/messages/{sent['message_id']}")
    on_timeline = db.session.scalars(db.select(ActivityAssociation.record_id)).all()
    assert on_timeline == [task.record_id]
    [notification] = api.get("/notifications").json["items"]
    assert notification["kind"] == "follow_up" and notification["text"] == FIRED_TEXT
    assert notification["message_id"] == sent["message_id"]
    assert run_due_reminders(after_due()).fired == 0
    assert len(tasks()) == 1


def test_a_persons_open_before_the_due_time_closes_it(api, sent, recipient, record):
    remind(api, sent, unless="open")
    hit(recipient, pixel_path(sent["html"]))
    assert record() == 1
    assert run_due_reminders(after_due()).closed == 1
    [listed] = reminders_of(api, sent)
    assert listed["state"] == "closed" and listed["closed_reason"] == "opened"
    assert listed["task_id"] is None and tasks() == []
    kinds = [item["kind"] for item in api.get("/notifications").json["items"]]
    assert "follow_up" not in kinds


def test_a_machines_open_never_satisfies_a_reminder(api, sent, recipient, record):
    remind(api, sent, unless="open")
    hit(recipient, pixel_path(sent["html"]), agent=APPLE_MPP, ip="17.58.0.1")
    assert record() == 1
    assert api.get(f"/messages/{sent['message_id']}").json["kpis"]["human_opens"] == 0
    assert run_due_reminders(after_due()).fired == 1
    [listed] = reminders_of(api, sent)
    assert listed["state"] == "fired" and len(tasks()) == 1


def test_an_open_does_not_satisfy_unless_reply(api, sent, recipient, record):
    remind(api, sent, unless="reply")
    hit(recipient, pixel_path(sent["html"]))
    record()
    assert run_due_reminders(after_due()).fired == 1


def test_a_reminder_that_fails_stays_pending_and_holds_up_no_other(api, sent, monkeypatch):
    broken = remind(api, sent)
    other = compose(api, ["peter@initech.example"], item_id="draft-2", subject="Renewal")
    remind(api, other)
    real = reminders._follow_up_task

    def fail_on_pricing(message, sender, contacts):
        """The task of the first mail cannot be made (a bug, a constraint...)."""
        if message.subject == "Pricing":
            raise RuntimeError("no task today")
        return real(message, sender, contacts)

    monkeypatch.setattr(reminders, "_follow_up_task", fail_on_pricing)
    assert run_due_reminders(after_due()).fired == 1
    assert [r["state"] for r in reminders_of(api, sent)] == ["pending"]
    assert [r["state"] for r in reminders_of(api, other)] == ["fired"]
    monkeypatch.undo()
    assert run_due_reminders(after_due()).fired == 1
    assert reminders_of(api, sent)[0]["id"] == broken["id"]
    assert reminders_of(api, sent)[0]["state"] == "fired"


def test_a_cancelled_reminder_never_fires(api, sent):
    reminder = remind(api, sent)
    path = f"/messages/{sent['message_id']}/reminders/{reminder['id']}"
    cancelled = api.delete(path)
    assert cancelled.status_code == 200 and cancelled.json["state"] == "cancelled"
    again = api.delete(path)
    assert again.status_code == 409 and again.json["error"]["code"] == "not_pending"
    assert run_due_reminders(after_due()).fired == 0 and tasks() == []


@pytest.mark.parametrize(
    "body, field",
    [
        ({}, "due_at"),
        ({"in_days": 2, "due_at": "2030-01-01T09:00:00Z"}, "due_at"),
        ({"in_days": 0}, "in_days"),
        ({"in_days": 366}, "in_days"),
        ({"in_days": "soon"}, "in_days"),
        ({"in_days": True}, "in_days"),
        ({"due_at": "2020-01-01T09:00:00Z"}, "due_at"),
        ({"due_at": "next tuesday"}, "due_at"),
        ({"in_days": 2, "unless": "bounce"}, "unless"),
    ],
)
def test_a_bad_reminder_is_refused_with_the_field_named(api, sent, body, field):
    response = api.post(f"/messages/{sent['message_id']}/reminders", body)
    assert response.status_code == 422
    assert response.json["error"]["code"] == "validation_failed"
    assert field in response.json["error"]["details"]["fields"]
    assert reminders_of(api, sent) == []


def test_an_untracked_mail_can_only_wait_for_a_reply(api, world):
    untracked = compose(api, ["peter@initech.example"], track=False)
    path = f"/messages/{untracked['message_id']}/reminders"
    refused = api.post(path, {"in_days": 2, "unless": "open"})
    assert refused.status_code == 422 and "unless" in refused.json["error"]["details"]["fields"]
    assert api.post(path, {"in_days": 2, "unless": "reply"}).status_code == 201


def test_a_due_at_with_an_offset_is_kept_in_utc(api, sent):
    due = (utcnow() + timedelta(days=1)).replace(microsecond=0)
    offset = due.astimezone(timezone(timedelta(hours=9))).isoformat()
    reminder = remind(api, sent, in_days=None, due_at=offset)
    assert reminder["due_at"] == due.isoformat().replace("+00:00", "Z")


def test_other_accounts_and_other_users_get_404(api, client, world, sent):
    reminder = remind(api, sent)
    base = f"/messages/{sent['message_id']}/reminders"
    for token in (world.other_token, world.user_token):
        stranger = factories.ApiClient(client, token)
        assert stranger.get(base).status_code == 404
        assert stranger.post(base, {"in_days": 1}).status_code == 404
        assert stranger.delete(f"{base}/{reminder['id']}").status_code == 404
    assert [r["state"] for r in reminders_of(api, sent)] == ["pending"]


def test_two_concurrent_runs_fire_each_reminder_exactly_once(app, api, sent):
    for _index in range(12):
        remind(api, sent)
    results = []

    def run() -> None:
        """One scheduler run in an app context of its own, as in another process."""
        with app.app_context():
            results.append(run_due_reminders(after_due()))
            db.session.remove()

    threads = [threading.Thread(target=run) for _index in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sum(result.fired for result in results) == 12
    assert len(tasks()) == 12
    reminders = db.session.scalars(db.select(FollowUpReminder)).all()
    assert {reminder.state for reminder in reminders} == {"fired"}
    assert len({reminder.task_id for reminder in reminders}) == 12
    assert db.session.scalar(db.select(db.func.count(Notification.id))) == 12


def test_two_tracklog_processes_fire_each_reminder_exactly_once(api, sent, database_url, tmp_path):
    for _index in range(20):
        remind(api, sent)
    db.session.execute(db.update(FollowUpReminder).values(due_at=utcnow() - timedelta(minutes=1)))
    db.session.commit()
    command = [str(Path(sys.executable).with_name("tracklog")), "reminders", "run"]
    runs = [
        subprocess.Popen(
            command,
            env=app_environment(database_url, tmp_path / f"instance-{index}"),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for index in range(2)
    ]
    outputs = [run.communicate(timeout=120) for run in runs]
    assert [run.returncode for run in runs] == [0, 0], outputs
    fired = [int(out.split(" reminders fired")[0].split()[-1]) for out, _err in outputs]
    assert sum(fired) == 20, outputs
    assert len(tasks()) == 20
    assert db.session.scalar(db.select(db.func.count(Notification.id))) == 20


def test_the_notification_arrives_on_the_websocket(api, live, world, sent):
    remind(api, sent)
    socket = Socket(live)
    try:
        assert socket.auth(world.admin_token)["type"] == "ready"
        run_due_reminders(after_due())
        frame = socket.next()
        assert frame["type"] == "notification" and frame["kind"] == "follow_up"
        assert frame["text"] == FIRED_TEXT
    finally:
        socket.close()
