"""Work the hit recorder's housekeeping starts on a thread of its own, a pass at a time."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime, timedelta

from flask import Flask

from tracklog.extensions import db
from tracklog.models import utcnow

log = logging.getLogger(__name__)


class BackgroundPass:
    """Runs `work` in an app context on a thread of its own, at most `interval` apart, never
    two passes at once: a slow pass (a webhook receiver, a mailbox server) holds up nothing."""

    def __init__(
        self,
        app: Flask,
        name: str,
        work: Callable[[], object],
        interval: timedelta,
        first_after: timedelta = timedelta(0),
    ) -> None:
        self.app = app
        self.name = name
        self.work = work
        self.interval = interval
        self.next_run = utcnow() + first_after
        self._thread: threading.Thread | None = None

    def start_if_due(self) -> datetime:
        """Start a pass when one is due and the last has ended; when the next one is due."""
        if utcnow() >= self.next_run and not (self._thread and self._thread.is_alive()):
            self.next_run = utcnow() + self.interval
            self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
            self._thread.start()
        return self.next_run

    def _run(self) -> None:
        """One pass in an app context; a failure is logged and the next pass tries again."""
        with self.app.app_context():
            try:
                self.work()
            except Exception:  # noqa: BLE001 - logged; the next pass tries again
                log.exception("%s failed; the next pass tries again", self.name)
            finally:
                db.session.remove()
