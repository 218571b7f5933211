"""Open pixel throughput of `tracklog serve` against a bare Flask view at its best (not a test).

Reference: bench/pixel_reference.py, a Flask app whose one view answers the same GIF and headers,
under gunicorn's gthread worker; a small grid of workers × threads is loaded first and the best
kept. Measured: `tracklog serve --no-https --no-smtpd` as deployed on PostgreSQL, in its default
set-up (a worker per core, no Redis) and with Redis and as many workers as cores, each on a fresh
instance with messages composed through POST /api/v1/compose. wrk loads the reference and
tracklog in turns (the other frozen); then every hit tracklog answered must be journaled and
recorded. Scale-out: two `tracklog serve` hosts (bench/ws_latency.py's Served: one worker each,
instance folders of their own) share PostgreSQL and Redis; wrk loads one host, then both at once,
while a websocket listener of the messages' sender on each host counts the notifications.
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
import threading
import time
import urllib.request
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from tracklog.serving import usable_cores
from tracklog.supervision import TRACKLOG_COMMAND

ROOT = Path(__file__).resolve().parent.parent
POSTGRES_URL = os.environ.get(
    "TRACKLOG_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
REDIS_URL = os.environ.get("TRACKLOG_BENCH_REDIS_URL", "redis://127.0.0.1:6379/15")
WRK_THREADS, WRK_CONNECTIONS, WRK_SECONDS = 2, 64, 8
WARMUP_SECONDS = 3
ROUNDS = 2
CORES = usable_cores()
# tracklog's set-ups: (name, workers, Redis); None workers is `tracklog serve`'s default.
SETUPS = (("default", None, False), (f"Redis, {CORES} workers", CORES, True))
# The reference's gthread settings tried (workers, threads), each loaded for GRID_SECONDS.
GRID = ((CORES, 4), (CORES, 16), (2 * CORES, 4), (2 * CORES, 16))
GRID_SECONDS = 4
# Opens are spread over this many messages, as a send to many people would spread them.
MESSAGES = 20
# Seconds to wait for the recorder after each recording round before moving on.
DRAIN_TIMEOUT = 15
GOAL_RATIO = 2.0
BASE_URL = "https://tracklog.bench"
USER_AGENT = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0 Safari/537.36"
)
REFERENCE_COMMAND = [sys.executable, "-m", "gunicorn", "-k", "gthread", "--no-control-socket"]
WRK_MISSING = (
    "wrk is not installed: the pixel benchmark needs it (Debian: `apt-get install -y wrk`)"
)
WRK_SCRIPT = """
local paths = {%s}
local next_path = 0
-- A person's mail client, so that first opens notify the sender.
local headers = {["User-Agent"] = "%s", ["Accept-Language"] = "en-GB"}
request = function()
  next_path = next_path %% #paths + 1
  return wrk.format("GET", paths[next_path], headers)
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
    # Processor seconds the server's processes used meanwhile (every process of its group).
    cpu_seconds: float = 0.0

    @property
    def rate(self) -> float:
        """Completed requests per second."""
        return self.requests / self.seconds

    @property
    def per_cpu_second(self) -> float:
        """Requests answered per second of processor the server used: its throughput on the
        same cores, whatever share of them the other work of a shared machine left it."""
        return self.requests / self.cpu_seconds if self.cpu_seconds else 0.0

    @property
    def answered(self) -> int:
        """Requests answered with a 2xx/3xx status."""
        return self.requests - self.status_errors


@dataclass
class Outcome:
    """The rounds of one tracklog set-up against the reference, and the recording check."""

    name: str
    workers: int
    runs: dict[str, list[Load]] = field(default_factory=lambda: {"reference": [], "tracklog": []})
    answered: int = 0
    journaled: int = 0
    recorded: int = 0
    drain_seconds: list[float] = field(default_factory=list)
    drained: bool = True
    # Hits the recorder wrote while the benchmark waited for it, and how long that took.
    drain_recorded: int = 0
    drain_total_seconds: float = 0.0


@dataclass
class Reference:
    """The reference server at its best settings, and what each setting of the grid did."""

    server: Server
    settings: tuple[int, int]
    grid: dict[tuple[int, int], Load]


@dataclass
class ScaleOut:
    """Two hosts sharing PostgreSQL and Redis: one loaded alone, then both at once."""

    alone: Load
    together: list[Load]
    answered: int
    journaled: int
    recorded: int
    notifications: int
    received: list[list[int]]


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


