"""A 60-second soak under combined load (not a test): does anything wait for minutes?

One `tracklog serve --no-https --workers 2` on a fresh PostgreSQL database with Redis and its SMTP
receiver, as deployed. At once, for 60 s: 200 websocket listeners (one per user), a new tracked
mail composed every 100 ms by a random user and its pixel opened 5 s later, wrk on one pixel, 8
SMTP senders of 50 KB mails with 2 attachments to the logging address, and /healthz polled every
half second. Afterwards: how long until the hit journal and the stored mail are processed, and
whether anything was lost (a compose answered 200 without its message, an open without its
notification, an accepted mail never logged).
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text

from bench.pixel import (
    REDIS_URL,
    ROOT,
    journal_state,
    missing_services,
    postgres_database,
    run_wrk,
    wrk_script,
)
from bench.ws_latency import Served, expect, free_port

SECONDS = 60
LISTENERS = 200
WORKERS = 2
SMTP_SENDERS = 8
COMPOSE_INTERVAL = 0.1
# Seconds to wait after the load for the backlogs to go (the goal is 10).
DRAIN_TIMEOUT = 120
GOALS = {
    "health_s": 1.0,
    "compose_p99_ms": 1000,
    "notification_p99_ms": 2000,
    "drain_s": 10,
}


def prepare(database_url: str, directory: Path) -> dict[str, Any]:
    """Migrate; an account of 200 users with tokens; the message wrk opens. The spec."""
    from tracklog import create_app
    from tracklog.auth.accounts import add_user, bcc_address, create_account
    from tracklog.auth.tokens import create_token
    from tracklog.config import Config
    from tracklog.extensions import db
    from tracklog.migrate import upgrade

    settings = {
        "TRACKLOG_DATABASE_URL": database_url,
        "TRACKLOG_REDIS_URL": REDIS_URL,
        "TRACKLOG_SECRET_KEY": os.urandom(24).hex(),
        "TRACKLOG_BASE_URL": "https://tracklog.bench",
        "TRACKLOG_INSTANCE_PATH": str(directory / "setup"),
    }
    app = create_app(Config(settings))
    with app.app_context():
        upgrade(db.engine)
        account = create_account("Soak Sales")
        users = []
        for number in range(LISTENERS):
            user = add_user(account, f"seller{number}@soak.example")
            users.append({"id": user.id, "email": user.email, "token": create_token(user, "b")[1]})
        body = {
            "subject": "The mail wrk opens",
            "from": users[0]["email"],
            "to": ["buyer@customer.example"],
            "html": "<p>Hello.</p>",
            "client": {"host": "outlook-web", "item_id": "soak-wrk"},
        }
        answer = app.test_client().post(
            "/api/v1/compose", json=body, headers={"Authorization": f"Bearer {users[0]['token']}"}
        )
        pixel = re.search(r'src="https://tracklog\.bench(/t/o/[^"]+\.gif)"', answer.json["html"])
        spec = {
            "users": users,
            "bcc": bcc_address(account),
            "smtp_from": users[0]["email"],
            "wrk_pixel": pixel.group(1),
            "seconds": SECONDS,
            "smtp_senders": SMTP_SENDERS,
            "compose_interval": COMPOSE_INTERVAL,
        }
        db.session.remove()
        db.engine.dispose()
    del settings["TRACKLOG_INSTANCE_PATH"]
    spec["settings"] = settings
    return spec


def count_rows(database_url: str, query: str) -> int:
    """One number from the database."""
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            return connection.execute(text(query)).scalar_one()
    finally:
        engine.dispose()


def unprocessed_mail(database_url: str) -> int:
    """Stored mail not yet processed."""
    return count_rows(database_url, "SELECT count(*) FROM inbound_message WHERE status = 'stored'")


def wait_drained(database_url: str, instance: Path) -> float | None:
    """Seconds until the hit journal is recorded and every stored mail processed; None if not
    within DRAIN_TIMEOUT."""
    started = time.monotonic()
    while time.monotonic() - started < DRAIN_TIMEOUT:
        if journal_state(instance)[1] and unprocessed_mail(database_url) == 0:
            return time.monotonic() - started
        time.sleep(0.2)
    return None


def percentile(values: list[float], fraction: float) -> float:
    """The value below which the fraction of values lies (nan for none)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def measure(database_url: str, directory: Path) -> dict[str, Any]:
    """Run the soak; the numbers for the report."""
    spec = prepare(database_url, directory)
    smtp_port = free_port()
    settings = {**spec.pop("settings"), "TRACKLOG_SMTP_PORT": str(smtp_port)}
    instance = directory / "instance"
    server = Served(settings, instance, directory / "server.log", workers=WORKERS, smtpd=True)
    client = None
    try:
        server.wait_ready()
        spec.update(server=server.url, smtp_port=smtp_port)
        spec_path = directory / "spec.json"
        spec_path.write_text(json.dumps(spec))
        client = subprocess.Popen(
            [sys.executable, "-m", "gevent.monkey", "--module", "bench.soak_clients", spec_path],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        connected = int(expect(client, "connected"))
        script = wrk_script(directory, "soak", [spec["wrk_pixel"]])
        pixel: dict[str, Any] = {}
        wrk = threading.Thread(
            target=lambda: pixel.update(load=run_wrk(server.url + "/", script, SECONDS)),
            daemon=True,
        )
        client.stdin.write("go\n")
        client.stdin.flush()
        wrk.start()
        expect(client, "load-done", timeout=SECONDS * 3)
        drained = wait_drained(database_url, instance)
        wrk.join()
        result = json.loads(expect(client, "RESULT", timeout=120))
        client.wait(timeout=60)
        logged = count_rows(
            database_url, "SELECT count(*) FROM inbound_message WHERE status <> 'stored'"
        )
        composed = "SELECT count(*) FROM message WHERE client_item_id LIKE 'soak-%'"
        messages = count_rows(database_url, composed) - 1  # less the message wrk opens
    finally:
        if client is not None and client.poll() is None:
            os.killpg(client.pid, signal.SIGKILL)
            client.wait()
        server.stop()
    return {
        **result,
        "connected": connected,
        "drained": drained,
        "logged": logged,
        "messages": messages,
        "pixel": pixel.get("load"),
    }


def notification_delays(numbers: dict[str, Any]) -> tuple[list[float], int, int]:
    """Open → first notification at its owner (ms), the opens never notified, the duplicates."""
    first: dict[str, float] = {}
    duplicated = 0
    for arrival in numbers["arrivals"]:
        message_id = arrival["message_id"]
        if numbers["owner"].get(message_id) != arrival["user"]:
            continue
        if message_id in first:
            duplicated += 1
        else:
            first[message_id] = arrival["at"]
    opened = numbers["opened"]
    delays = [(first[m] - opened[m]) * 1000 for m in opened if m in first]
    return delays, len(opened) - len(delays), duplicated


def met(value: float, goal: float) -> str:
    """'met' or 'NOT met'."""
    return "met" if value <= goal else "**NOT met**"


def report(numbers: dict[str, Any]) -> str:
    """The Markdown section."""
    health = numbers["health"]
    answered = [value for value in health if value is not None]
    slowest_health = max(answered, default=float("nan")) if len(answered) == len(health) else 99
    composed = numbers["composed"]
    compose_ms = [c["ms"] for c in composed if c["status"] is not None]
    server_errors = sum(1 for c in composed if (c["status"] or 0) >= 500)
    timed_out = sum(1 for c in composed if c["status"] is None)
    ok = sum(1 for c in composed if c["status"] == 200)
    delays, lost, duplicated = notification_delays(numbers)
    smtp = numbers["smtp"]
    pixel = numbers["pixel"]
    drained = numbers["drained"]
    lines = [
        f"`tracklog serve --no-https --workers {WORKERS}` (gevent workers, its hit recorder and "
        "SMTP receiver) on a fresh PostgreSQL database with Redis. For "
        f"{SECONDS} s at once: {numbers['connected']} websocket listeners (one per user), a "
        f"tracked mail composed every {COMPOSE_INTERVAL * 1000:.0f} ms by a random user and its "
        f"pixel opened 5 s later, wrk (`-c64`) on one pixel, {SMTP_SENDERS} SMTP senders of "
        "50 KB mails with 2 attachments, /healthz polled every 0.5 s (15 s timeout). All clients "
        "run on the same 2 cores as the server.",
        "",
        "| measure | value | goal | |",
        "|---|---:|---:|---|",
        f"| /healthz polls answered / made | {len(answered)} / {len(health)} | all | "
        f"{'met' if len(answered) == len(health) else '**NOT met**'} |",
        f"| /healthz slowest (s) | {slowest_health:.2f} | < {GOALS['health_s']} | "
        f"{met(slowest_health, GOALS['health_s'])} |",
        f"| compose calls: 200 / 5xx / timed out | {ok} / {server_errors} / {timed_out} | "
        f"no 5xx | {'met' if server_errors == timed_out == 0 else '**NOT met**'} |",
        f"| compose p50 / p99 (ms) | {percentile(compose_ms, 0.5):.0f} / "
        f"{percentile(compose_ms, 0.99):.0f} | p99 < {GOALS['compose_p99_ms']} | "
        f"{met(percentile(compose_ms, 0.99), GOALS['compose_p99_ms'])} |",
        f"| opens → notification p50 / p99 (ms) | {percentile(delays, 0.5):.0f} / "
        f"{percentile(delays, 0.99):.0f} | p99 < {GOALS['notification_p99_ms']} | "
        f"{met(percentile(delays, 0.99), GOALS['notification_p99_ms'])} |",
        f"| opens / notified / lost / duplicated | {len(numbers['opened'])} / {len(delays)} / "
        f"{lost} / {duplicated} | 0 lost | {'met' if lost == duplicated == 0 else '**NOT met**'} |",
        f"| SMTP mails accepted / refused / connection errors | {smtp['accepted']} / "
        f"{smtp['refused']} / {smtp['errors']} | – | |",
        f"| SMTP time to 250 p50 / p99 (ms) | {percentile(smtp['ms'], 0.5):.0f} / "
        f"{percentile(smtp['ms'], 0.99):.0f} | – | |",
        f"| mails logged after the drain / accepted | {numbers['logged']} / {smtp['accepted']} | "
        f"all | {'met' if numbers['logged'] >= smtp['accepted'] else '**NOT met**'} |",
        f"| messages stored / composed with 200 | {numbers['messages']} / {ok} | all | "
        f"{'met' if numbers['messages'] >= ok else '**NOT met**'} |",
        "| wrk pixel req/s, p99 (ms) | "
        + (f"{pixel.rate:,.0f}, {pixel.p99_ms:.0f}" if pixel else "–")
        + " | – | |",
        "| backlogs gone after the load (s) | "
        + (f"{drained:.1f}" if drained is not None else f"> {DRAIN_TIMEOUT}")
        + f" | < {GOALS['drain_s']} | "
        + (met(drained, GOALS["drain_s"]) if drained is not None else "**NOT met**")
        + " |",
    ]
    return "\n".join(lines) + "\n"


def run() -> str:
    """The benchmark's Markdown section body (a note when something it needs is missing)."""
    if missing := missing_services(redis=True, wrk=True):
        return missing
    with tempfile.TemporaryDirectory(prefix="tracklog-bench-soak-") as folder:
        with postgres_database() as url:
            return report(measure(url, Path(folder)))


def main() -> None:
    """Print the section."""
    print(run())


if __name__ == "__main__":
    main()
