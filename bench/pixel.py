"""Requests/s and p99 of GET /t/o (journaling, recording) against a bare GIF, with wrk (not a test).

For each set-up (database, worker count), a fresh instance is migrated and given messages composed
through POST /api/v1/compose; two servers start: `tracklog serve`'s own process (gunicorn master,
workers that only journal hits, the `tracklog record-hits` child recording them; plain HTTP), and
tracklog with the same settings plus a benchmark-only route that answers the same GIF without
reading the token or journaling (the baseline). wrk hits them in turns, then every hit answered by
the recording server must be an engagement_event row.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
POSTGRES_URL = os.environ.get(
    "TRACKLOG_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
REDIS_URL = os.environ.get("TRACKLOG_BENCH_REDIS_URL", "redis://127.0.0.1:6379/15")
WRK_THREADS, WRK_CONNECTIONS, WRK_SECONDS = 2, 64, 8
WARMUP_SECONDS = 3
ROUNDS = 2
# (database, workers): PostgreSQL as deployed with 1 and 2 workers, SQLite as in development.
SETUPS = (("PostgreSQL", 1), ("PostgreSQL", 2), ("SQLite", 1))
# Opens are spread over this many messages, as a send to many people would spread them.
MESSAGES = 20
# Seconds to wait for the recorder after each recording round before moving on.
DRAIN_TIMEOUT = 15
# What `tracklog serve --no-https --no-smtpd` runs once it checked the database (serving.py).
SERVE_COMMAND = [sys.executable, "-m", "gevent.monkey", "--module", "tracklog.serving"]
BASELINE_COMMAND = [
    sys.executable,
    "-m",
    "gevent.monkey",
    "--module",
    "bench.pixel_server",
]
WRK_MISSING = (
    "wrk is not installed: the pixel benchmark needs it (Debian: `apt-get install -y wrk`)"
)
WRK_SCRIPT = """
local paths = {%s}
local next_path = 0
request = function()
  next_path = next_path %% #paths + 1
  return wrk.format("GET", paths[next_path])
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRKJSON {"requests":%%d,"duration_us":%%d,"p50_us":%%d,"p99_us":%%d,'
    .. '"status":%%d,"socket":%%d}\\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.status, e.connect + e.read + e.write + e.timeout))
end
"""


@dataclass
class Load:
    """What wrk measured in one run."""

    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    status_errors: int
    socket_errors: int

    @property
    def rate(self) -> float:
        """Completed requests per second."""
        return self.requests / self.seconds

    @property
    def answered(self) -> int:
        """Requests answered with a 2xx/3xx status."""
        return self.requests - self.status_errors


@dataclass
class Outcome:
    """The runs of one set-up (database, workers) and the recording check."""

    database: str
    workers: int
    runs: dict[str, list[Load]] = field(default_factory=lambda: {"baseline": [], "recording": []})
    answered: int = 0
    journaled: int = 0
    recorded: int = 0
    drain_seconds: list[float] = field(default_factory=list)
    drained: bool = True
    # Hits the recorder wrote while the benchmark waited for it, and how long that took.
    drain_recorded: int = 0
    drain_total_seconds: float = 0.0


def wrk_path() -> str | None:
    """The wrk executable, if installed."""
    return shutil.which("wrk")


def postgres_reason() -> str | None:
    """None when PostgreSQL answers, else why not."""
    try:
        engine = create_engine(POSTGRES_URL, connect_args={"connect_timeout": 3})
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        engine.dispose()
    except Exception as error:  # noqa: BLE001 - any failure means the server cannot be used
        return str(error).splitlines()[0]
    return None


def redis_reachable() -> bool:
    """Whether the Redis that a 2-worker tracklog needs answers."""
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3).ping()
    except redis.RedisError:
        return False
    return True


@contextmanager
def postgres_database() -> Iterator[str]:
    """A new PostgreSQL database for this benchmark alone, dropped afterwards."""
    name = f"tracklog_bench_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def environment(database_url: str, instance: Path, workers: int) -> dict[str, str]:
    """The TRACKLOG_* settings of the servers (Redis only when several workers need it)."""
    settings = {
        "TRACKLOG_DATABASE_URL": database_url,
        "TRACKLOG_INSTANCE_PATH": str(instance),
        "TRACKLOG_SECRET_KEY": secrets.token_urlsafe(32),
        "TRACKLOG_BASE_URL": "https://tracklog.bench",
    }
    if workers > 1:
        settings["TRACKLOG_REDIS_URL"] = REDIS_URL
    return settings


def composed_pixel_paths(settings: dict[str, str], count: int) -> list[str]:
    """Migrate, create an account and user, compose `count` messages; their open-pixel paths."""
    from tracklog import create_app
    from tracklog.auth.accounts import add_user, create_account
    from tracklog.auth.tokens import create_token
    from tracklog.config import Config
    from tracklog.extensions import db
    from tracklog.migrate import upgrade

    app = create_app(Config(settings), {"PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000"})
    with app.app_context():
        upgrade(db.engine)
        account = create_account("Bench Sales")
        user = add_user(account, "alice@bench.example", role="admin", password=secrets.token_hex())
        bearer = create_token(user, "bench")[1]
        client = app.test_client()
        paths = []
        for number in range(count):
            body = {
                "subject": f"Proposal {number}",
                "from": user.email,
                "to": [f"buyer{number}@customer.example"],
                "html": '<p>Hello, see <a href="https://customer.example/offer">the offer</a>.</p>',
                "client": {"host": "outlook-web", "item_id": f"bench-{number}"},
            }
            with app.app_context():
                response = client.post(
                    "/api/v1/compose", json=body, headers={"Authorization": f"Bearer {bearer}"}
                )
            if response.status_code != 200:
                raise RuntimeError(f"compose failed: {response.get_data(as_text=True)}")
            found = re.search(
                r'src="https://tracklog\.bench(/t/o/[^"]+\.gif)"', response.json["html"]
            )
            paths.append(found.group(1))
        db.session.remove()
        db.engine.dispose()
    return paths


class Server:
    """One gunicorn master (and its workers) in its own process group, on an inherited socket."""

    def __init__(self, variant: str, workers: int, settings: dict[str, str], log: Path) -> None:
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        if variant == "recording":
            # Exactly the process `tracklog serve --no-https --no-smtpd` execs into: gunicorn's
            # master, journaling workers and the `tracklog record-hits` child it starts. It binds
            # the port itself, so the probe socket is closed just before (the OS chose the port).
            self.listener.close()
            command = [
                *SERVE_COMMAND,
                "--host=127.0.0.1",
                f"--port={self.port}",
                f"--workers={workers}",
                "--no-smtpd",
            ]
            fds: list[int] = []
        else:
            self.listener.listen(2048)
            fd = self.listener.fileno()
            command = [
                *BASELINE_COMMAND,
                f"--fd={fd}",
                f"--workers={workers}",
            ]
            fds = [fd]
        self.log = open(log, "ab")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            command,
            cwd=ROOT,
            env={**os.environ, **settings},
            pass_fds=fds,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def url(self, path: str) -> str:
        """The full URL of a path on this server."""
        return f"http://127.0.0.1:{self.port}{path}"

    def wait_ready(self, path: str, timeout: float = 60) -> None:
        """Return once the path answers 200, raising if the server died or never answered."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited with {self.process.returncode}")
            try:
                with urllib.request.urlopen(self.url(path), timeout=2) as response:
                    if response.status == 200:
                        return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError(f"server did not answer {path} within {timeout} s")

    def pause(self, paused: bool) -> None:
        """Freeze (SIGSTOP) or resume (SIGCONT) the server's group: master, workers, recorder."""
        os.killpg(self.process.pid, signal.SIGSTOP if paused else signal.SIGCONT)

    def stop(self) -> None:
        """Stop the whole process group: SIGTERM (graceful), then SIGKILL."""
        try:
            os.killpg(self.process.pid, signal.SIGCONT)
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=15)
        except ProcessLookupError:
            pass
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        self.listener.close()
        self.log.close()