def missing_services(redis: bool = False, wrk: bool = False) -> str | None:
    """A "Not run" note naming what a benchmark needs that does not answer or is not installed
    (PostgreSQL, and Redis and wrk when asked), or None when everything is there."""
    reason = postgres_reason()
    if reason:
        return f"Not run: PostgreSQL at {POSTGRES_URL} is not reachable ({reason}).\n"
    if redis and not redis_reachable():
        return f"Not run: Redis at {REDIS_URL} is not reachable.\n"
    if wrk and wrk_path() is None:
        return f"Not run: {WRK_MISSING}.\n"
    return None


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


def environment(database_url: str, instance: Path, redis: bool) -> dict[str, str]:
    """The TRACKLOG_* settings of a set-up (one secret key for all its hosts)."""
    settings = {
        "TRACKLOG_DATABASE_URL": database_url,
        "TRACKLOG_INSTANCE_PATH": str(instance),
        "TRACKLOG_SECRET_KEY": secrets.token_urlsafe(32),
        "TRACKLOG_BASE_URL": BASE_URL,
    }
    if redis:
        settings["TRACKLOG_REDIS_URL"] = REDIS_URL
    return settings


def composed_pixel_paths(settings: dict[str, str], count: int) -> tuple[list[str], str]:
    """Migrate, create an account and user, compose `count` messages; their open-pixel paths
    and the user's API token."""
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
    return paths, bearer


class Server:
    """One gunicorn master (and its workers) in its own process group, on a port of its own."""

    def __init__(self, command: list[str], settings: dict[str, str], log: Path) -> None:
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.log = open(log, "ab")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            command + self.bind_arguments(command),
            cwd=ROOT,
            env={**os.environ, **settings},
            pass_fds=[self.listener.fileno()] if command[:3] == REFERENCE_COMMAND[:3] else [],
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def bind_arguments(self, command: list[str]) -> list[str]:
        """The reference inherits the listening socket; `tracklog serve` binds the port itself
        (the probe socket is closed just before: the OS chose the port)."""
        if command[:3] == REFERENCE_COMMAND[:3]:
            self.listener.listen(2048)
            return [f"--bind=fd://{self.listener.fileno()}", "bench.pixel_reference:app"]
        self.listener.close()
        return ["--host=127.0.0.1", f"--port={self.port}"]

    def url(self, path: str) -> str:
        """The full URL of a path on this server."""
        return f"http://127.0.0.1:{self.port}{path}"

    def wait_ready(self, path: str, timeout: float = 90) -> None:
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

    def cpu_seconds(self) -> float:
        """Processor time used so far by the processes of the server's group (Linux)."""
        return group_cpu_seconds(self.process.pid)

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


def tracklog_command(workers: int | None) -> list[str]:
    """`tracklog serve` as the benchmark runs it: plain HTTP, no BCC receiver."""
    command = [*TRACKLOG_COMMAND, "serve", "--no-https", "--no-smtpd"]
    return command + ([f"--workers={workers}"] if workers else [])


