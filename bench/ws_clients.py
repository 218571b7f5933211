"""The client side of bench/ws_latency.py: many websocket listeners and the pixel opens, in one
gevent process (a greenlet per socket is what keeps 1,000 listeners cheap).

Run as `python -m gevent.monkey --module bench.ws_clients SPEC.json`. It talks to the driver by
lines: it prints `baseline-done` after the single-listener phase, waits for `connect` on stdin,
prints `connected N` once every listener is ready, waits for `go`, then prints `RESULT <json>`.
"""

from __future__ import annotations

import json
import random
import resource
import sys
import time
import urllib.request
from typing import Any

import gevent
from gevent.pool import Pool
from simple_websocket import Client, ConnectionClosed

USER_AGENT = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0 Safari/537.36"
)
CONNECT_CONCURRENCY = 10
ARRIVAL_TIMEOUT = 15


class Listener:
    """One authenticated socket of a user, recording when each notification arrives."""

    def __init__(self, user: int, url: str, token: str, arrivals: list[dict[str, Any]]) -> None:
        self.user = user
        self.client = Client.connect(url)
        self.client.send(json.dumps({"type": "auth", "token": token, "after": None}))
        ready = json.loads(self.client.receive(timeout=30))
        if ready.get("type") != "ready":
            raise RuntimeError(f"unexpected first frame {ready}")
        self.arrivals = arrivals
        self.reader = gevent.spawn(self.read)

    def read(self) -> None:
        """Record every notification until the socket closes."""
        try:
            while True:
                frame = self.client.receive()
                arrived = time.time()
                if frame is None:
                    if not self.client.connected:
                        return
                    continue
                message = json.loads(frame)
                if message.get("type") == "notification":
                    self.arrivals.append(
                        {
                            "user": self.user,
                            "message_id": message["message_id"],
                            "at": arrived,
                            "hit_at": message["at"],
                        }
                    )
        except ConnectionClosed:
            pass

    def close(self) -> None:
        """Close the socket."""
        self.reader.kill()
        self.client.close()


def open_pixel(url: str, sent: dict[str, float], message_id: str) -> None:
    """GET the pixel, noting when the request left."""
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
    sent[message_id] = time.time()
    with urllib.request.urlopen(request, timeout=30) as response:
        response.read()


def send_and_collect(
    opens: list[dict[str, Any]], interval: float, arrivals: list[dict[str, Any]]
) -> dict[str, float]:
    """Open each pixel at a steady pace (open loop); wait for the notifications; send times."""
    sent: dict[str, float] = {}
    greenlets = []
    for item in opens:
        greenlets.append(gevent.spawn(open_pixel, item["url"], sent, item["message_id"]))
        gevent.sleep(interval)
    gevent.joinall(greenlets, raise_error=True)
    deadline = time.time() + ARRIVAL_TIMEOUT
    expected = {item["message_id"] for item in opens}
    while time.time() < deadline:
        if expected <= {arrival["message_id"] for arrival in arrivals}:
            break
        gevent.sleep(0.05)
    gevent.sleep(1)  # a duplicate would come right after the original
    return sent


def wait_for(line: str) -> None:
    """Block until the driver writes the line."""
    while sys.stdin.readline().strip() != line:
        pass


def main() -> None:
    """Run the phases the module docstring names."""
    spec = json.loads(open(sys.argv[1]).read())
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 65536), hard))
    random.seed(7)

    for server, path in spec["warmup"]:
        open_pixel(spec["servers"][server] + path, {}, path)
    gevent.sleep(3)
    baseline_arrivals: list[dict[str, Any]] = []
    single = Listener(
        spec["baseline"]["user"],
        spec["servers"][0] + "/ws",
        spec["baseline"]["token"],
        baseline_arrivals,
    )
    opens = [
        {"url": spec["servers"][0] + path, "message_id": message_id}
        for message_id, path in spec["baseline"]["opens"]
    ]
    baseline_sent = send_and_collect(opens, spec["interval"], baseline_arrivals)
    single.close()
    print("baseline-done", flush=True)

    wait_for("connect")
    arrivals: list[dict[str, Any]] = []
    listeners: list[Listener] = []
    pool = Pool(CONNECT_CONCURRENCY)
    for user in spec["users"]:
        url = spec["servers"][user["server"]] + "/ws"
        pool.spawn(
            lambda u=user, url=url: listeners.append(Listener(u["id"], url, u["token"], arrivals))
        )
    pool.join(raise_error=True)
    print(f"connected {len(listeners)}", flush=True)

    wait_for("go")
    opens = [
        {
            "url": random.choice(spec["servers"]) + item["path"],
            "message_id": item["message_id"],
        }
        for item in spec["opens"]
    ]
    sent = send_and_collect(opens, spec["interval"], arrivals)
    for listener in listeners:
        listener.close()
    result = {
        "baseline": {"sent": baseline_sent, "arrivals": baseline_arrivals},
        "main": {"sent": sent, "arrivals": arrivals, "listeners": len(listeners)},
    }
    print("RESULT " + json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
