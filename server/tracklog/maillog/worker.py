"""Processing stored mail on a background thread, so receiving never waits for it."""

from __future__ import annotations

import queue
import threading

from flask import Flask

from tracklog.maillog.ingest import process_inbound
from tracklog.maillog.store import unprocessed_ids


class IngestWorker:
    """A queue of stored mail ids and the thread that processes them in order."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self._queue: queue.Queue[int | None] = queue.Queue()
        self._thread: threading.Thread | None = None

    def submit(self, inbound_id: int) -> None:
        """Process this stored mail soon."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="ingest", daemon=True)
            self._thread.start()
        self._queue.put(inbound_id)

    def recover(self) -> list[int]:
        """Queue every mail stored but not processed (after a crash or an outage)."""
        with self.app.app_context():
            ids = unprocessed_ids()
        for inbound_id in ids:
            self.submit(inbound_id)
        return ids

    def join(self) -> None:
        """Wait until everything queued is processed."""
        self._queue.join()

    def stop(self) -> None:
        """Finish what is queued, then stop the thread."""
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join(timeout=30)
            self._thread = None

    def _run(self) -> None:
        """Process queued ids one by one, each in its own app context."""
        while True:
            inbound_id = self._queue.get()
            try:
                if inbound_id is None:
                    return
                with self.app.app_context():
                    process_inbound(inbound_id)
            except Exception:  # noqa: BLE001 - process_inbound records failures itself
                self.app.logger.exception("ingest worker failed on %s", inbound_id)
            finally:
                self._queue.task_done()
