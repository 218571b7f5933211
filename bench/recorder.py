"""The hit recorder draining a journaled backlog on PostgreSQL and SQLite (not a test).

A fresh database is migrated and given 200 tracked messages (two recipients, three links and
the hidden link each, a contact per recipient), a webhook that wants every event and a sighting
of each sender. A backlog of hits is written to a journal file as the tracking endpoints write
it: opens by people, repeats of the same client, opens through Gmail's image proxy and Apple's
prefetcher, the sender's own client, people's clicks, scanners following every link in a burst
and the hidden link, HEAD checks. The journal reader (HitJournal.record_pending with the app's
recorder, as `tracklog record-hits` runs it) records the whole backlog; hits per second is the
count over the wall time.

The reference, in the same run and database: the recorded engagement_event rows are read back,
deleted and written again with one multi-row INSERT (SQLAlchemy's insertmanyvalues) and, on
PostgreSQL, with COPY. The goal (issue 18) is 5,000 hits/s on PostgreSQL: a 30 s load at the
pixel's full rate then drains within 10 s.
"""

from __future__ import annotations

import json
import random
import secrets
import tempfile
import time
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import delete, insert, select

from bench.pixel import postgres_database, postgres_reason

HITS = 20_000
MESSAGES = 200
GOAL_HITS_PER_SECOND = 5_000
SEED = 18
OUTLOOK = "Mozilla/4.0 (compatible; ms-office; MSOffice 16)"
CHROME = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0.0.0 Safari/537.36"
)
GMAIL_PROXY = (
    "Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0 (via ggpht.com GoogleImageProxy)"
)
APPLE_MPP = "Mozilla/5.0"
SCANNER = "Mozilla/5.0 (compatible; scanner)"
SENDER_IP = "198.51.100.7"


def app_for(database_url: str, instance: Path) -> Any:
    """A migrated app on the database, its hit recorder not running as a thread."""
    from tracklog import create_app
    from tracklog.config import Config
    from tracklog.extensions import db
    from tracklog.migrate import upgrade

    settings = {
        "TRACKLOG_DATABASE_URL": database_url,
        "TRACKLOG_INSTANCE_PATH": str(instance),
        "TRACKLOG_SECRET_KEY": secrets.token_urlsafe(32),
        "TRACKLOG_HIT_RECORDER": "process",
    }
    app = create_app(Config(settings))
    with app.app_context():
        upgrade(db.engine)
    return app


def make_messages(count: int, sent_at: datetime) -> list[dict[str, Any]]:
    """The account, its senders and tracked messages; each message's id, sender and slots."""
    from tracklog.auth.accounts import add_user, create_account
    from tracklog.extensions import db
    from tracklog.models import (
        Contact,
        Message,
        MessageRecipient,
        SenderSighting,
        TrackedLink,
        Webhook,
    )

    account = create_account("Bench Sales")
    users = [add_user(account, f"seller{n}@bench.example") for n in range(2)]
    db.session.add(
        Webhook(account_id=account.id, url="https://hooks.bench/in", events=["*"], secret="s")
    )
    for user in users:
        db.session.add(
            SenderSighting(
                account_id=account.id,
                user_id=user.id,
                ip=SENDER_IP,
                user_agent=CHROME,
                seen_at=sent_at,
            )
        )
    messages = []
    for n in range(count):
        user = users[n % len(users)]
        message = Message(
            account_id=account.id,
            public_id=uuid.uuid4().hex,
            user_id=user.id,
            subject=f"Offer {n}",
            tracking="individual",
            sent_at=sent_at,
        )
        for slot in (1, 2):
            email = f"p{n}-{slot}@customer.example"
            contact = Contact(
                account_id=account.id, email=email, first_name="Person", last_name=f"{n}-{slot}"
            )
            db.session.add(contact)
            db.session.flush()
            message.recipients.append(
                MessageRecipient(
                    account_id=account.id,
                    slot=slot,
                    email=email,
                    contact_id=contact.id,
                    track=True,
                    log=True,
                )
            )
        for slot in range(4):
            message.links.append(
                TrackedLink(
                    account_id=account.id,
                    slot=slot,
                    url=f"https://bench.example/{n}/{slot}",
                    honeypot=slot == 0,
                )
            )
        db.session.add(message)
        db.session.flush()
        messages.append({"id": message.id, "user_id": user.id})
    db.session.commit()
    return messages


def entry(message: dict, kind: str, at: datetime, ip: str, ua: str, **extra: Any) -> dict:
    """A journal line as the tracking endpoints write it."""
    return {
        "hit_id": str(uuid.uuid4()),
        "kind": kind,
        "target_id": message["id"],
        "link_slot": extra.get("link_slot", 0 if kind == "open" else 1),
        "recipient_slot": extra.get("recipient_slot", 1),
        "at": at.isoformat(),
        "method": extra.get("method", "GET"),
        "ip": ip,
        "ua": ua,
        "headers": {"accept-language": "en-GB,en;q=0.9"},
        "sender_cookie_user": extra.get("sender_cookie_user"),
    }


