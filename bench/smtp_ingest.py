"""50 KB mails over 8 SMTP connections into `tracklog smtpd` on PostgreSQL, against a sink.

A fresh PostgreSQL database is migrated and given an account and a user. `tracklog smtpd` runs
as a subprocess, as `tracklog serve` starts it; 8 client threads, one SMTP connection each, send
realistic mails (text and HTML bodies, two attachments, from the user to a distinct external
recipient, BCC to the account's logging address) and time each one up to the 250 after DATA.
Then it waits until every stored mail is processed (its status no longer `stored`). The baseline
is the same clients against aiosmtpd with the receiver's settings and a handler that answers 250
without storing (bench/smtp_sink.py), so the ratio is what storing before the 250 costs.
"""

from __future__ import annotations

import os
import secrets
import signal
import smtplib
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path

from sqlalchemy import create_engine, text

from bench.pixel import ROOT, missing_services, postgres_database
from bench.recorder import load_average
from tracklog.supervision import TRACKLOG_COMMAND

CONNECTIONS = 8
PER_CONNECTION = 60
ROUNDS = 2
WARMUP_PER_CONNECTION = 2
MESSAGE_BYTES = 50 * 1024
# Seconds to wait for every stored mail of a round to be processed.
PROCESS_TIMEOUT = 120
GOAL_PER_SECOND = 300
GOAL_PROCESSED_PER_SECOND = 150
USER_EMAIL = "alice@seller.example"


@dataclass
class Round:
    """One round of CONNECTIONS × PER_CONNECTION messages against one server."""

    variant: str
    messages: int
    seconds: float
    latencies: list[float]
    refused: int
    processed_seconds: float | None = None
    statuses: dict[str, int] | None = None

    @property
    def rate(self) -> float:
        """Messages answered 250 per second."""
        return (self.messages - self.refused) / self.seconds

    def percentile(self, fraction: float) -> float:
        """A percentile of the time to the 250, in milliseconds."""
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] * 1000


def free_port() -> int:
    """A TCP port the OS says is free now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def mail(number: int, sender: str) -> bytes:
    """A realistic ~50 KB sales mail: text and HTML bodies, a PDF and a spreadsheet."""
    message = EmailMessage()
    message["From"] = f"Alice Seller <{sender}>"
    message["To"] = f"Buyer {number} <buyer{number}@customer{number % 97}.example>"
    message["Subject"] = f"Proposal {number} for your team"
    message["Message-ID"] = make_msgid(domain="seller.example")
    paragraph = (
        f"Hello Buyer {number},\n\nfollowing up on our call, here are the figures for Q3 and the "
        "proposal we discussed. Let me know what you think.\n\n"
    )
    message.set_content(paragraph * 12 + "Best regards,\nAlice\n")
    html = "".join(f"<p>{line}</p>" for line in paragraph.split("\n") if line)
    message.add_alternative(f"<html><body>{html * 12}<p>Best regards,<br>Alice</p></body></html>")
    # Random bytes: attachments do not compress, and base64 makes them a third larger.
    message.add_attachment(
        secrets.token_bytes(20_000),
        maintype="application",
        subtype="pdf",
        filename=f"proposal-{number}.pdf",
    )
    message.add_attachment(
        secrets.token_bytes(14_500),
        maintype="application",
        subtype="vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        filename=f"prices-{number}.xlsx",
    )
    return message.as_bytes()


def prepare(database_url: str, instance: Path) -> tuple[dict[str, str], str]:
    """Migrate, create an account and its user; the servers' settings and the logging address."""
    from tracklog import create_app
    from tracklog.auth.accounts import add_user, bcc_address, create_account
    from tracklog.config import Config
    from tracklog.extensions import db
    from tracklog.migrate import upgrade

    settings = {
        "TRACKLOG_DATABASE_URL": database_url,
        "TRACKLOG_INSTANCE_PATH": str(instance),
        "TRACKLOG_SECRET_KEY": secrets.token_urlsafe(32),
        "TRACKLOG_BASE_URL": "https://tracklog.bench",
    }
    app = create_app(Config(settings))
    with app.app_context():
        upgrade(db.engine)
        account = create_account("Bench Sales")
        add_user(account, USER_EMAIL, display_name="Alice Seller")
        address = bcc_address(account)
        db.session.remove()
        db.engine.dispose()
    return settings, address


