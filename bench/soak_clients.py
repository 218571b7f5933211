"""The client side of bench/soak.py: listeners, the composer, the opens, the SMTP senders and the
/healthz poller, as greenlets of one gevent process.

Run as `python -m gevent.monkey --module bench.soak_clients SPEC.json`. It prints `connected N`
once every listener is ready, waits for `go` on stdin, runs the load for the spec's seconds,
prints `load-done`, waits for the last opens' notifications, then prints `RESULT <json>`.
"""

from __future__ import annotations

import json
import random
import re
import resource
import smtplib
import sys
import time
import urllib.error
import urllib.request
from itertools import count
from typing import Any

import gevent
from gevent.pool import Pool

from bench.smtp_ingest import mail
from bench.ws_clients import CONNECT_CONCURRENCY, USER_AGENT, Listener, wait_for

PIXEL = re.compile(r'src="https://tracklog\.bench(/t/o/[^"]+\.gif)"')
# Seconds a poll of /healthz or a compose call may take before it counts as timed out.
REQUEST_TIMEOUT = 15
# Seconds to wait after the load for the last opens' notifications.
SETTLE_SECONDS = 20


class Soak:
    """What the clients saw during the load."""

    def __init__(self, spec: dict[str, Any]) -> None:
        self.spec = spec
        self.server = spec["server"]
        self.arrivals: list[dict[str, Any]] = []
        self.health: list[float | None] = []
        self.composed: list[dict[str, Any]] = []
        self.opened: dict[str, float] = {}
        self.owner: dict[str, int] = {}
        self.smtp: dict[str, Any] = {"accepted": 0, "refused": 0, "errors": 0, "ms": []}
        self.running = True
        self.opens: list[gevent.Greenlet] = []

    def poll_health(self) -> None:
        """GET /healthz every half second: its time, or None when it timed out or failed."""
        while self.running:
            started = time.perf_counter()
            try:
                with urllib.request.urlopen(self.server + "/healthz", timeout=REQUEST_TIMEOUT):
                    self.health.append(time.perf_counter() - started)
            except (OSError, urllib.error.HTTPError):
                self.health.append(None)
            gevent.sleep(0.5)

    def compose(self, number: int, user: dict[str, Any]) -> None:
        """One compose call of a user; its pixel opened five seconds later."""
        body = {
            "subject": f"Soak proposal {number}",
            "from": user["email"],
            "to": [f"buyer{number}@customer.example"],
            "html": '<p>Hello, see <a href="https://customer.example/offer">the offer</a>.</p>',
            "client": {"host": "outlook-web", "item_id": f"soak-{number}"},
        }
        request = urllib.request.Request(
            self.server + "/api/v1/compose",
            data=json.dumps(body).encode(),
            headers={
                "Authorization": f"Bearer {user['token']}",
                "Content-Type": "application/json",
            },
        )
        started = time.perf_counter()
        outcome: dict[str, Any] = {"status": None}
        try:
            with urllib.request.urlopen(request, timeout=REQUEST_TIMEOUT) as response:
                answer = json.loads(response.read())
                outcome["status"] = response.status
        except urllib.error.HTTPError as error:
            outcome["status"] = error.code
        except OSError:
            answer = None
        outcome["ms"] = (time.perf_counter() - started) * 1000
        self.composed.append(outcome)
        if outcome["status"] == 200:
            self.owner[answer["message_id"]] = user["id"]
            path = PIXEL.search(answer["html"]).group(1)
            self.opens.append(gevent.spawn_later(5, self.open, answer["message_id"], path))

    def open(self, message_id: str, path: str) -> None:
        """Open a composed message's pixel as its recipient's mail client would."""
        request = urllib.request.Request(self.server + path, headers={"User-Agent": USER_AGENT})
        self.opened[message_id] = time.time()
        with urllib.request.urlopen(request, timeout=60) as response:
            response.read()

    def send_mail(self, sender: int, numbers: count) -> None:
        """One SMTP connection sending 50 KB mails to the logging address while the load runs."""
        with smtplib.SMTP("127.0.0.1", self.spec["smtp_port"], timeout=60) as connection:
            while self.running:
                raw = mail(next(numbers), self.spec["smtp_from"])
                started = time.perf_counter()
                try:
                    connection.sendmail(self.spec["smtp_from"], [self.spec["bcc"]], raw)
                    self.smtp["accepted"] += 1
                except smtplib.SMTPResponseException:
                    self.smtp["refused"] += 1
                except (OSError, smtplib.SMTPException):
                    self.smtp["errors"] += 1
                    return
                self.smtp["ms"].append((time.perf_counter() - started) * 1000)

    def run_load(self) -> None:
        """Everything at once for the spec's seconds."""
        background = [gevent.spawn(self.poll_health)]
        numbers = count()
        background += [
            gevent.spawn(self.send_mail, n, numbers) for n in range(self.spec["smtp_senders"])
        ]
        users = self.spec["users"]
        started = time.monotonic()
        for number in count():
            if time.monotonic() - started >= self.spec["seconds"]:
                break
            gevent.spawn(self.compose, number, random.choice(users))
            gevent.sleep(self.spec["compose_interval"])
        self.running = False
        gevent.joinall(background)


def main() -> None:
    """Connect the listeners, run the load on `go`, report."""
    spec = json.loads(open(sys.argv[1]).read())
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 65536), hard))
    random.seed(5)
    soak = Soak(spec)
    listeners: list[Listener] = []
    pool = Pool(CONNECT_CONCURRENCY)
    for user in spec["users"]:
        pool.spawn(
            lambda u=user: listeners.append(
                Listener(u["id"], spec["server"] + "/ws", u["token"], soak.arrivals)
            )
        )
    pool.join(raise_error=True)
    print(f"connected {len(listeners)}", flush=True)
    wait_for("go")
    soak.run_load()
    print("load-done", flush=True)
    gevent.sleep(6)  # the last composed messages are opened five seconds after their compose
    gevent.joinall(soak.opens)
    deadline = time.time() + SETTLE_SECONDS
    while time.time() < deadline and set(soak.opened) - {a["message_id"] for a in soak.arrivals}:
        gevent.sleep(0.1)
    for listener in listeners:
        listener.close()
    result = {
        "health": soak.health,
        "composed": soak.composed,
        "opened": soak.opened,
        "owner": soak.owner,
        "arrivals": soak.arrivals,
        "smtp": soak.smtp,
    }
    print("RESULT " + json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
