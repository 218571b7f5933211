"""The hit journal: every hit is appended to a file before the answer, then recorded in batches.

Appending a line to a file the process holds open costs microseconds and survives the process
being killed right after answering (the kernel has the bytes). A reader records the new lines in
the database, one transaction per batch; a file's position is saved only after the commit, and
each hit carries a unique id, so a replay after a crash records nothing twice.

Each writing process owns one journal file, locked while it lives. One reader at a time (a lock
file says who) goes through every journal of the instance folder: under `tracklog serve` that is
the `tracklog record-hits` process, so recording never competes with answering; elsewhere
(development, tests) a thread of the app. Files whose owner died are removed once recorded.

The reader sleeps until a writer rings its doorbell (a datagram to `recorder.sock` after each
append), so a hit is recorded as soon as it is journaled, alone if it is the only one. A ring
can be lost (the reader restarting, its socket file replaced): the reader also looks every
POLL_SECONDS, so a hit journaled without a ring waits at most that long. Housekeeping runs when
it says it is due, and at most HOUSEKEEPING_AFTER_HITS after a pass that recorded hits, never
between a ring and the recording it asks for.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable
from functools import cached_property
from pathlib import Path
from typing import Any

from tracklog.hostsockets import DatagramSender, bind_datagram_socket, socket_folder

log = logging.getLogger(__name__)

Recorder = Callable[[list[dict[str, Any]]], None]
# Work the reader does after each pass (releasing held notifications); seconds until it is due.
Housekeeping = Callable[[], float | None]
RETRY_SECONDS = (0.5, 1, 2, 5, 10, 30)
# A backlog is recorded in batches this large: each batch reads its rows in a few queries.
BATCH_LINES = 2000
READER_LOCK = ".reader.lock"
DOORBELL = "recorder.sock"
# The longest the reader sleeps without a ring: what a lost ring may delay a hit by.
POLL_SECONDS = 2.0
# The longest between two housekeeping passes (it says when it is due next, often sooner).
IDLE_SECONDS = 60.0
# Recording a batch may add held notifications: housekeeping looks at most this long after.
HOUSEKEEPING_AFTER_HITS = 1.0
# Without a doorbell of its own (another reader holds it), a reader looks this often.
NO_DOORBELL_SECONDS = 1.0


class JournalFile:
    """One journal file and the saved position up to which it has been recorded."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.offset_path = path.with_suffix(".offset")

    def recorded_offset(self) -> int:
        """How many bytes of the file are already in the database."""
        try:
            return int(self.offset_path.read_text() or 0)
        except (FileNotFoundError, ValueError):
            return 0

    def save_offset(self, offset: int) -> None:
        """Remember the recorded position, atomically."""
        temporary = self.offset_path.with_suffix(".offset.tmp")
        temporary.write_text(str(offset))
        os.replace(temporary, self.offset_path)

    def unrecorded(self, max_lines: int = BATCH_LINES) -> tuple[list[dict[str, Any]], int]:
        """Up to max_lines complete lines after the recorded position, and the position after."""
        start = self.recorded_offset()
        with open(self.path, "rb") as handle:
            handle.seek(start)
            chunk = handle.read(max_lines * 2048)
        end = 0
        for _line in range(max_lines):
            newline = chunk.find(b"\n", end)
            if newline < 0:
                break
            end = newline + 1
        entries = []
        for line in chunk[:end].splitlines():
            try:
                entries.append(json.loads(line))
            except ValueError:
                log.error("skipping an unreadable journal line in %s", self.path)
        return entries, start + end

    def owner_is_gone(self) -> bool:
        """Whether the process that wrote this file has ended (its lock is free)."""
        fd = os.open(self.path, os.O_RDONLY)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        finally:
            os.close(fd)
        return True

    def remove(self) -> None:
        """Delete the file and its position."""
        for path in (self.path, self.offset_path):
            path.unlink(missing_ok=True)


