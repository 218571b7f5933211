"""The sockets this process holds, and delivery of published notifications to them."""

from __future__ import annotations

import queue
import threading
from typing import Any

from flask import Flask

from tracklog.notify.bus import Subscription, get_bus
from tracklog.notify.feed import NOTIFICATIONS_CHANNEL

QUEUE_SIZE = 1000


class Listener:
    """One open socket of a user: a bounded queue of notifications waiting to be sent."""

    def __init__(self, user_id: int) -> None:
        self.user_id = user_id
        self.queue: queue.Queue[dict[str, Any]] = queue.Queue(maxsize=QUEUE_SIZE)
        self.overflowed = False
        self.closing: str | None = None

    def offer(self, notification: dict[str, Any]) -> None:
        """Queue a notification without ever blocking the publisher; a stuck client overflows."""
        try:
            self.queue.put_nowait(notification)
        except queue.Full:
            self.overflowed = True


class NotificationHub:
    """Routes notifications from the bus to the listeners of their user in this process."""

    def __init__(self) -> None:
        self._listeners: dict[int, set[Listener]] = {}
        self._lock = threading.Lock()
        self._subscription: Subscription | None = None

    def start(self, app: Flask) -> None:
        """Subscribe to the bus once, on the first socket."""
        with self._lock:
            if self._subscription is None:
                with app.app_context():
                    self._subscription = get_bus().subscribe(NOTIFICATIONS_CHANNEL, self._deliver)

    def add(self, user_id: int) -> Listener:
        """A new listener for a user's socket."""
        listener = Listener(user_id)
        with self._lock:
            self._listeners.setdefault(user_id, set()).add(listener)
        return listener

    def remove(self, listener: Listener) -> None:
        """Forget a closed socket."""
        with self._lock:
            listeners = self._listeners.get(listener.user_id, set())
            listeners.discard(listener)
            if not listeners:
                self._listeners.pop(listener.user_id, None)

    def count(self) -> int:
        """How many sockets this process holds."""
        with self._lock:
            return sum(len(listeners) for listeners in self._listeners.values())

    def close_all(self, reason: str) -> None:
        """Ask every socket to close (graceful shutdown); clients resume elsewhere."""
        with self._lock:
            listeners = [item for group in self._listeners.values() for item in group]
        for listener in listeners:
            listener.closing = reason

    def _deliver(self, published: dict[str, Any]) -> None:
        """Hand a published notification to its user's sockets in this process only."""
        with self._lock:
            listeners = list(self._listeners.get(published.get("user_id"), ()))
        for listener in listeners:
            listener.offer(published["notification"])

    def stop(self) -> None:
        """Unsubscribe from the bus."""
        with self._lock:
            if self._subscription is not None:
                self._subscription.close()
                self._subscription = None
