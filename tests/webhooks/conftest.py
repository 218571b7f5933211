"""Fixtures for webhook tests: a real local receiver, hits recorded when the test says so."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.maillog.conftest import deliver  # noqa: F401 - stores and processes a mail
from tests.tracking.conftest import recipient, record  # noqa: F401 - the hit journal's reader


@pytest.fixture
def app_config(app_config):
    """No background recorder (tests send deliveries themselves); http and local receivers."""
    return {**app_config, "HIT_RECORDER_THREAD": False, "WEBHOOK_ALLOW_HTTP": True}


@dataclass
class Receiver:
    """What a local webhook receiver got, and the statuses it answers next (then 200)."""

    url: str
    received: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """An HTTP server on a free local port that keeps every POST's headers and raw body."""
    got = Receiver(url="")

    class Handler(BaseHTTPRequestHandler):
        """Keeps the request, answers the next planned status."""

        def do_POST(self) -> None:  # noqa: N802 - the name http.server calls
            """Keep the headers and the raw body; answer."""
            body = self.rfile.read(int(self.headers["Content-Length"]))
            got.received.append((dict(self.headers), body))
            self.send_response(got.statuses.pop(0) if got.statuses else 200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            """Quiet."""

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    got.url = f"http://127.0.0.1:{server.server_port}/hooks/tracklog?team=1"
    yield got
    server.shutdown()
    server.server_close()
