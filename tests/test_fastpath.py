"""The open pixel's fast path (fastpath.py) on a socket pair: what it answers, what it hands on.

tests/test_serving.py checks its answers against the Flask view's byte for byte under
`tracklog serve`; here, without a server, which requests it leaves to gunicorn, with every byte.
"""

from __future__ import annotations

import json
import socket
from types import SimpleNamespace

import pytest
from flask import Flask

from tracklog import create_app
from tracklog.config import Config
from tracklog.fastpath import MAX_HEAD, PixelPath, ReplayedSocket, parse_head
from tracklog.tracking.tokens import TokenClaims, make_token
from tracklog.tracking.views import sender_cookie_serializer

PIXEL = b"GET /t/o/AAAA-_.gif HTTP/1.1\r\nHost: t.example\r\n\r\n"


@pytest.fixture(scope="module")
def proxied_app(tmp_path_factory: pytest.TempPathFactory) -> Flask:
    """An app (no database needed) behind one trusted proxy, shared by the module's tests."""
    folder = tmp_path_factory.mktemp("fastpath")
    env = {"TRACKLOG_INSTANCE_PATH": str(folder), "TRACKLOG_PROXY_HOPS": "1"}
    return create_app(Config(env), {"HIT_RECORDER_THREAD": False})


@pytest.fixture(scope="module")
def pixels(proxied_app: Flask) -> PixelPath:
    """The app's fast path, writing no access log."""
    return PixelPath(proxied_app, SimpleNamespace(access_log_enabled=False, now=str), keepalive=0.2)


def serve(pixels: PixelPath, sent: bytes) -> tuple[bytes | None, bytes]:
    """What serve() hands on after reading `sent` (then the client's end), and what it answered."""
    server, client = socket.socketpair()
    with server, client:
        client.sendall(sent)
        client.shutdown(socket.SHUT_WR)
        unread = pixels.serve(server, ("192.0.2.1", 5000), lambda: True)
        server.shutdown(socket.SHUT_WR)
        answered = b"".join(iter(lambda: client.recv(65536), b""))
    return unread, answered


NOT_OURS = {
    "another path": b"GET /healthz HTTP/1.1\r\nHost: t.example\r\n\r\n",
    "a query": b"GET /t/o/AAAA.gif?x=1 HTTP/1.1\r\nHost: t.example\r\n\r\n",
    "another method": b"POST /t/o/AAAA.gif HTTP/1.1\r\nHost: t\r\nContent-Length: 2\r\n\r\nhi",
    "a body": b"GET /t/o/AAAA.gif HTTP/1.1\r\nHost: t\r\nContent-Length: 2\r\n\r\nhi",
    "chunked": b"GET /t/o/AAAA.gif HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n",
    "Expect": b"GET /t/o/AAAA.gif HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\n\r\n",
    "Upgrade": b"GET /t/o/AAAA.gif HTTP/1.1\r\nHost: t\r\nUpgrade: h2c\r\n\r\n",
    "malformed": b"GET /t/o/AAAA.gif  HTTP/1.1\r\nHost: t\r\n\r\n",
    "garbage": b"\x16\x03\x01 hello\r\n\r\n",
    "no Host": b"GET /t/o/AAAA.gif HTTP/1.1\r\n\r\n",
    "folded header": b"GET /t/o/AAAA.gif HTTP/1.1\r\nHost: t\r\nX-A: 1\r\n 2\r\n\r\n",
    "underscore": b"GET /t/o/AAAA.gif HTTP/1.1\r\nHost: t\r\nX_Forwarded_For: 1.2.3.4\r\n\r\n",
    "control byte": b"GET /t/o/AAAA.gif HTTP/1.1\r\nHost: t\r\nUser-Agent: a\x00b\r\n\r\n",
    "a session": b"GET /t/o/AAAA.gif HTTP/1.1\r\nHost: t\r\nCookie: tl_sender=1; session=x\r\n\r\n",
    "HTTP/2 preface": b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
    "huge head": b"GET /t/o/AAAA.gif HTTP/1.1\r\nHost: t\r\nX-Big: " + b"a" * MAX_HEAD,
}


