"""Pixel → notification latency with 1,000 listeners on two servers sharing Redis (not a test).

A fresh PostgreSQL database gets one account with 1,000 users, each with an API token. Two
`tracklog serve --no-https --no-smtpd --workers 1` processes share it and Redis (db 15), each
with its own instance folder (its journal and `tracklog record-hits` child). One gevent client
process (bench/ws_clients.py) first measures the baseline: a single listener on the first server,
pixels of its user's messages opened on that server. Then it connects 500 listeners to each
server (one per user, authenticated with after=null), opens the pixel of one fresh message of a
sample of users on a random server, and times each first-open notification to its listener;
none may be lost, duplicated or delivered to another user. The worker's RSS before and after the
500 sockets gives the memory of an idle socket.
"""

from __future__ import annotations

import json
import os
import random
import re
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from bench.pixel import (
    REDIS_URL,
    ROOT,
    missing_services,
    postgres_database,
)
from bench.recorder import load_average
from tracklog.supervision import TRACKLOG_COMMAND

USERS = 1000
SERVERS = 2
SAMPLE = 300
BASELINE_SAMPLE = 40
# Opens on each server before measuring: the recorder's and the worker's first hits are slow.
WARMUP = 5
# Seconds between two opens: a steady trickle, not a load test.
INTERVAL = 0.05
# Issue 18's goals.
GOAL_P99_MS = 10
GOAL_KB_PER_SOCKET = 60


@dataclass
class Latencies:
    """Arrival delays of one phase, and what went wrong."""

    values_ms: list[float]
    # From the hit's time as the worker journaled it (the notification's `at`) to the arrival:
    # recorder, commit, Redis and socket, without the HTTP request.
    after_hit_ms: list[float]
    lost: int
    duplicated: int
    misdelivered: int

    def percentile(self, fraction: float, values: list[float] | None = None) -> float:
        """A percentile in milliseconds (nan when nothing arrived)."""
        ordered = sorted(self.values_ms if values is None else values)
        if not ordered:
            return float("nan")
        return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def free_port() -> int:
    """A TCP port the OS says is free now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def prepare(database_url: str, directory: Path) -> tuple[dict[str, str], dict[str, Any]]:
    """Migrate; 1,000 users with tokens; fresh messages to open. Shared settings and the spec."""
    from tracklog import create_app
    from tracklog.auth.accounts import add_user, create_account
    from tracklog.auth.tokens import create_token
    from tracklog.config import Config
    from tracklog.extensions import db
    from tracklog.migrate import upgrade

    settings = {
        "TRACKLOG_DATABASE_URL": database_url,
        "TRACKLOG_REDIS_URL": REDIS_URL,
        "TRACKLOG_SECRET_KEY": secrets.token_urlsafe(32),
        "TRACKLOG_BASE_URL": "https://tracklog.bench",
        "TRACKLOG_INSTANCE_PATH": str(directory / "setup"),
    }
    app = create_app(Config(settings))
    users: list[dict[str, Any]] = []
    with app.app_context():
        upgrade(db.engine)
        account = create_account("Bench Sales")
        for number in range(USERS):
            user = add_user(account, f"seller{number}@bench.example")
            users.append({"id": user.id, "token": create_token(user, "bench")[1]})
        client = app.test_client()

        def compose(user: dict[str, Any], number: int) -> tuple[str, str]:
            """A composed message of the user: its public id and open-pixel path."""
            body = {
                "subject": f"Proposal {number}",
                "from": f"seller{users.index(user)}@bench.example",
                "to": [f"buyer{number}@customer.example"],
                "html": '<p>Hello, see <a href="https://customer.example/offer">the offer</a>.</p>',
                "client": {"host": "outlook-web", "item_id": f"bench-{number}"},
            }
            response = client.post(
                "/api/v1/compose", json=body, headers={"Authorization": f"Bearer {user['token']}"}
            )
            if response.status_code != 200:
                raise RuntimeError(f"compose failed: {response.get_data(as_text=True)}")
            path = re.search(
                r'src="https://tracklog\.bench(/t/o/[^"]+\.gif)"', response.json["html"]
            )
            return response.json["message_id"], path.group(1)

        baseline_user = users[0]
        warmup = [compose(baseline_user, -1 - n)[1] for n in range(WARMUP * SERVERS)]
        baseline_opens = [compose(baseline_user, n) for n in range(BASELINE_SAMPLE)]
        sample = random.Random(11).sample(users, SAMPLE)
        opens = []
        for number, user in enumerate(sample, start=BASELINE_SAMPLE):
            message_id, path = compose(user, number)
            opens.append({"message_id": message_id, "path": path, "user": user["id"]})
        db.session.remove()
        db.engine.dispose()
    for number, user in enumerate(users):
        user["server"] = number * SERVERS // USERS
    spec = {
        "users": users,
        "baseline": {
            "user": baseline_user["id"],
            "token": baseline_user["token"],
            "opens": baseline_opens,
        },
        "opens": opens,
        "warmup": [[number % SERVERS, path] for number, path in enumerate(warmup)],
        "interval": INTERVAL,
    }
    del settings["TRACKLOG_INSTANCE_PATH"]
    return settings, spec


class Served:
    """One `tracklog serve` in its own process group (master, workers, hit recorder and, when
    asked, the SMTP receiver)."""

    def __init__(
        self,
        settings: dict[str, str],
        instance: Path,
        log: Path,
        workers: int = 1,
        smtpd: bool = False,
    ) -> None:
        self.port = free_port()
        self.log = open(log, "ab")  # noqa: SIM115 - closed in stop()
        command = [
            *TRACKLOG_COMMAND,
            "serve",
            "--no-https",
            "--smtpd" if smtpd else "--no-smtpd",
            f"--workers={workers}",
            "--host=127.0.0.1",
            f"--port={self.port}",
        ]
        self.process = subprocess.Popen(
            command,
            cwd=ROOT,
            env={**os.environ, **settings, "TRACKLOG_INSTANCE_PATH": str(instance)},
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    @property
    def url(self) -> str:
        """The server's base URL."""
        return f"http://127.0.0.1:{self.port}"

    def wait_ready(self, timeout: float = 60) -> None:
        """Return once /health answers."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited with {self.process.returncode}")
            try:
                with urllib.request.urlopen(self.url + "/healthz", timeout=2):
                    return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError(f"server did not answer within {timeout} s")

    def worker_rss_kb(self) -> int:
        """Resident memory of the gunicorn worker (the master's child that is not a command)."""
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
                if int(fields[1]) != self.process.pid:
                    continue
                cmdline = stat.with_name("cmdline").read_bytes()
                status = stat.with_name("status").read_text()
            except (OSError, IndexError):
                continue
            if b"record-hits" in cmdline:  # the other child; the worker is a fork of the master
                continue
            for line in status.splitlines():
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        raise RuntimeError("no worker found")

    def stop(self) -> None:
        """SIGTERM the group (graceful), then SIGKILL."""
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=30)
        except ProcessLookupError:
            pass
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        self.log.close()