def run_wrk(server: Server, script: Path, seconds: int) -> Load:
    """Load the server with wrk for `seconds`; what wrk saw."""
    command = [
        wrk_path() or "wrk",
        f"-t{WRK_THREADS}",
        f"-c{WRK_CONNECTIONS}",
        f"-d{seconds}s",
        "--latency",
        "-s",
        str(script),
        server.url("/"),
    ]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    found = re.search(r"^WRKJSON (.*)$", output, re.MULTILINE)
    if found is None:
        raise RuntimeError(f"unexpected wrk output:\n{output}")
    raw = json.loads(found.group(1))
    return Load(
        requests=raw["requests"],
        seconds=raw["duration_us"] / 1e6,
        p50_ms=raw["p50_us"] / 1000,
        p99_ms=raw["p99_us"] / 1000,
        status_errors=raw["status"],
        socket_errors=raw["socket"],
    )


def wrk_script(directory: Path, name: str, paths: list[str]) -> Path:
    """A wrk Lua script cycling through the paths and printing its summary as JSON."""
    script = directory / f"{name}.lua"
    script.write_text(WRK_SCRIPT % ", ".join(json.dumps(path) for path in paths))
    return script


def journal_state(instance: Path) -> tuple[int, bool]:
    """Hits in the journal files, and whether every one of them is recorded (offset at end)."""
    lines, caught_up = 0, True
    for path in (instance / "journal").glob("hits-*.jsonl"):
        data = path.read_bytes()
        lines += data.count(b"\n")
        offset_path = path.with_suffix(".offset")
        offset = int(offset_path.read_text() or 0) if offset_path.exists() else 0
        caught_up = caught_up and offset == len(data)
    return lines, caught_up