def backlog(messages: list[dict], count: int, start: datetime, seconds: float) -> list[dict]:
    """A mix of hits spread over `seconds` from `start` (not in time order)."""
    chooser = random.Random(SEED)
    hits: list[dict] = []
    while len(hits) < count:
        message = chooser.choice(messages)
        at = start + timedelta(seconds=chooser.uniform(0, seconds))
        slot = chooser.choice((1, 2))
        person_ip = f"81.2.{message['id'] % 250}.{slot * 7}"
        roll = chooser.random()
        if roll < 0.30:  # a person opening, often again from the same client
            for repeat in range(chooser.choice((1, 1, 2, 3))):
                later = at + timedelta(seconds=repeat * 2)
                hits.append(entry(message, "open", later, person_ip, OUTLOOK, recipient_slot=slot))
        elif roll < 0.45:
            proxy_ip = f"66.249.84.{chooser.randrange(1, 250)}"
            hits.append(entry(message, "open", at, proxy_ip, GMAIL_PROXY, recipient_slot=slot))
        elif roll < 0.55:
            apple_ip = f"17.58.{chooser.randrange(0, 250)}.{chooser.randrange(1, 250)}"
            hits.append(entry(message, "open", at, apple_ip, APPLE_MPP, recipient_slot=slot))
        elif roll < 0.60:
            sender = {"sender_cookie_user": message["user_id"]}
            hits.append(entry(message, "open", at, SENDER_IP, CHROME, **sender))
        elif roll < 0.75:
            link = {"link_slot": chooser.choice((1, 2, 3)), "recipient_slot": slot}
            hits.append(entry(message, "click", at, person_ip, CHROME, **link))
        elif roll < 0.90:  # a scanner following every link, the hidden one too
            scanner_ip = f"94.130.{chooser.randrange(0, 250)}.{chooser.randrange(1, 250)}"
            for link_slot in (1, 2, 3, 0):
                later = at + timedelta(milliseconds=150 * link_slot)
                hits.append(
                    entry(message, "click", later, scanner_ip, SCANNER, link_slot=link_slot)
                )
        else:
            head = {"method": "HEAD", "link_slot": chooser.choice((1, 2, 3))}
            hits.append(entry(message, "click", at, "40.94.1.1", SCANNER, **head))
    return hits[:count]


def write_journal(directory: Path, hits: list[dict]) -> None:
    """The hits as one finished journal file (its writer gone), in arrival order."""
    directory.mkdir(parents=True, exist_ok=True)
    lines = "".join(json.dumps(hit, separators=(",", ":")) + "\n" for hit in hits)
    (directory / f"hits-bench-{uuid.uuid4().hex[:8]}.jsonl").write_text(lines)


def drain(app: Any, instance: Path) -> tuple[int, float, float]:
    """Record every journaled hit as the recorder process does; hits read, seconds taken and
    this process's CPU seconds (on a shared machine the wall time also counts waiting for a
    core; the CPU time does not, nor the database server's work)."""
    from tracklog.tracking.hits import AppRecorder
    from tracklog.tracking.journal import HitJournal

    journal = HitJournal(instance / "journal", AppRecorder(app).record, run_thread=False)
    began, began_cpu = time.perf_counter(), time.process_time()
    read = journal.record_pending()
    return read, time.perf_counter() - began, time.process_time() - began_cpu


def outcome(app: Any) -> dict[str, int]:
    """What recording produced: events, counted opens, first opens, notifications, deliveries."""
    from sqlalchemy import func

    from tracklog.extensions import db
    from tracklog.models import EngagementEvent, Notification, WebhookDelivery

    with app.app_context():
        counts = {
            "events": db.session.scalar(select(func.count(EngagementEvent.id))),
            "repeats": db.session.scalar(
                select(func.count()).where(EngagementEvent.repeat_of_id.is_not(None))
            ),
            "first opens": db.session.scalar(
                select(func.count()).where(EngagementEvent.first_human_open.is_(True))
            ),
            "held clicks": db.session.scalar(
                select(func.count()).where(EngagementEvent.notify_after.is_not(None))
            ),
            "notifications": db.session.scalar(select(func.count(Notification.id))),
            "webhook deliveries": db.session.scalar(select(func.count(WebhookDelivery.id))),
        }
        db.session.remove()
    return counts


