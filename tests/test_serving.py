"""`tracklog serve` and `tracklog cert`: the real console script under gunicorn, over HTTPS."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import ssl
import stat
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from cryptography import x509
from simple_websocket import Client, ConnectionClosed

from tests.served import Served, clean_environment, seeded_instance, start_served, tracklog
from tests.services import POSTGRES_URL, free_port, postgres_reason, unavailable
from tracklog import create_app, devcert
from tracklog.config import Config
from tracklog.tracking.tokens import TokenClaims, make_token
from tracklog.tracking.views import sender_cookie_serializer


def start_server(instance: Path, **settings: str) -> Served:
    """Migrate a fresh SQLite instance, start `tracklog serve` on it, wait until it is healthy."""
    env = clean_environment(instance, TRACKLOG_SMTP_PORT=str(free_port()), **settings)
    upgraded = tracklog(env, "db", "upgrade")
    assert upgraded.returncode == 0, upgraded.stderr
    return start_served(env, free_port(), "--host", "127.0.0.1", "--workers", "1")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """One `tracklog serve` (behind one proxy) shared by the read-only tests of this module."""
    running = start_server(tmp_path_factory.mktemp("served"), TRACKLOG_PROXY_HOPS="1")
    yield running
    running.stop()


@pytest.mark.slow
def test_healthz_answers_over_https_verified_by_the_dev_certificate(server: Served) -> None:
    response = server.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "bus": "ok"}


@pytest.mark.slow
def test_serve_runs_gunicorn_with_gevent_workers_not_the_flask_dev_server(server: Served) -> None:
    response = server.get("/healthz")
    command = Path(f"/proc/{server.process.pid}/cmdline").read_bytes().split(b"\0")

    assert response.headers["Server"] == "gunicorn"
    assert b"gevent.monkey" in command and b"tracklog.serving" in command
    assert "Using worker: tracklog.serving.SocketClosingWorker" in server.output()
    assert "Werkzeug" not in server.output()


@pytest.mark.slow
def test_serve_creates_the_secret_key_readable_by_its_owner_only(server: Served) -> None:
    mode = stat.S_IMODE((server.instance / "secret_key").stat().st_mode)

    assert mode == 0o600


def test_a_worker_told_to_stop_while_it_builds_the_app_stops_without_a_boot_error() -> None:
    from tracklog.serving import SocketClosingWorker

    booting = SocketClosingWorker.__new__(SocketClosingWorker)  # no app loaded yet
    booting.alive = True

    booting.handle_exit(signal.SIGTERM, None)

    assert booting.alive is False


@pytest.mark.slow
def test_sigterm_stops_the_server_cleanly(tmp_path: Path) -> None:
    running = start_server(tmp_path)

    code = running.stop()

    assert code == 0, running.output()
    assert "Shutting down: Master" in running.output()
    assert "Traceback" not in running.output()
    with pytest.raises(requests.ConnectionError):
        running.get("/healthz")


@pytest.mark.slow
def test_sigterm_closes_websockets_at_once_so_clients_resume_elsewhere(tmp_path: Path) -> None:
    running = start_server(tmp_path)
    env = clean_environment(tmp_path)
    token = seeded_instance(env, "a@acme.example", upgrade=False)
    context = ssl.create_default_context(cafile=str(tmp_path / "devcert.pem"))
    socket = Client.connect(f"wss://localhost:{running.port}/ws", ssl_context=context)
    socket.send(json.dumps({"type": "auth", "token": token, "after": None}))
    assert json.loads(socket.receive(timeout=5))["type"] == "ready"
    started = time.monotonic()
    running.process.send_signal(signal.SIGTERM)
    with pytest.raises(ConnectionClosed) as closed:
        while socket.receive(timeout=8) is not None:
            pass
    assert closed.value.reason == 1001
    assert time.monotonic() - started < 5
    assert running.stop() == 0


@pytest.mark.slow
def test_serve_refuses_an_unmigrated_database_in_one_line(tmp_path: Path) -> None:
    env = clean_environment(tmp_path)

    result = tracklog(env, "serve", "--host", "127.0.0.1", "--port", str(free_port()))

    assert result.returncode != 0
    assert "Traceback" not in result.stderr + result.stdout
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert "tracklog db upgrade" in lines[0]


def test_cert_prints_the_path_of_a_localhost_certificate_with_a_private_key(
    tmp_path: Path,
) -> None:
    result = tracklog(clean_environment(tmp_path), "cert")

    assert result.returncode == 0, result.stderr
    cert_path = Path(result.stdout.strip().splitlines()[-1])
    pem = cert_path.read_bytes()
    assert pem.startswith(b"-----BEGIN CERTIFICATE-----")
    names = (
        x509.load_pem_x509_certificate(pem)
        .extensions.get_extension_for_class(x509.SubjectAlternativeName)
        .value
    )
    assert "localhost" in names.get_values_for_type(x509.DNSName)
    key_path = cert_path.with_name(devcert.KEY_NAME)
    assert stat.S_IMODE(key_path.stat().st_mode) == 0o600
    assert "update-ca-certificates" in result.stderr and "certutil" in result.stderr


def test_certificate_is_reused_until_it_nears_expiry(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(devcert, "VALID_DAYS", 20)
    short_lived, _ = devcert.ensure_certificate(tmp_path)
    first = short_lived.read_bytes()
    monkeypatch.setattr(devcert, "VALID_DAYS", 825)

    renewed = devcert.ensure_certificate(tmp_path)[0].read_bytes()
    kept = devcert.ensure_certificate(tmp_path)[0].read_bytes()

    assert renewed != first
    assert kept == renewed


def test_trust_instructions_cover_windows_macos_and_linux() -> None:
    text = devcert.trust_instructions("/srv/tracklog/devcert.pem")

    for step in ("certutil -user -addstore Root", "security add-trusted-cert", "trust anchor"):
        assert step in text
    assert "/srv/tracklog/devcert.pem" in text


PG_SLEEPS = """
    import sys, time
    {early_import}
    from gevent import monkey
    monkey.patch_all()
    import gevent
    from sqlalchemy import create_engine, text
    engine = create_engine(sys.argv[1], pool_size=2)
    def run(statement):
        with engine.connect() as connection:
            connection.execute(text(statement))
    run("SELECT 1")  # connect once outside the measurement
    start = time.perf_counter()
    gevent.joinall([gevent.spawn(run, "SELECT pg_sleep(1)") for _ in range(2)], raise_error=True)
    print(round(time.perf_counter() - start, 2))
