"""First timeline page of a busy contact on PostgreSQL with 1,000,000 activities (not a test).

A fresh PostgreSQL database is migrated and bulk-loaded with COPY: 100,000 contacts and
1,000,000 activities, each on one contact's timeline (an activity_association row). One contact
has 10,000 activities, the baseline contact 10, the others share the rest. After ANALYZE, the
first page of both timelines is timed through the service (tracklog.crm.timeline.timeline_page
in an app context) and through the API (GET /api/v1/records/contact/<id>/timeline, Flask's test
client), in turns; EXPLAIN ANALYZE of the page's query shows which index answers it.
"""

from __future__ import annotations

import io
import random
import secrets
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy import event
from sqlalchemy.engine import make_url

from bench.pixel import missing_services, postgres_database
from bench.recorder import load_average

CONTACTS = 100_000
ACTIVITIES = 1_000_000
BUSY = 10_000
QUIET = 10
RUNS = 200
GOAL_P95_MS = 8
CHUNK = 100_000


def libpq_url(database_url: str) -> str:
    """The SQLAlchemy URL as psycopg wants it."""
    return make_url(database_url).set(drivername="postgresql").render_as_string(False)


def prepare(database_url: str, instance: Path) -> tuple[Any, str, int]:
    """Migrate; an account with a user and token. The app, the bearer token and account id."""
    from tracklog import create_app
    from tracklog.auth.accounts import add_user, create_account
    from tracklog.auth.tokens import create_token
    from tracklog.config import Config
    from tracklog.extensions import db
    from tracklog.migrate import upgrade

    settings = {
        "TRACKLOG_DATABASE_URL": database_url,
        "TRACKLOG_INSTANCE_PATH": str(instance),
        "TRACKLOG_SECRET_KEY": secrets.token_urlsafe(32),
    }
    app = create_app(Config(settings))
    with app.app_context():
        upgrade(db.engine)
        account = create_account("Bench Sales")
        user = add_user(account, "alice@bench.example", role="admin")
        bearer = create_token(user, "bench")[1]
        account_id = account.id
        db.session.remove()
    return app, bearer, account_id


def copy_rows(connection: psycopg.Connection, statement: str, lines: Callable[[], Any]) -> None:
    """COPY the tab-separated lines in chunks."""
    with connection.cursor() as cursor, cursor.copy(statement) as copy:
        buffer = io.StringIO()
        for count, line in enumerate(lines(), start=1):
            buffer.write(line)
            if count % CHUNK == 0:
                copy.write(buffer.getvalue())
                buffer = io.StringIO()
        copy.write(buffer.getvalue())


def load(database_url: str, account_id: int) -> tuple[int, int, float]:
    """Bulk-load contacts, activities and associations; busy and quiet contact ids, seconds."""
    from tracklog.models.activity import ACTIVITY_TYPES

    started = time.perf_counter()
    rng = random.Random(5)
    now = datetime(2026, 11, 1, tzinfo=UTC)
    with psycopg.connect(libpq_url(database_url)) as connection:
        first = connection.execute("SELECT coalesce(max(id), 0) + 1 FROM contact").fetchone()[0]
        stamp = now.isoformat()

        def contacts() -> Any:
            for number in range(CONTACTS):
                yield (
                    f"{first + number}\t{account_id}"
                    f"\tperson{number}@customer{number % 5000}.example"
                    f"\tFirst{number}\tLast{number}\tnon_marketing\tbench\t{stamp}\t{stamp}\n"
                )

        copy_rows(
            connection,
            "COPY contact (id, account_id, email, first_name, last_name, marketing_status, "
            "source, created_at, updated_at) FROM STDIN",
            contacts,
        )
        busy, quiet = first, first + 1
        others = CONTACTS - 2
        owners = [busy] * BUSY + [quiet] * QUIET
        rest = ACTIVITIES - len(owners)
        owners += [first + 2 + (number % others) for number in range(rest)]
        rng.shuffle(owners)
        moments = [
            now - timedelta(seconds=rng.randrange(3 * 365 * 86400)) for _ in range(ACTIVITIES)
        ]
        types = [ACTIVITY_TYPES[number % len(ACTIVITY_TYPES)] for number in range(ACTIVITIES)]
        start = connection.execute("SELECT coalesce(max(id), 0) + 1 FROM activity").fetchone()[0]

        def activities() -> Any:
            for number in range(ACTIVITIES):
                at = moments[number].isoformat()
                yield (
                    f"{start + number}\t{account_id}\t{types[number]}\tFollow-up {number}"
                    f"\t<p>Notes of activity {number}.</p>\tNotes of activity {number}."
                    f"\t{at}\t{at}\n"
                )

        copy_rows(
            connection,
            "COPY activity (id, account_id, type, subject, body_html, body_text, occurred_at, "
            "created_at) FROM STDIN",
            activities,
        )

        def associations() -> Any:
            for number in range(ACTIVITIES):
                at = moments[number].isoformat()
                yield (
                    f"{start + number}\t{account_id}\t{start + number}\tcontact\t{owners[number]}"
                    f"\t{types[number]}\t{at}\tsync\tbench\t{at}\n"
                )

        copy_rows(
            connection,
            "COPY activity_association (id, account_id, activity_id, record_type, record_id, "
            "activity_type, occurred_at, source, why, created_at) FROM STDIN",
            associations,
        )
        for table in ("contact", "activity", "activity_association"):
            connection.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT max(id) FROM {table}))"
            )
        connection.commit()
        connection.autocommit = True
        connection.execute("ANALYZE contact, activity, activity_association")
    return busy, quiet, time.perf_counter() - started


def percentiles(values: list[float]) -> tuple[float, float, float]:
    """p50, p95, p99 in milliseconds."""
    ordered = sorted(values)

    def at(fraction: float) -> float:
        return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] * 1000

    return at(0.5), at(0.95), at(0.99)