def reference(app: Any) -> dict[str, float]:
    """Rows per second writing the same engagement_event rows again at once: one multi-row
    INSERT, and COPY on PostgreSQL."""
    from tracklog.extensions import db
    from tracklog.models import EngagementEvent

    table = EngagementEvent.__table__
    speeds = {}
    with app.app_context():
        query = select(table).order_by(table.c.id)
        rows = [dict(row._mapping) for row in db.session.execute(query)]
        db.session.execute(delete(table))
        db.session.commit()
        began = time.perf_counter()
        db.session.execute(insert(table), rows)
        db.session.commit()
        speeds["multi-row INSERT"] = len(rows) / (time.perf_counter() - began)
        if db.engine.dialect.name == "postgresql":
            db.session.execute(delete(table))
            db.session.commit()
            speeds["COPY"] = len(rows) / copy_seconds(db.engine, table, rows)
        db.session.remove()
    return speeds


def copy_seconds(engine: Any, table: Any, rows: list[dict]) -> float:
    """Seconds to COPY the rows into the table, committed."""
    columns = [column.name for column in table.columns]
    names = ", ".join(f'"{name}"' for name in columns)
    connection = engine.raw_connection()
    try:
        began = time.perf_counter()
        with connection.cursor() as cursor:
            with cursor.copy(f"COPY {table.name} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row([copy_value(row[name]) for name in columns])
        connection.commit()
        return time.perf_counter() - began
    finally:
        connection.close()


def copy_value(value: Any) -> Any:
    """A value as COPY takes it (JSON columns as text)."""
    return json.dumps(value) if isinstance(value, (dict, list)) else value


def measure(database_url: str, hits: int) -> dict[str, Any]:
    """Build the backlog on the database, drain it, then time the reference."""
    from tracklog.extensions import db
    from tracklog.models import utcnow

    with tempfile.TemporaryDirectory() as folder:
        instance = Path(folder)
        app = app_for(database_url, instance)
        start = utcnow() - timedelta(minutes=5)
        with app.app_context():
            messages = make_messages(MESSAGES, start - timedelta(hours=1))
            db.session.remove()
        arrivals = sorted(backlog(messages, hits, start, 30), key=lambda hit: hit["at"])
        write_journal(instance / "journal", arrivals)
        read, seconds, cpu = drain(app, instance)
        result = {"read": read, "seconds": seconds, "rate": read / seconds, "cpu": cpu}
        result["outcome"] = outcome(app)
        result["reference"] = reference(app)
        with app.app_context():
            db.engine.dispose()
    return result


def lines_for(name: str, result: dict[str, Any], goal: bool) -> list[str]:
    """The Markdown lines of one database's measurement."""
    best = max(result["reference"].values())
    lines = [
        f"### {name}\n",
        f"- Recorded {result['read']:,} journaled hits in {result['seconds']:.2f} s: "
        f"**{result['rate']:,.0f} hits/s**.",
        f"- The recorder's CPU time: {result['cpu']:.2f} s, "
        f"{result['read'] / result['cpu']:,.0f} hits per CPU second.",
    ]
    lines += [
        f"- Reference, {how}: {rate:,.0f} rows/s." for how, rate in result["reference"].items()
    ]
    lines.append(f"- Recorder ÷ fastest reference: {result['rate'] / best:.2f}.")
    if goal:
        met = "met" if result["rate"] >= GOAL_HITS_PER_SECOND else "NOT met"
        lines.append(f"- Goal ≥ {GOAL_HITS_PER_SECOND:,} hits/s: **{met}**.")
    outcome_text = ", ".join(f"{key} {value:,}" for key, value in result["outcome"].items())
    lines.append(f"- Outcome: {outcome_text}.\n")
    return lines


def run(hits: int = HITS) -> str:
    """The benchmark's Markdown section body."""
    lines = [
        f"A backlog of {hits:,} journaled hits on {MESSAGES} messages (opens by people and "
        "their repeats, image proxies, Apple's prefetcher, the sender, clicks by people, "
        "scanner bursts with the hidden link, HEAD checks), drained by the journal reader in "
        "batches as `tracklog record-hits` does; the reference writes the same "
        "engagement_event rows again at once in the same run. Load averages (above the "
        "number of cores, other work shared the machine while this ran): at the start "
        f"{load_average()}, at the end {{end}}.\n",
    ]
    reason = postgres_reason()
    if reason is None:
        with postgres_database() as url:
            lines += lines_for("PostgreSQL", measure(url, hits), goal=True)
    else:
        lines.append(f"PostgreSQL was not reachable ({reason}); only SQLite was measured.\n")
    with tempfile.TemporaryDirectory() as folder:
        lines += lines_for("SQLite", measure(f"sqlite:///{folder}/bench.db", hits), goal=False)
    lines[0] = lines[0].replace("{end}", load_average())
    return "\n".join(lines) + "\n"


def load_average() -> str:
    """The machine's 1, 5 and 15 minute load averages (other work shares it when high)."""
    try:
        return ", ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "unknown"


if __name__ == "__main__":
    print(run())