class Receiver:
    """A receiver subprocess in its own process group, stopped with it."""

    def __init__(self, command: list[str], settings: dict[str, str], log: Path) -> None:
        self.log = open(log, "ab")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            command,
            cwd=ROOT,
            env={**os.environ, **settings},
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def wait_ready(self, port: int, timeout: float = 60) -> None:
        """Return once the port greets with 220."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"receiver exited with {self.process.returncode}")
            try:
                with smtplib.SMTP("127.0.0.1", port, timeout=2) as client:
                    client.noop()
                    return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError(f"receiver did not answer on port {port} within {timeout} s")

    def stop(self) -> None:
        """SIGTERM the group, then SIGKILL if it lingers."""
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=30)
        except ProcessLookupError:
            pass
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        self.log.close()


def send_all(port: int, address: str, mails: list[list[bytes]]) -> tuple[float, list[float], int]:
    """Send each connection's mails on its own connection; wall time, latencies, refusals."""
    latencies: list[list[float]] = [[] for _ in mails]
    refused = [0] * len(mails)
    errors: list[BaseException] = []
    barrier = threading.Barrier(len(mails) + 1)

    def client(number: int) -> None:
        """One SMTP connection sending its mails one after another."""
        try:
            with smtplib.SMTP("127.0.0.1", port, timeout=60) as connection:
                connection.ehlo("client.seller.example")
                barrier.wait()
                for raw in mails[number]:
                    started = time.perf_counter()
                    try:
                        connection.sendmail(USER_EMAIL, [address], raw)
                    except smtplib.SMTPResponseException:
                        refused[number] += 1
                    latencies[number].append(time.perf_counter() - started)
        except BaseException as error:  # noqa: BLE001 - reported after the join
            errors.append(error)
            barrier.abort()

    threads = [threading.Thread(target=client, args=(n,)) for n in range(len(mails))]
    for thread in threads:
        thread.start()
    barrier.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - started
    if errors:
        raise RuntimeError(f"an SMTP client failed: {errors[0]!r}")
    return seconds, [value for values in latencies for value in values], sum(refused)


def statuses(database_url: str) -> dict[str, int]:
    """Stored mail by status."""
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                text("SELECT status, count(*) FROM inbound_message GROUP BY status")
            )
            return {status: count for status, count in rows}
    finally:
        engine.dispose()


def wait_processed(database_url: str, total: int, started: float) -> float | None:
    """Seconds from `started` until `total` mails are past `stored`; None if not in time."""
    engine = create_engine(database_url)
    try:
        while time.perf_counter() - started < PROCESS_TIMEOUT:
            with engine.connect() as connection:
                done = connection.execute(
                    text("SELECT count(*) FROM inbound_message WHERE status <> 'stored'")
                ).scalar_one()
            if done >= total:
                return time.perf_counter() - started
            time.sleep(0.05)
        return None
    finally:
        engine.dispose()


def batch(first: int, per_connection: int) -> list[list[bytes]]:
    """Distinct mails for every connection, numbered from `first`."""
    return [
        [mail(first + c * per_connection + i, USER_EMAIL) for i in range(per_connection)]
        for c in range(CONNECTIONS)
    ]


def measure(database_url: str, directory: Path) -> tuple[list[Round], int]:
    """Sink and tracklog smtpd in turns, ROUNDS each; the rounds and the mail size."""
    instance = directory / "instance"
    settings, address = prepare(database_url, instance)
    ports = {"sink": free_port(), "tracklog": free_port()}
    commands = {
        "sink": [sys.executable, "-m", "bench.smtp_sink", f"--port={ports['sink']}"],
        "tracklog": [*TRACKLOG_COMMAND, "smtpd", f"--port={ports['tracklog']}"],
    }
    receivers: dict[str, Receiver] = {}
    rounds: list[Round] = []
    number, expected = 0, 0
    try:
        for variant, command in commands.items():
            receivers[variant] = Receiver(command, settings, directory / f"{variant}.log")
        for variant, receiver in receivers.items():
            receiver.wait_ready(ports[variant])
        for variant in receivers:
            warmup = batch(number, WARMUP_PER_CONNECTION)
            number += CONNECTIONS * WARMUP_PER_CONNECTION
            send_all(ports[variant], address, warmup)
            if variant == "tracklog":
                expected += CONNECTIONS * WARMUP_PER_CONNECTION
                wait_processed(database_url, expected, time.perf_counter())
        size = len(warmup[0][0])
        for _ in range(ROUNDS):
            for variant in receivers:
                mails = batch(number, PER_CONNECTION)
                number += CONNECTIONS * PER_CONNECTION
                started = time.perf_counter()
                seconds, latencies, refused = send_all(ports[variant], address, mails)
                result = Round(variant, CONNECTIONS * PER_CONNECTION, seconds, latencies, refused)
                if variant == "tracklog":
                    expected += result.messages - refused
                    result.processed_seconds = wait_processed(database_url, expected, started)
                    result.statuses = statuses(database_url)
                rounds.append(result)
    finally:
        for receiver in receivers.values():
            receiver.stop()
    return rounds, size


