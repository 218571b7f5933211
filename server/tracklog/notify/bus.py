"""The event bus: in-process by default, Redis when TRACKLOG_REDIS_URL is set."""

from __future__ import annotations

import json
import threading
from collections import defaultdict
from collections.abc import Callable
from typing import Any, Protocol

import redis
from flask import Flask, current_app

Handler = Callable[[dict[str, Any]], None]


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


class _LocalSubscription:
    """A handler registered with an InProcessBus."""

    def __init__(self, bus: InProcessBus, channel: str, handler: Handler) -> None:
        self._bus, self._channel, self._handler = bus, channel, handler

    def close(self) -> None:
        """Remove the handler."""
        self._bus._remove(self._channel, self._handler)


class InProcessBus:
    """Delivers events to subscribers in the same process only."""

    def __init__(self) -> None:
        self._handlers: dict[str, list[Handler]] = defaultdict(list)
        self._lock = threading.Lock()

    def publish(self, channel: str, event: dict[str, Any]) -> None:
        """Call every handler of the channel with a copy of the event."""
        with self._lock:
            handlers = list(self._handlers.get(channel, ()))
        for handler in handlers:
            handler(json.loads(json.dumps(event)))

    def subscribe(self, channel: str, handler: Handler) -> Subscription:
        """Register a handler."""
        with self._lock:
            self._handlers[channel].append(handler)
        return _LocalSubscription(self, channel, handler)

    def ping(self) -> None:
        """An in-process bus is always up."""

    def _remove(self, channel: str, handler: Handler) -> None:
        """Forget a handler."""
        with self._lock:
            if handler in self._handlers.get(channel, []):
                self._handlers[channel].remove(handler)


class _RedisSubscription:
    """A Redis pub/sub subscription served by a background thread."""

    def __init__(self, client: redis.Redis, channel: str, handler: Handler) -> None:
        self._pubsub = client.pubsub(ignore_subscribe_messages=True)
        self._pubsub.subscribe(**{channel: lambda message: handler(json.loads(message["data"]))})
        self._thread = self._pubsub.run_in_thread(sleep_time=0.05, daemon=True)

    def close(self) -> None:
        """Stop the thread and unsubscribe."""
        self._thread.stop()
        self._thread.join(timeout=2)
        self._pubsub.close()


class RedisBus:
    """Delivers events to subscribers in every process connected to the same Redis."""

    def __init__(self, url: str) -> None:
        self._client = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=5)

    def publish(self, channel: str, event: dict[str, Any]) -> None:
        """Publish the event as JSON."""
        self._client.publish(channel, json.dumps(event))

    def subscribe(self, channel: str, handler: Handler) -> Subscription:
        """Subscribe in a background thread."""
        return _RedisSubscription(self._client, channel, handler)

    def ping(self) -> None:
        """Raise redis.RedisError when Redis does not answer."""
        self._client.ping()


def init_bus(app: Flask) -> None:
    """Attach the configured bus to the app."""
    url = app.config.get("REDIS_URL")
    app.extensions["tracklog.bus"] = RedisBus(url) if url else InProcessBus()


def get_bus() -> EventBus:
    """The current app's bus."""
    return current_app.extensions["tracklog.bus"]