def latencies(
    sent: dict[str, float], arrivals: list[dict[str, Any]], owner: dict[str, int]
) -> Latencies:
    """Delays of first arrivals at the right user, and the lost, duplicated, misdelivered."""
    first: dict[str, float] = {}
    after_hit: list[float] = []
    duplicated = misdelivered = 0
    for arrival in arrivals:
        message_id = arrival["message_id"]
        if owner.get(message_id) != arrival["user"]:
            misdelivered += 1
        elif message_id in first:
            duplicated += 1
        else:
            first[message_id] = arrival["at"]
            hit_at = datetime.fromisoformat(arrival["hit_at"].replace("Z", "+00:00"))
            after_hit.append((arrival["at"] - hit_at.timestamp()) * 1000)
    values = [(first[m] - sent[m]) * 1000 for m in sent if m in first]
    return Latencies(values, after_hit, len(sent) - len(first), duplicated, misdelivered)


def expect(process: subprocess.Popen[str], prefix: str, timeout: float = 300) -> str:
    """The client's next line starting with prefix (other lines are passed on to stderr)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            raise RuntimeError(f"the client exited before {prefix!r}")
        if line.startswith(prefix):
            return line[len(prefix) :].strip()
        print(f"  ws client: {line.rstrip()}", file=sys.stderr)
    raise RuntimeError(f"no {prefix!r} from the client in {timeout} s")


def measure(database_url: str, directory: Path) -> dict[str, Any]:
    """Run both phases; the numbers for the report."""
    load_at_start = load_average()
    settings, spec = prepare(database_url, directory)
    servers = [
        Served(settings, directory / f"instance-{n}", directory / f"server-{n}.log")
        for n in range(SERVERS)
    ]
    client = None
    try:
        for server in servers:
            server.wait_ready()
        spec["servers"] = [server.url for server in servers]
        spec_path = directory / "spec.json"
        spec_path.write_text(json.dumps(spec))
        client = subprocess.Popen(
            [sys.executable, "-m", "gevent.monkey", "--module", "bench.ws_clients", str(spec_path)],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        expect(client, "baseline-done")
        time.sleep(1)
        before = [server.worker_rss_kb() for server in servers]
        client.stdin.write("connect\n")
        client.stdin.flush()
        connected = int(expect(client, "connected"))
        time.sleep(3)
        after = [server.worker_rss_kb() for server in servers]
        client.stdin.write("go\n")
        client.stdin.flush()
        result = json.loads(expect(client, "RESULT"))
        client.wait(timeout=60)
    finally:
        if client is not None and client.poll() is None:
            os.killpg(client.pid, signal.SIGKILL)
            client.wait()
        for server in servers:
            server.stop()
    baseline_owner = {
        message_id: spec["baseline"]["user"] for message_id, _ in spec["baseline"]["opens"]
    }
    owner = {item["message_id"]: item["user"] for item in spec["opens"]}
    return {
        "baseline": latencies(
            result["baseline"]["sent"], result["baseline"]["arrivals"], baseline_owner
        ),
        "main": latencies(result["main"]["sent"], result["main"]["arrivals"], owner),
        "connected": connected,
        "load": (load_at_start, load_average()),
        "rss_before": before,
        "rss_after": after,
    }


def report(numbers: dict[str, Any]) -> str:
    """The Markdown section."""
    base, main = numbers["baseline"], numbers["main"]
    per_server = numbers["connected"] / SERVERS
    per_socket = [
        (after - before) / per_server
        for before, after in zip(numbers["rss_before"], numbers["rss_after"], strict=True)
    ]
    lines = [
        f"{USERS:,} users with an API token in one account on a fresh PostgreSQL database; "
        f"{SERVERS} `tracklog serve --no-https --no-smtpd --workers 1` processes sharing it and "
        "Redis, each with its own instance folder and `tracklog record-hits` child. Clients: one "
        "gevent process with a simple_websocket client per listener, each authenticated with "
        "after=null. Opens: the pixel of a freshly composed message, one every "
        f"{INTERVAL * 1000:.0f} ms (open loop), timed from the request leaving to its first-open "
        "notification arriving "
        f"(wall clock of the client process), after {WARMUP} unmeasured opens per server. "
        f"Baseline: {BASELINE_SAMPLE} opens with a single "
        "listener, pixel and socket on the first server. Main: "
        f"{numbers['connected']:,} listeners ({per_server:,.0f} per server, one per user), "
        f"{SAMPLE} opens of messages of distinct random users on a random server. "
        f"Goal: p99 < {GOAL_P99_MS} ms, 0 lost, 0 duplicated, < {GOAL_KB_PER_SOCKET} KB per "
        "idle socket. Load averages (2 cores; above 2, other work shared the machine): at the "
        f"start {numbers['load'][0]}, at the end {numbers['load'][1]}.",
        "",
        "| phase | listeners | opens | p50 (ms) | p95 (ms) | p99 (ms) | max (ms) | p99 ratio "
        "to baseline | hit → arrival p50 / p99 (ms) | lost | duplicated | to the wrong user |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, phase, listeners in (
        ("baseline: 1 listener, 1 server", base, 1),
        (f"{numbers['connected']:,} listeners, {SERVERS} servers", main, numbers["connected"]),
    ):
        opens = len(phase.values_ms) + phase.lost
        lines.append(
            f"| {name} | {listeners:,} | {opens} | {phase.percentile(0.5):.1f} "
            f"| {phase.percentile(0.95):.1f} | {phase.percentile(0.99):.1f} "
            f"| {max(phase.values_ms, default=float('nan')):.1f} "
            f"| {phase.percentile(0.99) / base.percentile(0.99):.2f} "
            f"| {phase.percentile(0.5, phase.after_hit_ms):.1f} / "
            f"{phase.percentile(0.99, phase.after_hit_ms):.1f} | {phase.lost} "
            f"| {phase.duplicated} | {phase.misdelivered} |"
        )
    lines += [
        "",
        "| server | worker RSS before (MB) | with its idle sockets (MB) | sockets "
        "| KB per socket |",
        "|---|---:|---:|---:|---:|",
    ]
    for number, (before, after, kb) in enumerate(
        zip(numbers["rss_before"], numbers["rss_after"], per_socket, strict=True), start=1
    ):
        lines.append(
            f"| {number} | {before / 1024:.1f} | {after / 1024:.1f} | {per_server:,.0f} "
            f"| {kb:.1f} |"
        )
    lines += [
        "",
        "Hit → arrival starts at the hit's time as the worker journaled it (the notification's "
        "`at`, same clock): it leaves out the HTTP request and isolates the recorder, its "
        "commit, Redis and the socket. "
        "RSS is the gunicorn worker's VmRSS (the master and the recorder hold no sockets), read "
        "after the baseline's socket closed and 3 s after the last listener was ready.",
    ]
    return "\n".join(lines) + "\n"


def run() -> str:
    """The benchmark's Markdown section body (a note when a service is missing)."""
    if missing := missing_services(redis=True):
        return missing
    with tempfile.TemporaryDirectory(prefix="tracklog-bench-ws-") as folder:
        with postgres_database() as url:
            return report(measure(url, Path(folder)))


def main() -> None:
    """Print the section."""
    print(run())


if __name__ == "__main__":
    main()
