"""`tracklog serve` keeps its children running: a killed hit recorder or BCC receiver comes back,
what was answered meanwhile is recorded, and /healthz names a child that is down."""

from __future__ import annotations

import os
import signal
import smtplib
import time
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path

import pytest

from tests.served import Served, clean_environment, seeded_instance, start_served, wait_for_port
from tests.services import free_port
from tests.tracking.helpers import OUTLOOK_DESKTOP, pixel_path
from tracklog.supervision import Children

pytestmark = pytest.mark.slow


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[Served, dict[str, str], str]]:
    """A fresh `tracklog serve` on SQLite with an account, a user and the user's token."""
    env = clean_environment(
        tmp_path / "instance",
        TRACKLOG_SMTP_PORT=str(free_port()),
        TRACKLOG_BASE_URL="https://tracklog.test",
    )
    token = seeded_instance(env, "alice@acme.example")
    running = start_served(env, free_port())
    wait_for_port(int(env["TRACKLOG_SMTP_PORT"]), running)
    yield running, env, token
    assert running.stop() == 0, running.output()


def child_pid(served: Served, command: str) -> int | None:
    """The pid of serve's child running `tracklog <command>`, if one runs."""
    for task in Path(f"/proc/{served.process.pid}/task").iterdir():
        for pid in (task / "children").read_text().split():
            try:
                arguments = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
            except FileNotFoundError:
                continue
            if command.encode() in arguments and Path(f"/proc/{pid}/stat").exists():
                state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
                if state != "Z":
                    return int(pid)
    return None


def wait_for(condition, what: str, served: Served, timeout: float = 20):
    """Poll until `condition()` is truthy; its value."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := condition():
            return value
        time.sleep(0.1)
    pytest.fail(f"{what} did not happen within {timeout} s:\n{served.output()[-3000:]}")


def compose(served: Served, token: str) -> dict:
    """A tracked mail to Peter."""
    response = served.request(
        "POST",
        "/api/v1/compose",
        token,
        json={"to": ["peter@initech.example"], "html": "<p>Hi</p>", "subject": "Offer"},
    )
    assert response.status_code == 200, response.text
    return response.json()


def open_count(served: Served, token: str, message_id: str) -> int:
    """How many open events the message has."""
    response = served.get(f"/api/v1/messages/{message_id}", token=token)
    return sum(1 for event in response.json()["events"] if event["kind"] == "open")


def test_a_killed_hit_recorder_comes_back_and_records_what_was_answered(served):
    running, _env, token = served
    composed = compose(running, token)
    first = wait_for(lambda: child_pid(running, "record-hits"), "the recorder starting", running)
    os.kill(first, signal.SIGKILL)
    pixel = pixel_path(composed["html"])
    assert running.get(pixel, headers={"User-Agent": OUTLOOK_DESKTOP}).status_code == 200

    second = wait_for(
        lambda: (pid := child_pid(running, "record-hits")) != first and pid,
        "the recorder's restart",
        running,
    )
    assert running.get(pixel, headers={"User-Agent": "Mozilla/5.0 Thunderbird/115.0"}).ok

    wait_for(lambda: open_count(running, token, composed["message_id"]) == 2, "recording", running)
    assert second != first
    assert f"the hit recorder (pid {first}) was killed by SIGKILL; restarting it in 0 s" in (
        running.output()
    )


def test_a_killed_bcc_receiver_comes_back_and_logs_mail(served):
    running, env, token = served
    port = int(env["TRACKLOG_SMTP_PORT"])
    composed = compose(running, token)
    first = wait_for(lambda: child_pid(running, "smtpd"), "the receiver starting", running)
    os.kill(first, signal.SIGKILL)
    wait_for(lambda: (pid := child_pid(running, "smtpd")) != first and pid, "a restart", running)
    wait_for_port(port, running)

    mail = EmailMessage()
    mail["From"], mail["To"], mail["Subject"] = "alice@acme.example", "peter@initech.example", "Hi"
    mail["Message-ID"] = "<after-restart@acme.example>"
    mail.set_content("The offer, as promised.")
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as smtp:
        refused = smtp.send_message(mail, to_addrs=[composed["bcc"]])
    assert refused == {}

    def logged() -> bool:
        """Whether the copy is on the message's why page as logged."""
        why = running.get(f"/api/v1/messages/{composed['message_id']}/why", token=token)
        return why.ok and "logged" in why.text

    wait_for(logged, "logging the copy", running)
    assert "the BCC receiver" in running.output() and "was killed by SIGKILL" in running.output()


def test_healthz_names_a_child_that_is_down(served):
    running, _env, _token = served
    for _death in range(3):  # dying again and again: the third restart waits two seconds
        pid = wait_for(lambda: child_pid(running, "record-hits"), "the recorder running", running)
        os.kill(pid, signal.SIGKILL)
        wait_for(
            lambda dead=pid: child_pid(running, "record-hits") != dead, "the death seen", running
        )

    response = running.get("/healthz")

    assert response.status_code == 503
    assert response.json()["recorder"] == "down"
    wait_for(lambda: running.get("/healthz").status_code == 200, "the recorder back", running)
    assert running.get("/healthz").json() == {"status": "ok", "database": "ok", "bus": "ok"}


def test_the_children_stop_when_serves_master_is_killed(tmp_path: Path):
    env = clean_environment(tmp_path / "instance", TRACKLOG_SMTP_PORT=str(free_port()))
    seeded_instance(env, "alice@acme.example")
    running = start_served(env, free_port())
    children = [
        wait_for(lambda c=command: child_pid(running, c), f"{command} running", running)
        for command in ("record-hits", "smtpd")
    ]

    os.kill(running.process.pid, signal.SIGKILL)
    running.process.wait()

    def gone() -> bool:
        """Whether every child has exited."""
        return not any(Path(f"/proc/{pid}").exists() for pid in children)

    wait_for(gone, "the children's exit", running)


def test_children_that_keep_dying_are_restarted_after_growing_pauses():
    now = [100.0]
    said: list[str] = []
    children = Children(["record-hits"], warn=said.append, clock=lambda: now[0])
    children.start_all()
    child = children.children[0]
    delays = []
    for _death in range(4):
        child.process.kill()
        child.process.wait()
        children.reap()
        delays.append(child.restart_at - now[0])
        now[0] = child.restart_at
        children.supervise()
    now[0] += 60  # well again for a while
    child.process.kill()
    child.process.wait()
    children.reap()
    delays.append(child.restart_at - now[0])
    children.stop_all()
    assert delays == [0.0, 1.0, 2.0, 5.0, 0.0]


def test_no_restart_once_serve_is_stopping():
    children = Children(["record-hits"], warn=lambda line: None)
    children.start_all()
    children.stopping = True
    process = children.children[0].process
    process.kill()
    process.wait()
    children.reap()
    children.supervise()
    assert children.children[0].process is process