@pytest.mark.parametrize("name", NOT_OURS)
def test_requests_other_than_an_open_pixel_are_handed_on_with_every_byte(pixels, name) -> None:
    unread, answered = serve(pixels, PIXEL + NOT_OURS[name])

    assert unread == NOT_OURS[name]
    assert answered.count(b"HTTP/1.1 200 OK\r\n") == 1  # the pixel before it, answered first


def test_pipelined_pixels_are_answered_in_order_on_one_kept_alive_connection(pixels) -> None:
    head = PIXEL.replace(b"GET", b"HEAD")
    closing = PIXEL.replace(b"\r\n\r\n", b"\r\nConnection: close\r\n\r\n")

    unread, answered = serve(pixels, PIXEL + head + PIXEL + closing + PIXEL)

    assert unread is None  # closed after the request that asked for it
    answers = answered.split(b"HTTP/1.1 200 OK\r\n")[1:]
    assert len(answers) == 4
    assert [answer.endswith(b"\x00;") for answer in answers] == [True, False, True, True]
    assert [b"Connection: close" in answer for answer in answers] == [False] * 3 + [True]
    assert b"Content-Type: image/gif\r\nContent-Length: 43\r\n" in answers[1]  # HEAD too


def test_an_idle_kept_alive_connection_is_closed_after_the_keepalive_time(pixels) -> None:
    server, client = socket.socketpair()
    with server, client:
        client.sendall(PIXEL + b"GET /t/o/")  # then nothing more

        assert pixels.serve(server, "", lambda: True) is None
        assert client.recv(65536).startswith(b"HTTP/1.1 200 OK\r\n")


def test_http_1_0_closes_unless_kept_alive_and_a_stopping_worker_closes(pixels) -> None:
    old = PIXEL.replace(b"HTTP/1.1", b"HTTP/1.0")
    kept = old.replace(b"\r\n\r\n", b"\r\nConnection: Keep-Alive\r\n\r\n")
    server, client = socket.socketpair()
    with server, client:
        client.sendall(kept + PIXEL)
        assert pixels.serve(server, "", lambda: False) is None  # stopping: closes after one

        assert b"HTTP/1.0 200 OK\r\n" in client.recv(65536)
    assert parse_head(kept[:-4]).close is False
    assert parse_head(old[:-4]).close is True


def test_a_genuine_open_is_journaled_with_the_facts_of_the_view(proxied_app, pixels) -> None:
    with proxied_app.app_context():
        token = make_token(TokenClaims("open", 12, 0, 2))
        cookie = sender_cookie_serializer().dumps(5)
    request = (
        f"GET /t/o/{token}.gif HTTP/1.1\r\nHost: t\r\nUser-Agent: Mail/16\r\n"
        "X-Forwarded-For: 203.0.113.9, 198.51.100.7\r\nAccept-Language: sv\r\n"
        f"Sec-Purpose: prefetch\r\nCookie: tl_sender={cookie}\r\n\r\n"
    ).encode()

    serve(pixels, request + request.replace(b"GET", b"HEAD").replace(cookie.encode(), b"x"))

    [journal] = pixels.pixel.journal.directory.glob("hits-*.jsonl")
    first, second = [json.loads(line) for line in journal.read_text().splitlines()]
    assert {key: first[key] for key in ("kind", "target_id", "recipient_slot", "method")} == {
        "kind": "open",
        "target_id": 12,
        "recipient_slot": 2,
        "method": "GET",
    }
    assert first["ip"] == "198.51.100.7"  # TRACKLOG_PROXY_HOPS=1: the proxy's client
    assert first["ua"] == "Mail/16"
    assert first["headers"] == {"accept-language": "sv", "sec-purpose": "prefetch"}
    assert (first["sender_cookie_user"], second["sender_cookie_user"]) == (5, None)
    assert second["method"] == "HEAD"


def test_a_replayed_socket_reads_what_was_taken_first_then_the_socket() -> None:
    server, client = socket.socketpair()
    with server, client:
        client.sendall(b"rest")
        replayed = ReplayedSocket(server, b"taken")

        assert [replayed.recv(3), replayed.recv(10), replayed.recv(10)] == [b"tak", b"en", b"rest"]
        assert replayed.fileno() == server.fileno()