def run_wrk(url: str, script: Path, seconds: int) -> Load:
    """Load the server at this base URL with wrk for `seconds`; what wrk saw."""
    command = [
        wrk_path() or "wrk",
        f"-t{WRK_THREADS}",
        f"-c{WRK_CONNECTIONS}",
        f"-d{seconds}s",
        "--latency",
        "-s",
        str(script),
        url,
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
    listed = ", ".join(json.dumps(path) for path in paths)
    script.write_text(WRK_SCRIPT % (listed, USER_AGENT))
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


def events_recorded(database_url: str, table: str = "engagement_event") -> int:
    """Rows in engagement_event (or another table of the benchmark's database)."""
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            return connection.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()
    finally:
        engine.dispose()


def run_in_turns(servers: dict[str, Server], variant: str, script: Path, seconds: int) -> Load:
    """Load one server while the others are frozen (a recorder still busy with a backlog would
    otherwise take the loaded server's CPU)."""
    others = [server for name, server in servers.items() if name != variant]
    for other in others:
        other.pause(True)
    try:
        before = servers[variant].cpu_seconds()
        load = run_wrk(servers[variant].url("/"), script, seconds)
        load.cpu_seconds = servers[variant].cpu_seconds() - before
        return load
    finally:
        for other in others:
            other.pause(False)


def group_cpu_seconds(group: int) -> float:
    """User and system time of the live processes of a process group (Linux /proc)."""
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == group:
            total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def best_reference(directory: Path) -> Reference:
    """Load the reference with each setting of the grid; the best one kept running."""
    paths = [f"/t/o/{secrets.token_urlsafe(12)}.gif" for _ in range(MESSAGES)]
    script = wrk_script(directory, "reference", paths)
    # The app whose headers the reference answers with: tracklog's, as the set-ups configure it.
    settings = {
        "TRACKLOG_INSTANCE_PATH": str(directory / "reference"),
        "TRACKLOG_BASE_URL": BASE_URL,
    }
    grid: dict[tuple[int, int], Load] = {}
    best: tuple[float, tuple[int, int]] | None = None
    for workers, threads in GRID:
        command = [*REFERENCE_COMMAND, f"--workers={workers}", f"--threads={threads}"]
        server = Server(command, settings, directory / "reference.log")
        try:
            server.wait_ready(paths[0])
            grid[workers, threads] = load = run_wrk(server.url("/"), script, GRID_SECONDS)
        finally:
            server.stop()
        if best is None or load.rate > best[0]:
            best = (load.rate, (workers, threads))
    workers, threads = best[1]
    command = [*REFERENCE_COMMAND, f"--workers={workers}", f"--threads={threads}"]
    server = Server(command, settings, directory / "reference.log")
    server.wait_ready(paths[0])
    return Reference(server, (workers, threads), grid)


def measure(
    setup: tuple[str, int | None, bool], database_url: str, directory: Path, reference: Reference
) -> Outcome:
    """tracklog in one set-up on a fresh instance, loaded in turns with the reference."""
    name, workers, redis = setup
    print(f"  pixel: tracklog, {name} ...", file=sys.stderr, flush=True)
    instance = directory / f"instance-{len(list(directory.glob('instance-*')))}"
    settings = environment(database_url, instance, redis)
    paths, _ = composed_pixel_paths(settings, MESSAGES)
    scripts = {
        "tracklog": wrk_script(directory, "tracklog", paths),
        "reference": wrk_script(directory, "reference", paths),
    }
    outcome = Outcome(name, workers or CORES)
    tracklog = Server(tracklog_command(workers), settings, directory / "tracklog.log")
    servers = {"reference": reference.server, "tracklog": tracklog}
    try:
        tracklog.wait_ready(paths[0])
        outcome.answered += 1
        for variant in servers:
            load = run_in_turns(servers, variant, scripts[variant], WARMUP_SECONDS)
            outcome.answered += load.answered if variant == "tracklog" else 0
        for _ in range(ROUNDS):
            for variant in servers:
                load = run_in_turns(servers, variant, scripts[variant], WRK_SECONDS)
                outcome.runs[variant].append(load)
                if variant == "tracklog":
                    outcome.answered += load.answered
                    record_drain(outcome, instance, database_url)
        outcome.journaled = journal_state(instance)[0]
        outcome.recorded = events_recorded(database_url)
    finally:
        tracklog.stop()
    return outcome


def record_drain(outcome: Outcome, instance: Path, database_url: str) -> None:
    """Wait for the recorder to catch up after a round; note how long and how much it wrote."""
    before = events_recorded(database_url)
    seconds, drained = wait_drained(instance)
    outcome.drain_recorded += events_recorded(database_url) - before
    outcome.drain_total_seconds += seconds
    outcome.drain_seconds.append(seconds)
    outcome.drained = outcome.drained and drained


class Listener:
    """A websocket of the messages' sender on one host, keeping the ids of its notifications."""

    def __init__(self, url: str, token: str) -> None:
        from simple_websocket import Client

        self.client = Client.connect(url)
        self.client.send(json.dumps({"type": "auth", "token": token, "after": None}))
        if json.loads(self.client.receive(timeout=30)).get("type") != "ready":
            raise RuntimeError("the websocket was not authenticated")
        self.ids: list[int] = []
        threading.Thread(target=self.read, daemon=True).start()

    def read(self) -> None:
        """Keep every notification's id until the socket closes."""
        from simple_websocket import ConnectionClosed

        try:
            while self.client.connected:
                frame = self.client.receive(timeout=1)
                if frame is not None and json.loads(frame).get("type") == "notification":
                    self.ids.append(json.loads(frame)["id"])
        except ConnectionClosed:
            pass


def scale_out(database_url: str, directory: Path) -> ScaleOut:
    """Two hosts (ws_latency's Served: `tracklog serve`, one worker, its own instance folder)
    sharing PostgreSQL and Redis: one loaded alone, then both at once."""
    from bench.ws_latency import Served

    print("  pixel: two hosts ...", file=sys.stderr, flush=True)
    settings = environment(database_url, directory / "hosts-setup", redis=True)
    paths, bearer = composed_pixel_paths(settings, MESSAGES)
    del settings["TRACKLOG_INSTANCE_PATH"]
    folders = [directory / f"host-{number}" for number in range(2)]
    hosts = [Served(settings, folder, folder.with_suffix(".log")) for folder in folders]
    listeners: list[Listener] = []
    try:
        for host in hosts:
            host.wait_ready()
        listeners = [Listener(host.url.replace("http", "ws", 1) + "/ws", bearer) for host in hosts]
        script = wrk_script(directory, "hosts", paths)
        warm = [run_wrk(host.url, script, WARMUP_SECONDS) for host in hosts]
        alone = run_wrk(hosts[0].url, script, WRK_SECONDS)
        with ThreadPoolExecutor(len(hosts)) as pool:
            together = list(pool.map(lambda host: run_wrk(host.url, script, WRK_SECONDS), hosts))
        for folder in folders:
            wait_drained(folder)
        made = events_recorded(database_url, "notification")
        deadline = time.monotonic() + DRAIN_TIMEOUT
        while time.monotonic() < deadline and any(len(set(one.ids)) < made for one in listeners):
            time.sleep(0.1)
        return ScaleOut(
            alone=alone,
            together=together,
            answered=sum(load.answered for load in [*warm, alone, *together]),
            journaled=sum(journal_state(folder)[0] for folder in folders),
            recorded=events_recorded(database_url),
            notifications=made,
            received=[list(listener.ids) for listener in listeners],
        )
    finally:
        for listener in listeners:
            listener.client.close()
        for host in hosts:
            host.stop()


def outcomes() -> tuple[Reference | None, list[Outcome], ScaleOut | None, list[str]]:
    """The reference, every set-up measured, the scale-out, and notes on what was skipped."""
    notes = []
    reason = postgres_reason()
    if reason:
        return None, [], None, [f"Not run: PostgreSQL at {POSTGRES_URL} is unreachable ({reason})."]
    setups = list(SETUPS)
    redis = redis_reachable()
    if not redis:
        setups = [setup for setup in setups if not setup[2]]
        notes.append(f"Redis at {REDIS_URL} is not reachable: no Redis set-up, no scale-out.")
    results = []
    with tempfile.TemporaryDirectory(prefix="tracklog-bench-pixel-") as folder:
        directory = Path(folder)
        print("  pixel: reference grid ...", file=sys.stderr, flush=True)
        reference = best_reference(directory)
        try:
            for setup in setups:
                with postgres_database() as url:
                    results.append(measure(setup, url, directory, reference))
        finally:
            reference.server.stop()
        hosts = None
        if redis:
            with postgres_database() as url:
                hosts = scale_out(url, directory)
    return reference, results, hosts, notes


def mean_rate(loads: list[Load]) -> float:
    """Mean requests/s of some runs."""
    return statistics.mean(load.rate for load in loads)


def per_cpu(loads: list[Load]) -> float:
    """Requests per processor-second the server used, over some runs."""
    return sum(load.requests for load in loads) / sum(load.cpu_seconds for load in loads)


def worst_p99(loads: list[Load]) -> float:
    """The worst p99 (ms) of some runs."""
    return max(load.p99_ms for load in loads)


def report(
    reference: Reference | None,
    results: list[Outcome],
    hosts: ScaleOut | None,
    notes: list[str],
) -> str:
    """The Markdown section: the reference's grid, one row per set-up, the runs, the scale-out."""
    if reference is None:
        return "\n".join(notes) + "\n"
    load = os.getloadavg()
    lines = [
        f"`wrk -t{WRK_THREADS} -c{WRK_CONNECTIONS} -d{WRK_SECONDS}s`, {ROUNDS} rounds per server "
        f"taken in turns after a {WARMUP_SECONDS} s warm-up, the idle server frozen (SIGSTOP); "
        f"opens spread over {MESSAGES} composed messages, PostgreSQL. **Reference**: a bare Flask "
        "view answering the same GIF and headers (bench/pixel_reference.py) under gunicorn "
        "gthread at the best of the grid below. **tracklog**: `tracklog serve --no-https "
        "--no-smtpd` (its workers answer open pixels from the socket and journal them; one "
        f"`tracklog record-hits` child records). Goal: tracklog/reference ≥ {GOAL_RATIO:.0f} "
        "with a p99 no worse. Load average when the section was written: "
        f"{load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} (1/5/15 min; the machine is shared).",
        "",
        f"Reference grid ({GRID_SECONDS} s each): "
        + ", ".join(
            f"{workers} workers × {threads} threads {grid.rate:,.0f} req/s "
            f"(p99 {grid.p99_ms:.0f} ms)"
            for (workers, threads), grid in reference.grid.items()
        )
        + f"; best: {reference.settings[0]} × {reference.settings[1]}.",
        "",
        "| tracklog set-up | workers | reference req/s | tracklog req/s | ratio "
        "| reference req per CPU-s | tracklog req per CPU-s | ratio per CPU | reference p99 (ms) "
        "| tracklog p99 (ms) | goal | hits answered | journaled | recorded | backlog | lost "
        "| drain after run (s) | recorder hits/s while draining |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for outcome in results:
        base, ours = outcome.runs["reference"], outcome.runs["tracklog"]
        ratio = mean_rate(ours) / mean_rate(base)
        met = ratio >= GOAL_RATIO and worst_p99(ours) <= worst_p99(base)
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
            f"| {outcome.name} | {outcome.workers} | {mean_rate(base):,.0f} "
            f"| {mean_rate(ours):,.0f} | {ratio:.2f} | {per_cpu(base):,.0f} | {per_cpu(ours):,.0f} "
            f"| {per_cpu(ours) / per_cpu(base):.2f} | {worst_p99(base):.1f} "
            f"| {worst_p99(ours):.1f} | {'met' if met else 'NOT met'} | {outcome.answered:,} "
            f"| {outcome.journaled:,} | {outcome.recorded:,} | {backlog:,} | {lost:,} | {drain} "
            f"| {drain_rate} |"
        )
    lines += [
        "",
        "Req/s is the mean of the rounds, p99 the worse round. Req per CPU-s = requests ÷ the "
        "processor seconds the server's process group (master, workers, recorder) used during "
        "its rounds: on a machine shared with other work, the scheduler gives each process a "
        "share, so the reference's 4–8 busy processes get more of the cores than tracklog's "
        "workers, and this is the comparison on the same cores. Hits count every wrk run against "
        "tracklog, warm-up included; recorded may exceed answered by requests in flight when "
        "wrk stopped. Backlog = journaled hits not yet in engagement_event when measuring "
        f"stopped (up to {DRAIN_TIMEOUT} s after each round): durable, recorded later. Lost = "
        "answered − recorded once drained (answered − journaled while a backlog remains). "
        "Recorder hits/s = engagement_event rows added while waiting after the rounds ÷ that "
        "wait.",
        "",
        "| tracklog set-up | server | round | req/s | p50 (ms) | p99 (ms) | non-2xx "
        "| socket errors |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for outcome in results:
        for variant, loads in outcome.runs.items():
            for number, run in enumerate(loads, start=1):
                lines.append(
                    f"| {outcome.name} | {variant} | {number} | {run.rate:,.0f} "
                    f"| {run.p50_ms:.1f} | {run.p99_ms:.1f} | {run.status_errors} "
                    f"| {run.socket_errors} |"
                )
    if hosts is not None:
        lines += ["", *scale_out_report(hosts)]
    lines += [f"\n{note}" for note in notes]
    return "\n".join(lines) + "\n"


def scale_out_report(hosts: ScaleOut) -> list[str]:
    """The scale-out's lines: throughput alone and together, nothing lost, delivered once."""
    together = sum(load.rate for load in hosts.together)
    duplicated = [len(ids) - len(set(ids)) for ids in hosts.received]
    backlog = hosts.journaled > hosts.recorded
    lost = max(0, hosts.answered - (hosts.journaled if backlog else hosts.recorded))
    return [
        "**Two hosts** (two `tracklog serve --workers 1`, instance folders of their own, one "
        "PostgreSQL and one Redis; one wrk per host, at the same time):",
        "",
        "| one host alone req/s | both hosts req/s (each) | both, total | total ÷ alone "
        "| p99 alone / together (ms) | hits answered | journaled | recorded | lost "
        "| notifications made | received by the listener on host 1 / host 2 | duplicated |",
        "|---:|---|---:|---:|---|---:|---:|---:|---:|---:|---|---|",
        f"| {hosts.alone.rate:,.0f} "
        f"| {' + '.join(f'{load.rate:,.0f}' for load in hosts.together)} | {together:,.0f} "
        f"| {together / hosts.alone.rate:.2f} | {hosts.alone.p99_ms:.1f} / "
        f"{worst_p99(hosts.together):.1f} | {hosts.answered:,} | {hosts.journaled:,} "
        f"| {hosts.recorded:,} | {lost:,} "
        f"| {hosts.notifications} | {' / '.join(str(len(set(ids))) for ids in hosts.received)} "
        f"| {' / '.join(map(str, duplicated))} |",
        "",
        "On one machine the hosts share its cores, so the total is bounded by them: with one "
        "worker each, one host alone leaves a core to wrk and the other host. Each listener is "
        "the messages' sender, connected to one host: every first-open notification must reach "
        "both exactly once, whichever host answered the open.",
    ]


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
