"""GET/HEAD /t/o/<token>.gif answered straight from the socket, before gunicorn parses anything.

An open pixel is a recipient's mail client waiting for 43 bytes, and Flask's routing, request
context and hooks cost several times the work it needs (a token check and a journal append; see
docs/benchmarks.md). So the gevent worker's connection handler (serving.py) reads request heads
itself. A head it understands completely, for the open pixel, is answered here: the hit journaled
first, then the view's own bytes (tracking/openpixel.py), keep-alive and pipelining as gunicorn
does them. Anything else — another path, a query string, a body, Expect, Upgrade, a cookie other
than the sender's, HTTP/2, a malformed or oversized head — goes to gunicorn's normal handling with
the bytes already read replayed, and the connection stays there (websockets included).
"""

from __future__ import annotations

import re
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from types import SimpleNamespace
from typing import Any

from flask import Flask
from gunicorn import SERVER
from gunicorn.util import http_date
from werkzeug.http import parse_cookie

from tracklog.serving import redact
from tracklog.tracking.openpixel import OpenPixel
from tracklog.tracking.views import SENDER_COOKIE

REQUEST_LINE = re.compile(rb"(GET|HEAD) (/t/o/([A-Za-z0-9_-]{1,80})\.gif) HTTP/1\.([01])")
# Header names without "_" (gunicorn drops those) and values of visible ASCII only.
FIELD_NAME = re.compile(rb"[!#$%&'*+.^`|~0-9A-Za-z-]+")
FIELD_VALUE = re.compile(rb"[\t\x20-\x7e]*")
# Headers that make a request gunicorn's: a body, or something to negotiate.
# (Authorization names the access log's user, which gunicorn reads.)
NOT_OURS = frozenset(
    ("content-length", "transfer-encoding", "expect", "upgrade", "http2-settings", "te")
    + ("authorization",)
)
# A longer head is gunicorn's to refuse or accept by its own limits.
MAX_HEAD = 8192
RECV_BYTES = 65536
HEAD_END = b"\r\n\r\n"
DEFAULT_ACCESS_FORMAT = '%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s"'
LOGGED_PATH = redact("/t/o/<token>.gif")


@dataclass(frozen=True)
class PixelRequest:
    """A request head the fast path answers."""

    method: str
    path: str
    token: str
    minor: int
    headers: dict[str, str]
    close: bool
    sender_cookie: str | None


def parse_head(head: bytes) -> PixelRequest | None:
    """The open-pixel request of this head (without its blank line), or None if it is not
    one the fast path may answer."""
    lines = head.split(b"\r\n")
    found = REQUEST_LINE.fullmatch(lines[0])
    if found is None:
        return None
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, colon, value = line.partition(b":")
        if not colon or not FIELD_NAME.fullmatch(name) or not FIELD_VALUE.fullmatch(value):
            return None
        key, text = name.decode().lower(), value.decode().strip(" \t")
        headers[key] = f"{headers[key]},{text}" if key in headers else text
    minor = int(found.group(4))
    connection = headers.get("connection", "").lower()
    # Any cookie but the sender's (a session, a remembered device) is for the app's hooks.
    cookies = parse_cookie(headers["cookie"]) if "cookie" in headers else {}
    if (
        NOT_OURS.intersection(headers)
        or (minor == 1 and "host" not in headers)
        or connection not in ("", "close", "keep-alive")
        or cookies.keys() - {SENDER_COOKIE}
    ):
        return None
    close = connection == "close" or (minor == 0 and connection != "keep-alive")
    method, path, token = (part.decode() for part in found.group(1, 2, 3))
    return PixelRequest(method, path, token, minor, headers, close, cookies.get(SENDER_COOKIE))


