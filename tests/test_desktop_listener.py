"""`tracklog listen` on a live server: JSON lines, resume, refusal, reconnection, print mode."""

from __future__ import annotations

import json
import os
import queue
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO

import pytest
import requests
from werkzeug.serving import make_server

from tests.services import free_port
from tests.tracking.helpers import OUTLOOK_DESKTOP, compose, pixel_path
from tracklog.auth.tokens import create_token, revoke_token
from tracklog.desktop_listener import Backoff, ListenState, NotificationListener, websocket_url
from tracklog.extensions import db
from tracklog.models import Notification

TRACKLOG = str(Path(sys.executable).with_name("tracklog"))
APPLE_MPP = "Mozilla/5.0"
CONTRACT_FIELDS = {
    "type",
    "id",
    "kind",
    "message_id",
    "subject",
    "recipient",
    "classification",
    "at",
    "text",
    "silent",
    "url",
}


# A stand-in for a desktop's notification daemon (org.freedesktop.Notifications on DBus) that
# logs each notification and then "clicks" it.
FAKE_NOTIFICATION_DAEMON = """
import asyncio
from dbus_fast.aio import MessageBus
from dbus_fast.service import ServiceInterface, method, signal

class Notifications(ServiceInterface):
    def __init__(self):
        super().__init__("org.freedesktop.Notifications")
        self.count = 0

    @method()
    def GetCapabilities(self) -> "as":
        return ["body", "actions"]

    @method()
    def GetServerInformation(self) -> "ssss":
        return ["fake", "tracklog tests", "1", "1.2"]

    @method()
    def Notify(self, app: "s", replaces: "u", icon: "s", summary: "s", body: "s",
               actions: "as", hints: "a{sv}", timeout: "i") -> "u":
        self.count += 1
        print("shown", summary, "|", body, flush=True)
        number = self.count
        asyncio.get_running_loop().call_later(0.2, self.ActionInvoked, number, "default")
        return number

    @method()
    def CloseNotification(self, number: "u"):
        pass

    @signal()
    def ActionInvoked(self, number: "u", key: "s") -> "us":
        return [number, key]

    @signal()
    def NotificationClosed(self, number: "u", reason: "u") -> "uu":
        return [number, reason]

async def main():
    bus = await MessageBus().connect()
    bus.export("/org/freedesktop/Notifications", Notifications())
    await bus.request_name("org.freedesktop.Notifications")
    print("ready", flush=True)
    await asyncio.Future()

asyncio.run(main())
"""


@pytest.fixture
def database_url(sqlite_url: str) -> str:
    """The listener is a client: one backend is enough for its tests."""
    return sqlite_url


class Listening:
    """A `tracklog listen` subprocess whose output is read line by line."""

    def __init__(
        self, address: str, token: str, state_dir: Path, *options: str, **env: str
    ) -> None:
        hidden = {"DBUS_SESSION_BUS_ADDRESS", "DISPLAY", "TRACKLOG_TOKEN"}
        environment = {name: value for name, value in os.environ.items() if name not in hidden}
        environment.update(PYTHONIOENCODING="utf-8", **env)
        command = [TRACKLOG, "listen", "--server", f"http://{address}", "--token", token]
        self.process = subprocess.Popen(
            [*command, "--state-dir", str(state_dir), *options],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            encoding="utf-8",
            env=environment,
        )
        self.stdout: queue.Queue[str] = queue.Queue()
        self.stderr: queue.Queue[str] = queue.Queue()
        self.errors: list[str] = []
        self.readers = [
            threading.Thread(target=_pump, args=(self.process.stdout, self.stdout), daemon=True),
            threading.Thread(target=_pump, args=(self.process.stderr, self.stderr), daemon=True),
        ]
        for reader in self.readers:
            reader.start()

    def line(self, timeout: float = 10) -> str | None:
        """The next stdout line, or None after the timeout."""
        try:
            return self.stdout.get(timeout=timeout)
        except queue.Empty:
            return None

    def notification(self) -> dict:
        """The next stdout line as JSON."""
        line = self.line()
        assert line is not None, f"no notification; stderr: {self.errors}"
        return json.loads(line)

    def wait_for(self, words: str, timeout: float = 15) -> str:
        """The first stderr line (from now on) containing the words."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self.stderr.get(timeout=0.1)
            except queue.Empty:
                continue
            self.errors.append(line)
            if words in line:
                return line
        pytest.fail(f"the listener never said {words!r}; stderr: {self.errors}")

    def finish(self, timeout: float = 15) -> int:
        """Wait for the exit; the exit code, with every remaining line read."""
        code = self.process.wait(timeout=timeout)
        for reader in self.readers:
            reader.join(timeout=5)
        while not self.stderr.empty():
            self.errors.append(self.stderr.get())
        return code

    def stop(self, signum: int = signal.SIGINT) -> None:
        """Stop the process if it still runs."""
        if self.process.poll() is None:
            self.process.send_signal(signum)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def _pump(stream: IO[str], lines: queue.Queue[str]) -> None:
    """Copy a stream's lines into a queue."""
    for line in stream:
        lines.put(line.rstrip("\n"))


