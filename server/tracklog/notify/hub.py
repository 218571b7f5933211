"""The sockets this process holds, and delivery of published notifications to them."""

from __future__ import annotations

import queue
import threading
from typing import Any

from flask import Flask

from tracklog.notify.bus import Subscription, get_bus
from tracklog.notify.feed import NOTIFICATIONS_CHANNEL

QUEUE_SIZE = 1000
# Queued to wake a socket's sender when the socket is to close; never sent.
WAKE: dict[str, Any] = {}


class SocketQueue:
    """One open socket of a user: a bounded queue of notifications waiting to be sent."""

    def __init__(self, user_id: int) -> None:
        self.user_id = user_id
        self.pending: queue.Queue[dict[str, Any]] = queue.Queue(maxsize=QUEUE_SIZE)
        self.overflowed = False
        self.closing: str | None = None
        # Closed because the user may no longer sign in: the client must not reconnect.
        self.signed_out = False

    def offer(self, notification: dict[str, Any]) -> None:
        """Queue a notification without ever blocking the publisher; a stuck client overflows."""
        try:
            self.pending.put_nowait(notification)
        except queue.Full:
            self.overflowed = True

    def close(self, reason: str, signed_out: bool = False) -> None:
        """Ask the socket to close, waking its sender (which otherwise sleeps until its next
        heartbeat: an idle socket costs no wake-ups)."""
        self.closing, self.signed_out = reason, signed_out
        self.offer(WAKE)


class NotificationHub:
    """Routes notifications from the bus to the queues of their user in this process."""

    def __init__(self) -> None:
        self._queues: dict[int, set[SocketQueue]] = {}
        self._lock = threading.Lock()
        self._subscription: Subscription | None = None

    def start(self, app: Flask) -> None:
        """Subscribe to the bus once, on the first socket."""
        with self._lock:
            if self._subscription is None:
                with app.app_context():
                    self._subscription = get_bus().subscribe(NOTIFICATIONS_CHANNEL, self._deliver)

    def add(self, user_id: int) -> SocketQueue:
        """A new queue for one of a user's sockets."""
        socket_queue = SocketQueue(user_id)
        with self._lock:
            self._queues.setdefault(user_id, set()).add(socket_queue)
        return socket_queue

    def remove(self, socket_queue: SocketQueue) -> None:
        """Forget a closed socket."""
        with self._lock:
            queues = self._queues.get(socket_queue.user_id, set())
            queues.discard(socket_queue)
            if not queues:
                self._queues.pop(socket_queue.user_id, None)

    def count(self) -> int:
        """How many sockets this process holds."""
        with self._lock:
            return sum(len(queues) for queues in self._queues.values())

    def close_all(self, reason: str) -> None:
        """Ask every socket to close (graceful shutdown); clients resume elsewhere."""
        with self._lock:
            queues = [item for group in self._queues.values() for item in group]
        for socket_queue in queues:
            socket_queue.close(reason)

    def _deliver(self, published: dict[str, Any]) -> None:
        """Hand a published notification to its user's sockets in this process only; a message
        that tells the user's sockets to close (the user was deactivated) closes them."""
        with self._lock:
            queues = list(self._queues.get(published.get("user_id"), ()))
        for socket_queue in queues:
            if "close" in published:
                socket_queue.close(str(published["close"]), signed_out=True)
            else:
                socket_queue.offer(published["notification"])

    def stop(self) -> None:
        """Unsubscribe from the bus."""
        with self._lock:
            if self._subscription is not None:
                self._subscription.close()
                self._subscription = None
