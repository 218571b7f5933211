"""The hit journal: every hit is appended to a file before the answer, then recorded in batches.

Appending a line to a file the process holds open costs microseconds and survives the process
being killed right after answering (the kernel has the bytes). A background thread reads the new
lines and records them in the database in one transaction per batch; its position is saved only
after the commit, and each hit carries a unique id, so a replay after a crash records nothing twice.
Each process owns one journal file under an exclusive lock; on start, files whose owner died are
replayed and removed.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

Recorder = Callable[[list[dict[str, Any]]], None]
RETRY_SECONDS = (0.5, 1, 2, 5, 10, 30)


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

    def unrecorded(self, limit_bytes: int = 4 * 1024 * 1024) -> tuple[list[dict[str, Any]], int]:
        """The complete lines after the recorded position, and the position after them."""
        start = self.recorded_offset()
        with open(self.path, "rb") as handle:
            handle.seek(start)
            chunk = handle.read(limit_bytes)
        end = chunk.rfind(b"\n") + 1
        entries = []
        for line in chunk[:end].splitlines():
            try:
                entries.append(json.loads(line))
            except ValueError:
                log.error("skipping an unreadable journal line in %s", self.path)
        return entries, start + end

    def remove(self) -> None:
        """Delete the file and its position."""
        for path in (self.path, self.offset_path):
            path.unlink(missing_ok=True)


class HitJournal:
    """This process's journal and the thread that records it."""

    def __init__(self, directory: Path, recorder: Recorder, run_thread: bool = True) -> None:
        self.directory = directory
        self.recorder = recorder
        self.run_thread = run_thread
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._fd: int | None = None
        self._file: JournalFile | None = None
        self._thread: threading.Thread | None = None
        self._stopping = False

    def _open(self) -> None:
        """Create and lock this process's journal file, and start recording."""
        self.directory.mkdir(parents=True, exist_ok=True)
        name = f"hits-{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:8]}.jsonl"
        path = self.directory / name
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        self._fd, self._file = fd, JournalFile(path)
        if self.run_thread:
            self._thread = threading.Thread(target=self._run, name="hit-recorder", daemon=True)
            self._thread.start()

    def start(self) -> None:
        """Open this process's journal now; its thread first replays journals of dead processes."""
        with self._lock:
            if self._fd is None:
                self._open()

    def append(self, entry: dict[str, Any]) -> None:
        """Write one hit durably enough to survive this process being killed."""
        line = (json.dumps(entry, separators=(",", ":")) + "\n").encode()
        with self._lock:
            if self._fd is None or self._fd_for_other_process():
                self._open()
            os.write(self._fd, line)
        self._wake.set()

    def _fd_for_other_process(self) -> bool:
        """True in a forked child, which must not share its parent's journal."""
        return self._file is not None and f"-{os.getpid()}-" not in self._file.path.name

    def drain(self) -> int:
        """Record every unrecorded hit of this process's journal now; the count recorded."""
        if self._file is None:
            return 0
        total = 0
        while True:
            entries, end = self._file.unrecorded()
            if not entries:
                return total
            self.recorder(entries)
            self._file.save_offset(end)
            total += len(entries)

    def recover(self) -> int:
        """Record and remove journals left by processes that died; the count recorded."""
        total = 0
        own = self._file.path if self._file else None
        for path in sorted(self.directory.glob("hits-*.jsonl")):
            if path == own:
                continue
            fd = os.open(path, os.O_RDONLY)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                continue
            try:
                orphan = JournalFile(path)
                while True:
                    entries, end = orphan.unrecorded()
                    if not entries:
                        break
                    self.recorder(entries)
                    orphan.save_offset(end)
                    total += len(entries)
                orphan.remove()
            finally:
                os.close(fd)
        return total

    def _run(self) -> None:
        """Record hits as they arrive; on failure keep them and retry with backoff."""
        failures = 0
        self._safely(self.recover)
        while not self._stopping:
            self._wake.wait(timeout=1.0)
            self._wake.clear()
            if self._safely(self.drain):
                failures = 0
                continue
            delay = RETRY_SECONDS[min(failures, len(RETRY_SECONDS) - 1)]
            failures += 1
            self._wake.wait(timeout=delay)

    @staticmethod
    def _safely(step: Callable[[], int]) -> bool:
        """Run a recording step; a failure (database down) is logged and retried later."""
        try:
            step()
        except Exception:  # noqa: BLE001 - the hits stay in the journal and are retried
            log.exception("recording hits failed; they stay in the journal and are retried")
            return False
        return True

    def close(self) -> None:
        """Record what is left and stop the thread."""
        self._stopping = True
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._safely(self.drain)
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