@pytest.fixture
def start(live: str, tmp_path: Path) -> Iterator[Callable[..., Listening]]:
    """Start listeners on the live server (or another address); all stopped at the end."""
    started: list[Listening] = []

    def start_listener(token: str, *options: str, address: str = live, **env: str) -> Listening:
        """A new listener subprocess sharing the test's state folder."""
        started.append(Listening(address, token, tmp_path / "state", *options, **env))
        return started[-1]

    yield start_listener
    for listening in started:
        listening.stop()


def open_mail(live: str, sent: dict, agent: str = OUTLOOK_DESKTOP) -> None:
    """The recipient's mail client loads the pixel."""
    response = requests.get(
        f"http://{live}{pixel_path(sent['html'])}", headers={"User-Agent": agent}, timeout=5
    )
    assert response.status_code == 200


def wait_until(condition: Callable[[], bool], timeout: float = 10) -> None:
    """Poll until the condition holds."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition never held"
        time.sleep(0.05)


def count_notifications() -> int:
    """How many notifications exist."""
    db.session.expire_all()
    return db.session.scalar(db.select(db.func.count()).select_from(Notification))


def test_a_persons_open_arrives_as_one_json_line_and_a_machines_does_not(api, live, world, start):
    sent = compose(api, ["peter@initech.example"])
    listener = start(world.admin_token, "--json", "--once")
    listener.wait_for("listening to")
    open_mail(live, sent, agent=APPLE_MPP)
    open_mail(live, sent)
    notification = listener.notification()
    assert listener.finish() == 0
    assert CONTRACT_FIELDS <= notification.keys()
    assert notification["type"] == "notification" and notification["kind"] == "open"
    assert notification["message_id"] == sent["message_id"]
    assert notification["recipient"] == "peter@initech.example"
    assert notification["classification"] == "human"
    assert listener.line(timeout=0) is None
    assert count_notifications() == 1


def test_a_restarted_listener_shows_exactly_the_missed_ones_in_order(
    api, live, world, start, tmp_path
):
    api.call("PUT", "/me/notification-preferences", json={"opens": "every"})
    sent = compose(api, ["peter@initech.example"])
    first = start(world.admin_token, "--json")
    first.wait_for("listening to")
    open_mail(live, sent)
    seen = first.notification()
    state = ListenState(tmp_path / "state", f"http://{live}", world.admin_token)
    wait_until(lambda: state.load() == seen["id"])
    first.stop(signal.SIGKILL)
    open_mail(live, sent, agent="Client 1")
    open_mail(live, sent, agent="Client 2")
    wait_until(lambda: count_notifications() == 3)
    second = start(world.admin_token, "--json")
    missed = [second.notification(), second.notification()]
    assert [item["id"] for item in missed] == sorted(item["id"] for item in missed)
    assert missed[0]["id"] > seen["id"] and missed[0]["id"] != missed[1]["id"]
    assert second.line(timeout=1) is None


def test_a_bad_token_stops_with_exit_code_2_and_one_line(start):
    listener = start("tlp_not-a-real-token", "--json")
    assert listener.finish() == 2
    assert len(listener.errors) == 1 and "refused the token" in listener.errors[0]
    assert listener.line(timeout=0) is None


def test_a_token_revoked_while_listening_stops_at_the_next_connection(app, world, start):
    created, token = create_token(world.admin, "listener")
    listener = start(token, "--json")
    listener.wait_for("listening to")
    revoke_token(world.admin, created.id)
    app.extensions["tracklog.hub"].close_all("restarting")
    assert listener.finish() == 2
    assert "refused the token" in listener.errors[-1]
    assert not any("Traceback" in line for line in listener.errors)


def test_the_listener_reconnects_when_the_server_goes_away(app, api, live, world, start):
    api.call("PUT", "/me/notification-preferences", json={"opens": "every"})
    sent = compose(api, ["peter@initech.example"])
    listener = start(world.admin_token, "--json")
    listener.wait_for("listening to")
    app.extensions["tracklog.hub"].close_all("restarting")
    assert "(1001)" in listener.wait_for("reconnecting in")
    open_mail(live, sent)
    listener.wait_for("listening to")
    open_mail(live, sent, agent="Client 2")
    received = [listener.notification(), listener.notification()]
    assert received[0]["id"] < received[1]["id"]
    assert listener.line(timeout=1) is None


def test_the_listener_waits_for_a_server_that_is_not_up_yet(app, api, live, world, start):
    port = free_port()
    listener = start(world.admin_token, "--json", address=f"127.0.0.1:{port}")
    listener.wait_for("cannot connect")
    server = make_server("127.0.0.1", port, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        listener.wait_for("listening to")
        sent = compose(api, ["peter@initech.example"])
        open_mail(live, sent)
        assert listener.notification()["message_id"] == sent["message_id"]
    finally:
        listener.stop()
        server.shutdown()
        server.server_close()


def test_without_a_notification_service_it_prints_a_readable_line(api, live, world, start):
    sent = compose(api, ["peter@initech.example"])
    listener = start(world.admin_token, "--once")
    assert "printing them here" in listener.wait_for("desktop notifications")
    listener.wait_for("listening to")
    open_mail(live, sent)
    line = listener.line()
    assert listener.finish() == 0
    assert "peter@initech.example opened “Pricing”." in line
    assert line.endswith(f"https://tracklog.test/messages/{sent['message_id']}")


@pytest.fixture
def session_bus(tmp_path: Path) -> Iterator[tuple[str, subprocess.Popen]]:
    """A private DBus session bus with a fake notification daemon; its address and the daemon."""
    pytest.importorskip("dbus_fast")
    if not shutil.which("dbus-daemon"):
        pytest.skip("dbus-daemon is not installed")
    bus = subprocess.Popen(
        ["dbus-daemon", "--session", "--nofork", "--print-address"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    address = bus.stdout.readline().strip()
    environment = {**os.environ, "DBUS_SESSION_BUS_ADDRESS": address, "PYTHONIOENCODING": "utf-8"}
    daemon = subprocess.Popen(
        [sys.executable, "-c", FAKE_NOTIFICATION_DAEMON],
        stdout=subprocess.PIPE,
        text=True,
        encoding="utf-8",
        env=environment,
    )
    try:
        assert daemon.stdout.readline().strip() == "ready"
        yield address, daemon
    finally:
        for process in (daemon, bus):
            process.terminate()
            process.wait(timeout=5)


def test_desktop_notifications_pop_up_and_a_click_opens_the_message(
    api, live, world, start, session_bus, tmp_path
):
    address, daemon = session_bus
    opened = tmp_path / "opened.txt"
    browser = f"sh -c 'echo \"$0\" > {opened}' %s"
    sent = compose(api, ["peter@initech.example"])
    listener = start(world.admin_token, DBUS_SESSION_BUS_ADDRESS=address, BROWSER=browser)
    assert "showing desktop notifications" in listener.wait_for("desktop notifications")
    listener.wait_for("listening to")
    open_mail(live, sent)
    assert "peter@initech.example opened “Pricing”." in listener.line()
    shown = daemon.stdout.readline().strip()
    assert shown == "shown Pricing | peter@initech.example opened “Pricing”."
    wait_until(lambda: opened.exists() and opened.read_text().strip() != "")
    assert opened.read_text().strip() == f"https://tracklog.test/messages/{sent['message_id']}"


def test_ctrl_c_exits_cleanly(live, world, start):
    listener = start(world.admin_token, "--json")
    listener.wait_for("listening to")
    listener.process.send_signal(signal.SIGINT)
    assert listener.finish() == 0
    assert listener.errors[-1] == "stopped"


def test_backoff_doubles_from_one_second_to_a_minute_and_resets():
    longest = Backoff(uniform=lambda low, high: high)
    assert [longest.next_delay() for _ in range(9)] == [1, 2, 4, 8, 16, 32, 60, 60, 60]
    longest.reset()
    assert longest.next_delay() == 1
    shortest = Backoff(uniform=lambda low, high: low)
    assert [shortest.next_delay() for _ in range(3)] == [0.5, 1, 2]


def test_backoff_jitter_stays_between_half_and_all_of_the_ceiling():
    backoff = Backoff()
    for _ in range(50):
        ceiling = backoff.ceiling()
        assert ceiling / 2 <= backoff.next_delay() <= ceiling


def test_state_is_kept_per_server_and_token_without_the_token(tmp_path):
    ListenState(tmp_path, "https://crm.example", "tlp_first").save(5)
    ListenState(tmp_path, "https://crm.example/", "tlp_second").save(9)
    assert ListenState(tmp_path, "https://crm.example", "tlp_first").load() == 5
    assert ListenState(tmp_path, "https://crm.example", "tlp_second").load() == 9
    assert ListenState(tmp_path, "https://other.example", "tlp_first").load() is None
    text = (tmp_path / "listen-state.json").read_text()
    assert "https://crm.example" in text and "tlp_" not in text


def test_state_never_moves_back_and_is_replaced_atomically(tmp_path, monkeypatch):
    state = ListenState(tmp_path, "https://crm.example", "tlp_token")
    state.save(5)
    state.save(3)
    assert state.load() == 5

    def crash(*_args):
        """The machine stops just before the new file replaces the old one."""
        raise OSError("disk gone")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError):
        state.save(6)
    assert state.load() == 5
    assert [path.name for path in tmp_path.iterdir()] == ["listen-state.json"]
    if os.name == "posix":
        assert (tmp_path / "listen-state.json").stat().st_mode & 0o077 == 0


def test_a_notification_is_shown_once_even_when_sent_again(tmp_path):
    shown: list[int] = []
    state = ListenState(tmp_path, "https://crm.example", "tlp_token")
    state.save(2)
    listener = NotificationListener(
        "https://crm.example", "tlp_token", state, lambda frame: shown.append(frame["id"])
    )
    for notification_id in (3, 3, 2, 4, 1):
        listener.receive({"type": "notification", "id": notification_id})
    listener.receive({"type": "heartbeat"})
    assert shown == [3, 4] and state.load() == 4


def test_websocket_url_follows_the_server_url():
    assert websocket_url("https://crm.example") == "wss://crm.example/ws"
    assert websocket_url("http://127.0.0.1:5000/") == "ws://127.0.0.1:5000/ws"
    assert websocket_url("https://example.com/tracklog") == "wss://example.com/tracklog/ws"