def wait_drained(instance: Path) -> tuple[float, bool]:
    """Seconds until the recorder caught up with the journal, and whether it did in time."""
    started = time.monotonic()
    while time.monotonic() - started < DRAIN_TIMEOUT:
        if journal_state(instance)[1]:
            return time.monotonic() - started, True
        time.sleep(0.1)
    return time.monotonic() - started, False


def events_recorded(database_url: str) -> int:
    """Rows in engagement_event."""
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            return connection.execute(text("SELECT count(*) FROM engagement_event")).scalar_one()
    finally:
        engine.dispose()


def measure(database: str, database_url: str, workers: int, directory: Path) -> Outcome:
    """Baseline and recording servers on one fresh instance, loaded in turns."""
    print(f"  pixel: {database}, {workers} worker(s) ...", file=sys.stderr, flush=True)
    instance = directory / f"instance-{database}-{workers}"
    settings = environment(database_url, instance, workers)
    paths = composed_pixel_paths(settings, MESSAGES)
    scripts = {
        "recording": wrk_script(directory, "recording", paths),
        "baseline": wrk_script(
            directory, "baseline", [path.replace("/t/o/", "/bench/o/") for path in paths]
        ),
    }
    outcome = Outcome(database, workers)
    servers: dict[str, Server] = {}
    try:
        for variant in ("baseline", "recording"):
            servers[variant] = Server(variant, workers, settings, directory / f"{variant}.log")
        for variant, server in servers.items():
            probe = paths[0] if variant == "recording" else paths[0].replace("/t/o/", "/bench/o/")
            server.wait_ready(probe)
        servers["recording"].pause(True)
        run_wrk(servers["baseline"], scripts["baseline"], WARMUP_SECONDS)
        servers["recording"].pause(False)
        outcome.answered += run_wrk(
            servers["recording"], scripts["recording"], WARMUP_SECONDS
        ).answered
        for _ in range(ROUNDS):
            for variant in ("baseline", "recording"):
                # The other server is frozen: a recorder still busy with a backlog would
                # otherwise take the baseline's CPU.
                other = servers["recording" if variant == "baseline" else "baseline"]
                other.pause(True)
                try:
                    load = run_wrk(servers[variant], scripts[variant], WRK_SECONDS)
                finally:
                    other.pause(False)
                outcome.runs[variant].append(load)
                if variant == "recording":
                    outcome.answered += load.answered
                    before = events_recorded(database_url)
                    seconds, drained = wait_drained(instance)
                    outcome.drain_recorded += events_recorded(database_url) - before
                    outcome.drain_total_seconds += seconds
                    outcome.drain_seconds.append(seconds)
                    outcome.drained = outcome.drained and drained
        outcome.journaled = journal_state(instance)[0]
        outcome.recorded = events_recorded(database_url)
    finally:
        for server in servers.values():
            server.stop()
    return outcome


def outcomes() -> tuple[list[Outcome], list[str]]:
    """Every set-up measured, and notes on those skipped."""
    results, notes = [], []
    setups = list(SETUPS)
    if any(workers > 1 for _, workers in setups) and not redis_reachable():
        setups = [(database, workers) for database, workers in setups if workers == 1]
        notes.append(f"Redis at {REDIS_URL} is not reachable: only 1 worker was measured.")
    reason = postgres_reason()
    if reason:
        setups = [(database, workers) for database, workers in setups if database == "SQLite"]
        notes.append(f"PostgreSQL at {POSTGRES_URL} is not reachable ({reason}).")
    with tempfile.TemporaryDirectory(prefix="tracklog-bench-pixel-") as folder:
        directory = Path(folder)
        for database, workers in setups:
            if database == "SQLite":
                url = f"sqlite:///{directory / f'tracklog-{workers}.db'}"
                results.append(measure(database, url, workers, directory))
                continue
            with postgres_database() as url:
                results.append(measure(database, url, workers, directory))
    return results, notes