class HitJournal:
    """This process's journal file, and the reader that records every journal of the folder."""

    def __init__(
        self,
        directory: Path,
        recorder: Recorder,
        run_thread: bool = True,
        housekeeping: Housekeeping | None = None,
        poll_seconds: float = POLL_SECONDS,
    ) -> None:
        self.directory = directory
        self.recorder = recorder
        self.run_thread = run_thread
        self.housekeeping = housekeeping
        self.poll_seconds = poll_seconds
        self._lock = threading.Lock()
        self._fd: int | None = None
        self._file: JournalFile | None = None
        self._owner_pid: int | None = None
        self._thread: threading.Thread | None = None
        self._stopping = False
        self._doorbell = DatagramSender()

    def doorbell_path(self) -> Path:
        """Where the reader listens for rings."""
        return socket_folder(self.directory) / DOORBELL

    def _open(self) -> None:
        """Create and lock this process's journal file, and start the reader thread if wanted."""
        self.directory.mkdir(parents=True, exist_ok=True)
        name = f"hits-{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:8]}.jsonl"
        path = self.directory / name
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        self._fd, self._file, self._owner_pid = fd, JournalFile(path), os.getpid()
        if self.run_thread:
            self._thread = threading.Thread(target=self.run, name="hit-recorder", daemon=True)
            self._thread.start()

    def start(self) -> None:
        """Open this process's journal now (its reader thread first records what others left)."""
        with self._lock:
            if self._fd is None:
                self._open()

    def append(self, entry: dict[str, Any]) -> None:
        """Write one hit durably enough to survive this process being killed, then ring."""
        line = (json.dumps(entry, separators=(",", ":")) + "\n").encode()
        with self._lock:
            if self._fd is None or self._owner_pid != os.getpid():
                self._open()
            os.write(self._fd, line)
        self.ring()

    def ring(self) -> None:
        """Wake the reader; a full doorbell means it is awake already, none means it will
        record everything when it starts."""
        self._doorbell.send(self._bell, b"hit")

    @cached_property
    def _bell(self) -> Path:
        """The doorbell's path, found once: resolving it was a fifth of a journaled hit."""
        return self.doorbell_path()

    def record_pending(self) -> int:
        """Record every unrecorded hit of every journal in the folder; how many were read."""
        if not self.directory.is_dir():
            return 0
        lock_fd = os.open(self.directory / READER_LOCK, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(lock_fd, fcntl.LOCK_EX)
            own = self._file.path if self._file else None
            return sum(
                self._record_file(JournalFile(path), path != own)
                for path in sorted(self.directory.glob("hits-*.jsonl"))
            )
        finally:
            os.close(lock_fd)

    def _record_file(self, journal: JournalFile, may_remove: bool) -> int:
        """Record one file to its end; remove it when its writer is gone and all is recorded."""
        gone = may_remove and journal.owner_is_gone()
        total = 0
        while True:
            entries, end = journal.unrecorded()
            if not entries:
                break
            self.recorder(entries)
            journal.save_offset(end)
            total += len(entries)
        if gone:
            journal.remove()
        return total

    def run(self) -> None:
        """Record hits as they are rung in until stopped; on failure keep them and retry."""
        self.directory.mkdir(parents=True, exist_ok=True)
        doorbell = self._bind_doorbell()
        failures = 0
        housekeeping_at = 0.0  # monotonic; due at once
        try:
            while not self._stopping:
                recorded = self._safely(self.record_pending)
                if recorded is None:
                    delay = RETRY_SECONDS[min(failures, len(RETRY_SECONDS) - 1)]
                    failures += 1
                    self._wait_for_ring(doorbell, delay)
                    continue
                failures, now = 0, time.monotonic()
                if recorded:
                    housekeeping_at = min(housekeeping_at, now + HOUSEKEEPING_AFTER_HITS)
                if now >= housekeeping_at:
                    housekeeping_at = now + self._next_wait()
                until_housekeeping = housekeeping_at - time.monotonic()
                self._wait_for_ring(doorbell, max(0.0, min(self.poll_seconds, until_housekeeping)))
        finally:
            if doorbell is not None:
                doorbell.close()
                self.doorbell_path().unlink(missing_ok=True)

    def _bind_doorbell(self) -> socket.socket | None:
        """The doorbell socket, or None when another live reader holds it."""
        try:
            return bind_datagram_socket(self.doorbell_path())
        except OSError:
            log.info("another reader holds %s; looking every second", self.doorbell_path())
            return None

    def _next_wait(self) -> float:
        """How long the reader may sleep: until housekeeping is due, at most IDLE_SECONDS."""
        if self.housekeeping is None:
            return IDLE_SECONDS
        try:
            due = self.housekeeping()
        except Exception:  # noqa: BLE001 - retried after a short pause
            log.exception("the recorder's housekeeping failed; it is retried")
            return RETRY_SECONDS[0]
        return IDLE_SECONDS if due is None else min(IDLE_SECONDS, max(0.0, due))

    def _wait_for_ring(self, doorbell: socket.socket | None, timeout: float) -> None:
        """Sleep until a ring (or the timeout), then take every ring that waits."""
        if doorbell is None:
            time.sleep(min(timeout, NO_DOORBELL_SECONDS))
            return
        doorbell.settimeout(timeout)
        try:
            doorbell.recv(64)
            doorbell.setblocking(False)
            while True:
                doorbell.recv(64)
        except (TimeoutError, BlockingIOError):
            pass

    @staticmethod
    def _safely(step: Callable[[], int]) -> int | None:
        """Run a recording step, how many it read; a failure (database down) is logged, None,
        and retried later."""
        try:
            return step()
        except Exception:  # noqa: BLE001 - the hits stay in the journal and are retried
            log.exception("recording hits failed; they stay in the journal and are retried")
            return None

    def stop(self) -> None:
        """Stop the reader loop after its current pass (safe from a signal handler)."""
        self._stopping = True
        self.ring()

    def close(self) -> None:
        """Record what is left, stop the thread and release this process's file."""
        self.stop()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._safely(self.record_pending)
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
