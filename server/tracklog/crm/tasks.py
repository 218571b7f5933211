"""The task list: open tasks, the user's or the whole account's, with their records."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template, request
from flask_login import current_user, login_required

from tracklog.auth.accounts import user_names
from tracklog.crm.associations import record_labels
from tracklog.crm.deals import open_tasks
from tracklog.crm.paths import record_path
from tracklog.models import User, utcnow

tasks = Blueprint("tasks", __name__)


def task_rows(user: User, everyone: bool) -> list[dict[str, Any]]:
    """Open tasks (the user's, or the account's) with their record's link and owner's name."""
    open_ones = open_tasks(user, mine_only=not (everyone and user.is_admin))
    labels = record_labels(
        user.account_id,
        {(task.record_type, task.record_id) for task in open_ones if task.record_id},
    )
    owners = user_names(user.account_id)
    now = utcnow()
    rows = []
    for task in open_ones:
        key = (task.record_type, task.record_id)
        rows.append(
            {
                "task": task,
                "record": labels.get(key),
                "url": record_path(task.record_type, task.record_id) if key in labels else None,
                "owner": owners.get(task.owner_id),
                "overdue": task.due_at is not None and task.due_at < now,
            }
        )
    return rows


@tasks.get("/tasks")
@login_required
def task_list() -> str:
    """Open tasks, soonest due first: yours, or everyone's for admins with ?all=1."""
    everyone = current_user.is_admin and request.args.get("all") == "1"
    return render_template(
        "crm/tasks.html", rows=task_rows(current_user, everyone), everyone=everyone
    )
