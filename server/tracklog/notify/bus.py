"""The event bus: across the processes of one host by default, across hosts through Redis.

Without TRACKLOG_REDIS_URL, `HostBus` carries events between every process that shares the
instance folder (the web workers, the hit recorder and the BCC receiver of one `tracklog
serve`) through Unix datagram sockets: each process that subscribes binds one socket in
`<instance>/bus/`, and a publisher sends each event to every socket there. Nothing polls.
With TRACKLOG_REDIS_URL, `RedisBus` carries them between hosts; its channels carry the
installation's key, so installations sharing one Redis never hear each other.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import threading
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

import redis
from flask import Flask, current_app

from tracklog.hostsockets import DatagramSender, bind_datagram_socket, socket_folder

log = logging.getLogger(__name__)

Handler = Callable[[dict[str, Any]], None]
# How long a publisher waits for a process whose queue is full before it skips it.
HOST_SEND_TIMEOUT = 1.0
# The largest event a host socket carries (a notification is well under 4 KB).
MAX_EVENT_BYTES = 200_000


class Subscription(Protocol):
    """A live subscription; close() stops the deliveries."""

    def close(self) -> None:
        """Stop receiving events."""


class EventBus(Protocol):
    """Carries events from whoever records them to whoever shows them."""

    def publish(self, channel: str, event: dict[str, Any]) -> None:
        """Send an event to every subscriber of the channel."""

    def subscribe(self, channel: str, handler: Handler) -> Subscription:
        """Call handler for each event published on the channel from now on."""

    def ping(self) -> None:
        """Raise if the bus cannot carry events."""


class _HostSubscription:
    """A handler registered with a HostBus."""

    def __init__(self, bus: HostBus, channel: str, handler: Handler) -> None:
        self._bus, self._channel, self._handler = bus, channel, handler

    def close(self) -> None:
        """Remove the handler."""
        self._bus._remove(self._channel, self._handler)


class HostBus:
    """Delivers events to subscribers in every process of this host that shares `folder`."""

    def __init__(self, folder: Path) -> None:
        self._folder = folder
        self._sender = DatagramSender()
        self._handlers: dict[str, list[Handler]] = defaultdict(list)
        self._lock = threading.Lock()
        self._path: Path | None = None

    def sockets(self) -> Path:
        """The folder holding one socket per subscribing process."""
        return socket_folder(self._folder)

    def publish(self, channel: str, event: dict[str, Any]) -> None:
        """Send the event to every subscribing process of the host, this one included."""
        payload = json.dumps({"channel": channel, "event": event}).encode()
        if len(payload) > MAX_EVENT_BYTES:
            raise ValueError(f"an event of {len(payload)} bytes is too large for the host bus")
        for path in self.sockets().glob("*.sock"):
            if not self._sender.send(path, payload, HOST_SEND_TIMEOUT) and path.exists():
                log.warning("%s did not take an event within %s s", path.name, HOST_SEND_TIMEOUT)

    def subscribe(self, channel: str, handler: Handler) -> Subscription:
        """Register a handler; the first one binds this process's socket."""
        with self._lock:
            self._handlers[channel].append(handler)
            if self._path is None:
                self._listen()
        return _HostSubscription(self, channel, handler)

    def ping(self) -> None:
        """Raise OSError when the socket folder cannot be used."""
        if not os.access(self.sockets(), os.W_OK | os.X_OK):
            raise PermissionError(f"cannot write to {self.sockets()}")

    def _listen(self) -> None:
        """Bind this process's socket and start the thread that hands events to the handlers."""
        path = self.sockets() / f"{os.getpid()}-{secrets.token_hex(4)}.sock"
        receiver = bind_datagram_socket(path)
        self._path = path
        thread = threading.Thread(
            target=self._receive, args=(receiver, path), name="host-bus", daemon=True
        )
        thread.start()

    def _receive(self, receiver: Any, path: Path) -> None:
        """Deliver each datagram to the handlers of its channel until told to stop."""
        try:
            while True:
                payload = receiver.recv(MAX_EVENT_BYTES + 1024)
                if not payload:
                    return  # the empty datagram _remove sends when the last handler leaves
                self._dispatch(payload)
        finally:
            receiver.close()
            path.unlink(missing_ok=True)

    def _dispatch(self, payload: bytes) -> None:
        """Call the handlers of the datagram's channel; a failing handler never stops the rest."""
        try:
            message = json.loads(payload)
            channel, event = message["channel"], message["event"]
        except (ValueError, KeyError, TypeError):
            log.error("ignoring a malformed host-bus datagram")
            return
        with self._lock:
            handlers = list(self._handlers.get(channel, ()))
        for handler in handlers:
            try:
                handler(event)
            except Exception:  # noqa: BLE001 - one handler's failure must not stop delivery
                log.exception("a handler of %s failed", channel)

    def _remove(self, channel: str, handler: Handler) -> None:
        """Forget a handler; without any left, stop listening and remove the socket."""
        with self._lock:
            if handler in self._handlers.get(channel, []):
                self._handlers[channel].remove(handler)
            if any(self._handlers.values()) or self._path is None:
                return
            path, self._path = self._path, None
        self._sender.send(path, b"", HOST_SEND_TIMEOUT)