def report(rounds: list[Round], size: int, load_start: str) -> str:
    """The Markdown section: the summary, then every round."""
    sink = [r for r in rounds if r.variant == "sink"]
    ours = [r for r in rounds if r.variant == "tracklog"]
    sink_rate = statistics.mean(r.rate for r in sink)
    our_rate = statistics.mean(r.rate for r in ours)
    processed = [r.messages / r.processed_seconds for r in ours if r.processed_seconds]
    end_to_end = (
        f"{statistics.mean(processed):,.0f}"
        if len(processed) == len(ours)
        else (f"not all processed within {PROCESS_TIMEOUT} s")
    )
    final = ours[-1].statuses or {}
    lines = [
        f"{CONNECTIONS} SMTP connections (smtplib, one thread each) send {PER_CONNECTION} mails "
        f"each per round, {ROUNDS} rounds per server in turns after a warm-up of "
        f"{WARMUP_PER_CONNECTION} per connection. Each mail is {size:,} bytes: text and HTML "
        "bodies, a PDF and a spreadsheet attachment (random bytes), from the account's user to a "
        "distinct external recipient, sent to the account's logging address. Time to 250 = one "
        "`sendmail` call (MAIL, RCPT, DATA up to the 250). tracklog: `tracklog smtpd` on a fresh "
        "migrated PostgreSQL database (stores each mail before answering 250, the mails of "
        "concurrent sessions in one commit; threads of the same process then process them in "
        "batches). Baseline: aiosmtpd with the receiver's settings and a "
        "handler answering 250 without storing (bench/smtp_sink.py). "
        f"Goal: at least {GOAL_PER_SECOND} mails per second accepted and at least "
        f"{GOAL_PROCESSED_PER_SECOND} processed end to end. Load averages (other work shared the "
        f"machine): at the start {load_start}, at the end {load_average()}.",
        "",
        "| server | mails/s accepted | ratio to sink | p50 to 250 (ms) | p99 to 250 (ms) "
        "| mails/s processed end to end | refused |",
        "|---|---:|---:|---:|---:|---:|---:|",
        f"| sink (baseline) | {sink_rate:,.0f} | 1.00 "
        f"| {statistics.median(r.percentile(0.5) for r in sink):.1f} "
        f"| {max(r.percentile(0.99) for r in sink):.1f} | – | {sum(r.refused for r in sink)} |",
        f"| tracklog smtpd | {our_rate:,.0f} | {our_rate / sink_rate:.2f} "
        f"| {statistics.median(r.percentile(0.5) for r in ours):.1f} "
        f"| {max(r.percentile(0.99) for r in ours):.1f} | {end_to_end} "
        f"| {sum(r.refused for r in ours)} |",
        "",
        f"- Accepted ≥ {GOAL_PER_SECOND}/s: "
        f"**{'met' if our_rate >= GOAL_PER_SECOND else 'NOT met'}** ({our_rate:,.0f}/s).",
        f"- Processed end to end ≥ {GOAL_PROCESSED_PER_SECOND}/s: **"
        + (
            "met"
            if len(processed) == len(ours)
            and statistics.mean(processed) >= GOAL_PROCESSED_PER_SECOND
            else "NOT met"
        )
        + f"** ({end_to_end}).",
        "",
        "Mails/s is the mean of the rounds, p50 the median of the rounds' p50, p99 the worse "
        "round. Processed end to end = mails of the round ÷ seconds from its first send until "
        "every stored mail is no longer `stored`. Statuses at the end (warm-up included): "
        + ", ".join(f"{status} {count:,}" for status, count in sorted(final.items()))
        + ".",
        "",
        "| server | round | mails | seconds | mails/s | p50 (ms) | p99 (ms) "
        "| processed after (s) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for variant in ("sink", "tracklog"):
        for number, r in enumerate((r for r in rounds if r.variant == variant), start=1):
            after = f"{r.processed_seconds:.1f}" if r.processed_seconds else "–"
            if variant == "tracklog" and r.processed_seconds is None:
                after = f"> {PROCESS_TIMEOUT}"
            lines.append(
                f"| {variant} | {number} | {r.messages} | {r.seconds:.2f} | {r.rate:,.0f} "
                f"| {r.percentile(0.5):.1f} | {r.percentile(0.99):.1f} | {after} |"
            )
    return "\n".join(lines) + "\n"


def run() -> str:
    """The benchmark's Markdown section body (a note when PostgreSQL is missing)."""
    if missing := missing_services():
        return missing
    with tempfile.TemporaryDirectory(prefix="tracklog-bench-smtp-") as folder:
        with postgres_database() as url:
            load_start = load_average()
            return report(*measure(url, Path(folder)), load_start)


def main() -> None:
    """Print the section."""
    print(run())


if __name__ == "__main__":
    main()