"""


def two_pg_sleeps(early_import: str) -> float:
    """Seconds two concurrent `SELECT pg_sleep(1)` take in two greenlets of a gevent process."""
    script = textwrap.dedent(PG_SLEEPS.format(early_import=early_import))
    result = subprocess.run(
        [sys.executable, "-c", script, POSTGRES_URL],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 0, result.stderr
    return float(result.stdout.strip())


@pytest.mark.slow
def test_psycopg_patched_first_lets_greenlets_wait_on_postgres_together() -> None:
    reason = postgres_reason()
    if reason:
        unavailable("PostgreSQL", reason)

    patched_first = two_pg_sleeps(early_import="")
    imported_before_patching = two_pg_sleeps(early_import="import psycopg")

    assert patched_first < 1.6
    assert imported_before_patching >= 1.9  # why serve_forever patches before importing anything


def wait_for_output(server: Served, text: str) -> str:
    """The server's output once it contains `text` (or as it is after a few seconds)."""
    deadline = time.monotonic() + 5
    while text not in server.output() and time.monotonic() < deadline:
        time.sleep(0.1)
    return server.output()


@pytest.mark.slow
def test_a_client_rejecting_the_certificate_is_one_log_line_not_a_traceback(server: Served):
    with requests.Session() as session, pytest.raises(requests.exceptions.SSLError):
        session.trust_env = False
        session.get(f"https://localhost:{server.port}/healthz", verify=True, timeout=5)

    output = wait_for_output(server, "TLS handshake")

    [line] = [line for line in output.splitlines() if "TLS handshake" in line]
    assert "tracklog cert" in line
    assert "Traceback" not in output


@pytest.mark.slow
def test_access_log_has_a_line_per_request_and_never_a_token(server: Served):
    token = "SECRETtoken123"
    server.get(f"/t/o/{token}.gif")
    server.get(f"/t/c/{token}")
    server.get(f"/healthz?token={token}&lang=sv")

    output = wait_for_output(server, "/healthz?token=…&lang=sv")

    assert token not in output
    assert '"GET /t/o/… HTTP/1.1" 200 43' in output
    assert '"GET /t/c/… HTTP/1.1" 404' in output
    assert '"GET /healthz?token=…&lang=sv HTTP/1.1" 200' in output