def measure(app: Any, bearer: str, busy: int, quiet: int) -> dict[str, Any]:
    """Service and API times of both contacts' first page, taken in turns; and the plan."""
    from tracklog.crm.timeline import timeline_page
    from tracklog.extensions import db
    from tracklog.models import User
    from tracklog.models.activity import ACTIVITY_TYPES

    client = app.test_client()
    headers = {"Authorization": f"Bearer {bearer}"}
    times: dict[tuple[str, str], list[float]] = {}
    sizes: dict[str, int] = {}
    with app.app_context():
        user_id = db.session.scalar(db.select(User.id))
    for run in range(RUNS + 10):
        for name, contact in (("busy", busy), ("quiet", quiet)):
            with app.app_context():
                user = db.session.get(User, user_id)
                started = time.perf_counter()
                page = timeline_page(user, "contact", contact, list(ACTIVITY_TYPES), None, 25)
                service = time.perf_counter() - started
                db.session.remove()
            started = time.perf_counter()
            response = client.get(f"/api/v1/records/contact/{contact}/timeline", headers=headers)
            api = time.perf_counter() - started
            if response.status_code != 200:
                raise RuntimeError(f"timeline answered {response.status_code}")
            sizes[name] = len(page["items"])
            if run >= 10:  # the first runs warm caches and are not counted
                times.setdefault(("service", name), []).append(service)
                times.setdefault(("api", name), []).append(api)
    return {"times": times, "sizes": sizes, "plan": explain(app, user_id, busy)}


def explain(app: Any, user_id: int, contact: int) -> str:
    """EXPLAIN (ANALYZE, BUFFERS) of the page query timeline_page sends, captured as sent."""
    from tracklog.crm.timeline import timeline_page
    from tracklog.extensions import db
    from tracklog.models import User
    from tracklog.models.activity import ACTIVITY_TYPES

    captured: list[tuple[str, Any]] = []

    def capture(conn, cursor, statement, parameters, context, executemany) -> None:  # noqa: ANN001
        if "position_at" in statement:  # the page query (crm/timeline.py)
            captured.append((statement, parameters))

    with app.app_context():
        engine = db.engine
        event.listen(engine, "before_cursor_execute", capture)
        try:
            user = db.session.get(User, user_id)
            timeline_page(user, "contact", contact, list(ACTIVITY_TYPES), None, 25)
        finally:
            event.remove(engine, "before_cursor_execute", capture)
        statement, parameters = captured[0]
        raw = db.engine.raw_connection()
        try:
            cursor = raw.cursor()
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters)
            plan = "\n".join(row[0] for row in cursor.fetchall())
        finally:
            raw.close()
        db.session.remove()
    return plan


def report(numbers: dict[str, Any], busy: int, quiet: int, seconds: float) -> str:
    """The Markdown section."""
    times, sizes = numbers["times"], numbers["sizes"]
    lines = [
        f"Fresh PostgreSQL database, bulk-loaded with COPY in {seconds:.0f} s: {CONTACTS:,} "
        f"contacts, {ACTIVITIES:,} activities each on one contact's timeline; the busy contact "
        f"has {BUSY:,}, the baseline contact {QUIET}; then ANALYZE. First page (25 items, every "
        f"activity type, nothing pinned), {RUNS} runs each after 10 unmeasured, busy and quiet "
        "in turns. Service: `timeline_page` in an app context (time.perf_counter). API: GET "
        "/api/v1/records/contact/<id>/timeline with a bearer token through Flask's test client "
        "(token check, saved filter, JSON). "
        f"Goal: p95 under {GOAL_P95_MS} ms through the API for the busy contact. Load averages "
        f"(other work shared the machine): at the start {numbers['load'][0]}, at the end "
        f"{numbers['load'][1]}.",
        "",
        "| path | contact | activities | items | p50 (ms) | p95 (ms) | p99 (ms) "
        "| p95 ratio to baseline |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    busy_p95 = percentiles(times[("api", "busy")])[1]
    met = "met" if busy_p95 < GOAL_P95_MS else "NOT met"
    lines[1:1] = ["", f"- API p95, busy contact: {busy_p95:.2f} ms: goal **{met}**."]
    for path in ("service", "api"):
        base_p95 = percentiles(times[(path, "quiet")])[1]
        for name, count in (("quiet", QUIET), ("busy", BUSY)):
            p50, p95, p99 = percentiles(times[(path, name)])
            label = "baseline" if name == "quiet" else "busy"
            lines.append(
                f"| {path} | {label} | {count:,} | {sizes[name]} | {p50:.2f} | {p95:.2f} "
                f"| {p99:.2f} | {p95 / base_p95:.2f} |"
            )
    lines += [
        "",
        "EXPLAIN (ANALYZE, BUFFERS) of the page query for the busy contact, as timeline_page "
        "sends it:",
        "",
        "```",
        numbers["plan"],
        "```",
    ]
    return "\n".join(lines) + "\n"


def run() -> str:
    """The benchmark's Markdown section body (a note when PostgreSQL is missing)."""
    if missing := missing_services():
        return missing
    with tempfile.TemporaryDirectory(prefix="tracklog-bench-timeline-") as folder:
        with postgres_database() as url:
            app, bearer, account_id = prepare(url, Path(folder))
            busy, quiet, seconds = load(url, account_id)
            load_start = load_average()
            numbers = measure(app, bearer, busy, quiet)
            numbers["load"] = (load_start, load_average())
            from tracklog.extensions import db

            with app.app_context():
                db.engine.dispose()
            return report(numbers, busy, quiet, seconds)


def main() -> None:
    """Print the section."""
    print(run())


if __name__ == "__main__":
    main()