def report(results: list[Outcome], notes: list[str]) -> str:
    """The Markdown section: one row per set-up, then every wrk run."""
    lines = [
        f"`wrk -t{WRK_THREADS} -c{WRK_CONNECTIONS} -d{WRK_SECONDS}s`, {ROUNDS} rounds per variant "
        f"taken in turns after a {WARMUP_SECONDS} s warm-up, the idle server frozen (SIGSTOP); "
        f"opens spread over {MESSAGES} "
        "composed messages. Recording: the process `tracklog serve --no-https --no-smtpd` "
        "runs (workers journal, one `tracklog record-hits` child records). "
        "Baseline: gunicorn + gevent with the same settings, the same app answering the same GIF "
        "and headers from a benchmark-only route (no token check, no journal, no recording). "
        "Goal: recording/baseline ≥ 0.80.",
        "",
        "| database | workers | baseline req/s | recording req/s | ratio | baseline p99 (ms) "
        "| recording p99 (ms) | hits answered | journaled | recorded | backlog | lost "
        "| drain after run (s) | recorder hits/s while draining |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for outcome in results:
        base = outcome.runs["baseline"]
        rec = outcome.runs["recording"]
        base_rate = statistics.mean(load.rate for load in base)
        rec_rate = statistics.mean(load.rate for load in rec)
        backlog = outcome.journaled - outcome.recorded
        lost = max(0, outcome.answered - (outcome.journaled if backlog else outcome.recorded))
        drain = "/".join(f"{seconds:.1f}" for seconds in outcome.drain_seconds)
        if not outcome.drained:
            drain += f" (≥ 1 round not drained in {DRAIN_TIMEOUT} s)"
        drain_rate = (
            f"{outcome.drain_recorded / outcome.drain_total_seconds:,.0f}"
            if outcome.drain_total_seconds > 0.5
            else "–"
        )
        lines.append(
            f"| {outcome.database} | {outcome.workers} | {base_rate:,.0f} | {rec_rate:,.0f} "
            f"| {rec_rate / base_rate:.2f} | {max(load.p99_ms for load in base):.1f} "
            f"| {max(load.p99_ms for load in rec):.1f} | {outcome.answered:,} "
            f"| {outcome.journaled:,} | {outcome.recorded:,} | {backlog:,} | {lost:,} | {drain} "
            f"| {drain_rate} |"
        )
    lines += [
        "",
        "Req/s is the mean of the rounds, p99 the worse round. Hits count every wrk run against "
        "the recording server, warm-up included; recorded may exceed answered by requests in "
        "flight when wrk stopped (at most the connections per run). Backlog = journaled hits "
        f"not yet in engagement_event when measuring stopped ({DRAIN_TIMEOUT} s after the last "
        "round): durable, recorded later. Lost = answered − recorded once drained "
        "(answered − journaled while a backlog remains): answered hits never to be recorded. "
        "Recorder hits/s = engagement_event rows added while waiting after the rounds ÷ that "
        "wait (an idle machine: wrk and the servers are stopped or frozen meanwhile); rows "
        "appear per committed batch (up to 4 MB of journal, thousands of hits), so with a "
        "backlog this rate is coarse: a batch committing just after the wait counts as 0.",
        "",
        "| database | workers | variant | round | req/s | p50 (ms) | p99 (ms) | non-2xx | "
        "socket errors |",
        "|---|---:|---|---:|---:|---:|---:|---:|---:|",
    ]
    for outcome in results:
        for variant, loads in outcome.runs.items():
            for number, load in enumerate(loads, start=1):
                lines.append(
                    f"| {outcome.database} | {outcome.workers} | {variant} | {number} "
                    f"| {load.rate:,.0f} | {load.p50_ms:.1f} | {load.p99_ms:.1f} "
                    f"| {load.status_errors} | {load.socket_errors} |"
                )
    lines += [f"\n{note}" for note in notes]
    return "\n".join(lines) + "\n"


def run() -> str:
    """The benchmark's Markdown section body (a note when wrk is missing)."""
    if wrk_path() is None:
        print(WRK_MISSING, file=sys.stderr)
        return f"Not run: {WRK_MISSING}.\n"
    return report(*outcomes())


def main() -> None:
    """Print the section."""
    print(run())


if __name__ == "__main__":
    main()