def cpu_seconds(pid: int) -> float:
    """User and system CPU time a process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def children_of(pid: int) -> list[int]:
    """The direct child processes of a process (Linux)."""
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(child) for child in (task / "children").read_text().split()]
    return found


@pytest.mark.slow
def test_idle_server_processes_cost_next_to_nothing(server: Served):
    processes = [server.process.pid, *children_of(server.process.pid)]
    assert len(processes) >= 4  # gunicorn's master, a worker, the recorder, the BCC receiver
    time.sleep(1)
    before = {pid: cpu_seconds(pid) for pid in processes}
    time.sleep(3)

    used = {pid: cpu_seconds(pid) - before[pid] for pid in processes}

    assert max(used.values()) < 0.06, used  # under 2 % of a core each


def exchange(server: Served, requests: list[str]) -> bytes:
    """Send the requests pipelined on one TLS connection; every byte answered until it closes,
    with each Date header blanked."""
    context = ssl.create_default_context(cafile=str(server.cert))
    with (
        socket.create_connection(("localhost", server.port), timeout=10) as raw,
        context.wrap_socket(raw, server_hostname="localhost") as connection,
    ):
        connection.sendall("".join(requests).encode())
        answered = b"".join(iter(lambda: connection.recv(65536), b""))
    return re.sub(rb"\r\nDate: [^\r]+", b"\r\nDate: -", answered)


def pixel_requests(token: str, cookie: str, query: str = "") -> list[str]:
    """Opens of a genuine and a forged pixel, GET and HEAD, with and without the sender cookie,
    then another page, on one connection."""
    common = (
        "Host: localhost\r\nUser-Agent: Mail/16\r\nAccept-Language: sv\r\n"
        "X-Forwarded-For: 203.0.113.9, 198.51.100.7\r\n"
    )
    return [
        f"GET /t/o/{token}.gif{query} HTTP/1.1\r\n{common}\r\n",
        f"GET /t/o/{token[:-2]}xx.gif{query} HTTP/1.1\r\n{common}\r\n",
        f"HEAD /t/o/{token}.gif{query} HTTP/1.1\r\n{common}\r\n",
        f"GET /t/o/{token}.gif{query} HTTP/1.1\r\n{common}Cookie: tl_sender={cookie}\r\n\r\n",
        f"GET /t/o/{token}.gif{query} HTTP/1.1\r\n{common}Cookie: tl_sender=forged\r\n\r\n",
        "GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
    ]


@pytest.mark.slow
def test_open_pixels_from_the_fast_path_are_the_views_answers_and_facts(server: Served):
    app = create_app(Config({"TRACKLOG_INSTANCE_PATH": str(server.instance)}))
    with app.app_context():
        token = make_token(TokenClaims("open", 9, 0, 1))
        cookie = sender_cookie_serializer().dumps(4)

    fast = exchange(server, pixel_requests(token, cookie))
    # A query string is not the fast path's: these reach the Flask view.
    flask = exchange(server, pixel_requests(token, cookie, query="?via=flask"))

    assert fast == flask
    assert fast.count(b"HTTP/1.1 200 OK\r\n") == 6
    assert fast.count(b"Content-Type: image/gif\r\n") == 5 and fast.count(b"GIF89a") == 4
    assert b"X-Frame-Options: DENY\r\n" in fast and b"Cache-Control: no-store" in fast
    assert fast.endswith(b'{"bus":"ok","database":"ok","status":"ok"}\n')  # Flask, same socket
    [journal] = (server.instance / "journal").glob("hits-*.jsonl")
    hits = [json.loads(line) for line in journal.read_text().splitlines()]
    for hit in hits:
        del hit["hit_id"], hit["at"]
    assert hits[:4] == hits[4:]  # four genuine opens each way, the same facts
    assert [(hit["method"], hit["sender_cookie_user"]) for hit in hits[:4]] == [
        ("GET", None),
        ("HEAD", None),
        ("GET", 4),
        ("GET", None),
    ]
    assert {hit["ip"] for hit in hits} == {"198.51.100.7"}
    assert hits[0]["ua"] == "Mail/16" and hits[0]["headers"] == {"accept-language": "sv"}