class _RedisSubscription:
    """A Redis pub/sub subscription served by a background thread."""

    def __init__(self, client: redis.Redis, channel: str, handler: Handler) -> None:
        self._pubsub = client.pubsub()
        self._pubsub.subscribe(**{channel: lambda message: handler(json.loads(message["data"]))})
        self._wait_until_subscribed()
        self._thread = self._pubsub.run_in_thread(sleep_time=0.05, daemon=True)

    def _wait_until_subscribed(self) -> None:
        """Return once Redis confirms the subscription: events published after it are heard."""
        for _attempt in range(50):
            message = self._pubsub.get_message(timeout=0.1)
            if message is not None and message["type"] == "subscribe":
                return
        raise redis.TimeoutError("Redis did not confirm the subscription")

    def close(self) -> None:
        """Stop the thread and unsubscribe."""
        self._thread.stop()
        self._thread.join(timeout=2)
        self._pubsub.close()


class RedisBus:
    """Delivers events to subscribers in every process connected to the same Redis.

    Channels are named `tracklog:<namespace>:<channel>`; the namespace (the installation's key)
    is asked for once, on first use, so building the bus needs no database.
    """

    def __init__(self, url: str, namespace: Callable[[], str]) -> None:
        self._client = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=5)
        self._namespace = namespace
        self._prefix: str | None = None

    def channel(self, name: str) -> str:
        """The Redis channel of a bus channel, inside this installation's namespace."""
        if self._prefix is None:
            self._prefix = f"tracklog:{self._namespace()}:"
        return self._prefix + name

    def publish(self, channel: str, event: dict[str, Any]) -> None:
        """Publish the event as JSON."""
        self._client.publish(self.channel(channel), json.dumps(event))

    def subscribe(self, channel: str, handler: Handler) -> Subscription:
        """Subscribe in a background thread, once Redis has confirmed it."""
        return _RedisSubscription(self._client, self.channel(channel), handler)

    def ping(self) -> None:
        """Raise redis.RedisError when Redis does not answer."""
        self._client.ping()


def init_bus(app: Flask) -> None:
    """Attach the configured bus to the app: Redis when configured, else the host bus."""
    from tracklog.installation import installation_key

    url = app.config.get("REDIS_URL")
    if url:
        app.extensions["tracklog.bus"] = RedisBus(url, namespace=installation_key)
    else:
        app.extensions["tracklog.bus"] = HostBus(Path(app.instance_path) / "bus")


def get_bus() -> EventBus:
    """The current app's bus."""
    return current_app.extensions["tracklog.bus"]
