"""A hit recorded by one server process reaches a websocket held by another, through Redis."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.conftest import app_environment
from tests.notify.conftest import Socket
from tests.services import REDIS_URL, free_port, redis_reason, unavailable
from tests.tracking.helpers import OUTLOOK_DESKTOP, compose, pixel_path

TRACKLOG = str(Path(sys.executable).with_name("tracklog"))
pytestmark = pytest.mark.slow


@pytest.fixture
def servers(app, database_url, tmp_path) -> Iterator[list[str]]:
    """Two `tracklog serve` processes on the test database, sharing events through Redis."""
    if reason := redis_reason():
        unavailable("Redis", reason)
    started = []
    for name in ("a", "b"):
        port = free_port()
        environment = {
            **os.environ,
            **app_environment(database_url, tmp_path / name, TRACKLOG_REDIS_URL=REDIS_URL),
        }
        process = subprocess.Popen(
            [TRACKLOG, "serve", "--no-https", "--no-smtpd", "--port", str(port), "--workers", "1"],
            env=environment,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
        started.append((process, f"127.0.0.1:{port}"))
    try:
        for process, address in started:
            wait_until_up(process, address)
        yield [address for _process, address in started]
    finally:
        for process, _address in started:
            os.killpg(process.pid, signal.SIGTERM)
        for process, _address in started:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)


def wait_until_up(process: subprocess.Popen, address: str) -> None:
    """Wait for /healthz to answer, or fail with the server's own words."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"server exited: {process.stderr.read().decode()[-2000:]}")
        try:
            if requests.get(f"http://{address}/healthz", timeout=1).status_code == 200:
                return
        except requests.RequestException:
            time.sleep(0.2)
    pytest.fail("server did not come up")


def test_hit_on_one_process_reaches_a_socket_on_another(api, world, servers):
    first, second = servers
    sent = compose(api, ["peter@initech.example"])
    listener = Socket(second)
    try:
        assert listener.auth(world.admin_token)["type"] == "ready"
        response = requests.get(
            f"http://{first}{pixel_path(sent['html'])}",
            headers={"User-Agent": OUTLOOK_DESKTOP},
            timeout=5,
        )
        assert response.status_code == 200
        notification = listener.next(timeout=10)
        assert notification is not None, "the notification never crossed to the other process"
        assert notification["message_id"] == sent["message_id"]
        assert notification["kind"] == "open"
    finally:
        listener.close()
