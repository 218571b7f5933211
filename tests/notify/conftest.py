"""A live server in a thread, so websockets are real sockets, and helpers to talk to it."""

from __future__ import annotations

import json
from typing import Any

import pytest
from simple_websocket import Client, ConnectionClosed


class Socket:
    """A websocket client of /ws that reads JSON frames."""

    def __init__(self, address: str) -> None:
        self.client = Client.connect(f"ws://{address}/ws")

    def auth(self, token: str, after: int | None = None) -> dict[str, Any]:
        """Authenticate; the server's 'ready' frame."""
        self.client.send(json.dumps({"type": "auth", "token": token, "after": after}))
        return self.next(timeout=5)

    def next(self, timeout: float = 5) -> dict[str, Any] | None:
        """The next frame other than heartbeats, or None after the timeout."""
        while True:
            frame = self.client.receive(timeout=timeout)
            if frame is None:
                return None
            message = json.loads(frame)
            if message.get("type") != "heartbeat":
                return message

    def close_code(self, timeout: float = 7) -> int | None:
        """The close code the server ends the socket with."""
        try:
            while self.client.receive(timeout=timeout) is not None:
                pass
        except ConnectionClosed as closed:
            return closed.reason
        return None

    def close(self) -> None:
        """Close the client side."""
        self.client.close()


@pytest.fixture
def connect(live):
    """Open sockets to the live server; all closed at the end."""
    sockets: list[Socket] = []

    def open_socket() -> Socket:
        """A new socket."""
        sockets.append(Socket(live))
        return sockets[-1]

    yield open_socket
    for socket in sockets:
        try:
            socket.close()
        except Exception:  # noqa: BLE001 - already closed by the server
            pass
