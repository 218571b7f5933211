"""`tracklog serve` and `tracklog listen` as users start them, for system tests."""

from __future__ import annotations

import json
import os
import queue
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests
from simple_websocket import Client

from tracklog import devcert
from tracklog.supervision import stop_process

TRACKLOG = Path(sys.executable).with_name("tracklog")
START_TIMEOUT = 30


def clean_environment(instance: Path, **extra: str) -> dict[str, str]:
    """This process's environment without tracklog settings, pointed at an instance folder."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("TRACKLOG_")}
    env.pop("PYTHONPATH", None)
    return {**env, "TRACKLOG_INSTANCE_PATH": str(instance), **extra}


def tracklog(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """Run the installed `tracklog` command to completion."""
    return subprocess.run(
        [str(TRACKLOG), *args], env=env, capture_output=True, text=True, timeout=START_TIMEOUT
    )


def seeded_instance(env: dict[str, str], email: str, upgrade: bool = True) -> str:
    """Migrate the instance's database (unless told not to) and add an account with one admin,
    in this process: a `tracklog` command costs two seconds of start-up each. The admin's token."""
    from tracklog import create_app
    from tracklog.auth.accounts import add_user, create_account
    from tracklog.auth.tokens import create_token
    from tracklog.config import Config
    from tracklog.extensions import db
    from tracklog.migrate import upgrade as upgrade_database

    app = create_app(Config(env))
    with app.app_context():
        if upgrade:
            upgrade_database(db.engine)
        user = add_user(create_account("Acme"), email, role="admin", password="x" * 10)
        token = create_token(user, "system test")[1]
        db.session.remove()
        db.engine.dispose()
    return token


@dataclass
class Served:
    """A running `tracklog serve` and what a test needs to talk to it."""

    process: subprocess.Popen[bytes]
    port: int
    instance: Path
    log: Path
    https: bool = True

    @property
    def cert(self) -> Path:
        """The development certificate the server presents."""
        return self.instance / devcert.CERT_NAME

    @property
    def url(self) -> str:
        """The server's base URL."""
        return f"{'https' if self.https else 'http'}://localhost:{self.port}"

    def request(self, method: str, path: str, token: str | None = None, **kwargs: Any):
        """One HTTP request, verifying the server against its development certificate only."""
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        with requests.Session() as session:
            session.trust_env = False
            return session.request(
                method,
                self.url + path,
                headers=headers | kwargs.pop("headers", {}),
                verify=str(self.cert) if self.https else False,
                timeout=10,
                **kwargs,
            )

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        """GET a path."""
        return self.request("GET", path, **kwargs)

    def socket(self) -> Client:
        """A websocket client of /ws."""
        if not self.https:
            return Client.connect(f"ws://localhost:{self.port}/ws")
        context = ssl.create_default_context(cafile=str(self.cert))
        return Client.connect(f"wss://localhost:{self.port}/ws", ssl_context=context)

    def output(self) -> str:
        """Everything the server printed so far."""
        return self.log.read_text(errors="replace")

    def stop(self) -> int:
        """SIGTERM, then the exit code (killing the group if it does not stop in time)."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
            raise


def start_served(env: dict[str, str], port: int, *args: str, https: bool = True) -> Served:
    """Start `tracklog serve` with this environment and wait until /healthz answers."""
    instance = Path(env["TRACKLOG_INSTANCE_PATH"])
    instance.mkdir(parents=True, exist_ok=True)
    log = instance / "serve.log"
    command = [str(TRACKLOG), "serve", "--port", str(port), *args]
    if not https:
        command.append("--no-https")
    with log.open("wb") as sink:
        process = subprocess.Popen(
            command, env=env, stdout=sink, stderr=subprocess.STDOUT, start_new_session=True
        )
    served = Served(process, port, instance, log, https)
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"tracklog serve exited with {process.returncode}:\n{served.output()}")
        try:
            if (not https or served.cert.exists()) and served.get("/healthz").status_code == 200:
                return served
        except requests.ConnectionError:
            pass
        time.sleep(0.2)
    served.stop()
    pytest.fail(f"tracklog serve did not answer within {START_TIMEOUT} s:\n{served.output()}")


def wait_for_port(port: int, served: Served) -> None:
    """Wait until something accepts connections on the port (a child of the server)."""
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    pytest.fail(f"nothing listens on port {port}:\n{served.output()}")


@dataclass
class Listening:
    """A running `tracklog listen --json`: its printed notifications, one JSON object a line."""

    process: subprocess.Popen[str]
    lines: queue.Queue = field(default_factory=queue.Queue)
    said: list[str] = field(default_factory=list)

    def next(self, timeout: float) -> dict[str, Any] | None:
        """The next printed notification, or None after the timeout."""
        try:
            return json.loads(self.lines.get(timeout=timeout))
        except queue.Empty:
            return None

    def stop(self) -> None:
        """Stop the listener."""
        stop_process(self.process)


def start_listening(served: Served, token: str, env: dict[str, str]) -> Listening:
    """Run `tracklog listen --json` against the server; return once it says it is listening."""
    command = [str(TRACKLOG), "listen", "--json", "--server", served.url, "--token", token]
    if served.https:
        command += ["--cafile", str(served.cert)]
    process = subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    listening = Listening(process)
    ready = threading.Event()

    def read_stdout() -> None:
        """Queue each printed line."""
        for line in process.stdout:
            listening.lines.put(line)

    def read_stderr() -> None:
        """Keep what it says; note when it is listening."""
        for line in process.stderr:
            listening.said.append(line)
            if line.startswith("listening to"):
                ready.set()

    threading.Thread(target=read_stdout, daemon=True).start()
    threading.Thread(target=read_stderr, daemon=True).start()
    if not ready.wait(START_TIMEOUT):
        listening.stop()
        pytest.fail(f"tracklog listen never connected: {''.join(listening.said)}")
    return listening