class PixelPath:
    """One worker's fast path: reads heads from a connection, answers open pixels."""

    def __init__(self, app: Flask, log: Any, keepalive: float) -> None:
        self.pixel = OpenPixel(app)
        self.log = log
        self.keepalive = keepalive
        fields = "".join(f"{name}: {value}\r\n" for name, value in self.pixel.headers.items())
        self.tails = {
            close: f"Connection: {'close' if close else 'keep-alive'}\r\n{fields}\r\n".encode(
                "latin-1"
            )
            for close in (False, True)
        }
        self.status_code = self.pixel.status.split(None, 1)[0]
        self._second = -1
        self._date = self._now = ""

    def serve(self, client: socket.socket, peer: Any, alive: Callable[[], bool]) -> bytes | None:
        """Answer the connection's open-pixel requests; None once it is closed, or the bytes
        read of the first request that is not one (for gunicorn to handle)."""
        buffer = b""
        while True:
            try:
                buffer = self.read_head(client, buffer)
            except (TimeoutError, EOFError):
                return None
            if HEAD_END not in buffer:
                return buffer  # oversized
            buffer, closed = self.answer_heads(client, buffer, peer, alive)
            if closed:
                return None
            if HEAD_END in buffer:
                return buffer  # a complete head that is not an open pixel's

    def read_head(self, client: socket.socket, buffer: bytes) -> bytes:
        """The buffer once it holds a complete head or more than MAX_HEAD bytes; TimeoutError
        after the keep-alive time, EOFError when the client closes."""
        deadline = time.monotonic() + self.keepalive
        while HEAD_END not in buffer and len(buffer) <= MAX_HEAD:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError
            client.settimeout(left)
            chunk = client.recv(RECV_BYTES)
            if not chunk:
                raise EOFError
            buffer += chunk
        return buffer

    def answer_heads(
        self, client: socket.socket, buffer: bytes, peer: Any, alive: Callable[[], bool]
    ) -> tuple[bytes, bool]:
        """Answer the open pixels at the start of the buffer in one write; what is left of the
        buffer, and whether the connection is closed."""
        answers = []
        closed = False
        while not closed and (end := buffer.find(HEAD_END)) >= 0:
            request = parse_head(buffer[:end])
            if request is None:
                break
            started = time.perf_counter()
            closed = request.close or not alive()
            answers.append(self.answer(request, peer, closed, started))
            buffer = buffer[end + len(HEAD_END) :]
        if answers:
            client.sendall(b"".join(answers))
        return buffer, closed

    def answer(self, request: PixelRequest, peer: Any, close: bool, started: float) -> bytes:
        """Journal the request's hit (if genuine), then its answer's bytes; one access line."""
        address = peer[0] if isinstance(peer, tuple) else str(peer)
        ip = self.pixel.journal_hit(
            request.token, request.method, address, request.headers, request.sender_cookie
        )
        body = self.pixel.body if request.method == "GET" else b""
        head = (
            f"HTTP/1.{request.minor} {self.pixel.status}\r\nServer: {SERVER}\r\n"
            f"Date: {self.date()}\r\n"
        ).encode("latin-1")
        self.access(request, ip, len(body), started)
        return head + self.tails[close] + body

    def date(self) -> str:
        """The Date header's value, formatted once a second (with the access log's time)."""
        second = int(time.time())
        if second != self._second:
            self._second, self._date, self._now = second, http_date(second), self.log.now()
        return self._date

    def access(self, request: PixelRequest, ip: str, sent: int, started: float) -> None:
        """The access-log line gunicorn would write for the request (its token redacted)."""
        if not self.log.access_log_enabled:
            return
        if self.log.cfg.access_log_format != DEFAULT_ACCESS_FORMAT:
            self.formatted_access(request, ip, sent, started)
            return
        # gunicorn's default format, filled in directly: its atoms cost more than the answer.
        self.log.access_log.info(
            '%s - - %s "%s %s HTTP/1.%d" %s %d "%s" "%s"',
            ip,
            self._now,
            request.method,
            LOGGED_PATH,
            request.minor,
            self.status_code,
            sent,
            request.headers.get("referer", "-"),
            request.headers.get("user-agent", "-"),
        )

    def formatted_access(self, request: PixelRequest, ip: str, sent: int, started: float) -> None:
        """The access-log line in a format of the configuration's, through gunicorn's atoms."""
        environ = {
            "REQUEST_METHOD": request.method,
            "RAW_URI": request.path,
            "PATH_INFO": request.path,
            "QUERY_STRING": "",
            "SERVER_PROTOCOL": f"HTTP/1.{request.minor}",
            "REMOTE_ADDR": ip,
            "HTTP_REFERER": request.headers.get("referer", "-"),
            "HTTP_USER_AGENT": request.headers.get("user-agent", "-"),
        }
        response = SimpleNamespace(
            status=self.pixel.status, sent=sent, headers=list(self.pixel.headers.items())
        )
        elapsed = timedelta(seconds=time.perf_counter() - started)
        self.log.access(response, list(request.headers.items()), environ, elapsed)


class ReplayedSocket:
    """A client socket whose first reads return the bytes the fast path already took from it."""

    def __init__(self, sock: socket.socket, unread: bytes) -> None:
        self._sock = sock
        self._unread = unread

    def recv(self, size: int, *flags: int) -> bytes:
        """The bytes already read first, then the socket's."""
        if self._unread:
            data, self._unread = self._unread[:size], self._unread[size:]
            return data
        return self._sock.recv(size, *flags)

    def __getattr__(self, name: str) -> Any:
        """Everything else is the socket's."""
        return getattr(self._sock, name)
