"""The children of `tracklog serve` (the hit recorder, the BCC receiver), kept running.

A child that dies is started again at once; one that keeps dying is started again after a growing
pause. gunicorn's master reaps every child process it has (`waitpid(-1)`), ours included, so the
master asks for our children's exits first (`Children.reap`, called from serving's arbiter) and
restarts what is due on every turn of its loop (`Children.supervise`, at least once a second).
"""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field

# tracklog's own commands, without relying on the console script being on PATH.
TRACKLOG_COMMAND = [sys.executable, "-c", "from tracklog.cli import main; main()"]
# Pauses before restarting a child that died again soon after its last start.
RESTART_DELAYS = (0.0, 1.0, 2.0, 5.0, 10.0, 30.0)
# A child that ran this long is well again: its next death restarts it at once.
STEADY_SECONDS = 30.0
# Seconds a child gets to finish when serve stops.
STOP_TIMEOUT = 10
# Linux's prctl option asking for a signal when the parent process dies.
PR_SET_PDEATHSIG = 1
# What each child is called in the log and in /healthz.
LABELS = {"record-hits": "hit recorder", "smtpd": "BCC receiver"}


def exit_in_words(status: int) -> str:
    """A wait status as a person reads it."""
    code = os.waitstatus_to_exitcode(status)
    if code < 0:
        return f"was killed by {signal.Signals(-code).name}"
    return f"exited with status {code}"


@dataclass
class Child:
    """One supervised tracklog command."""

    command: str
    process: subprocess.Popen[bytes] | None = None
    started_at: float = 0.0
    failures: int = 0
    restart_at: float | None = None
    restarted: bool = False

    @property
    def label(self) -> str:
        """What the log calls it."""
        return LABELS.get(self.command, self.command)

    def start(self, now: float) -> None:
        """Run the command, configured from the same environment as serve."""
        self.process = subprocess.Popen(
            [*TRACKLOG_COMMAND, self.command], preexec_fn=stop_with_parent
        )
        self.started_at, self.restart_at = now, None


def stop_with_parent() -> None:
    """In a child before it runs: SIGTERM it when serve's master dies, even by SIGKILL, so no
    second recorder or receiver outlives it (Linux; elsewhere nothing)."""
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


@dataclass
class Children:
    """serve's children, with the log they report to."""

    commands: list[str]
    warn: Callable[[str], None]
    clock: Callable[[], float] = time.monotonic
    stopping: bool = False
    children: list[Child] = field(default_factory=list)

    def start_all(self) -> None:
        """Start every child."""
        self.children = [Child(command) for command in self.commands]
        for child in self.children:
            child.start(self.clock())

    def reap(self) -> None:
        """Collect the exit of every child that died, and plan its restart."""
        for child in self.children:
            if child.process is None or child.restart_at is not None:
                continue
            try:
                pid, status = os.waitpid(child.process.pid, os.WNOHANG)
            except ChildProcessError:
                pid, status = child.process.pid, 0
            if pid:
                self._plan_restart(child, exit_in_words(status))

    def _plan_restart(self, child: Child, how: str) -> None:
        """Schedule a restart: at once, or later when it keeps dying."""
        now = self.clock()
        died_again_soon = child.restarted and now - child.started_at < STEADY_SECONDS
        child.failures = child.failures + 1 if died_again_soon else 0
        delay = RESTART_DELAYS[min(child.failures, len(RESTART_DELAYS) - 1)]
        child.restart_at = now + delay
        if not self.stopping:
            self.warn(
                f"the {child.label} (pid {child.process.pid}) {how}; restarting it in {delay:g} s"
            )

    def supervise(self) -> None:
        """Restart the children that are due (never while serve is stopping)."""
        if self.stopping:
            return
        now = self.clock()
        for child in self.children:
            if child.restart_at is not None and child.restart_at <= now:
                child.start(now)
                child.restarted = True
                self.warn(f"the {child.label} runs again (pid {child.process.pid})")

    def stop_all(self) -> None:
        """SIGTERM every child and wait for it (killing it if it does not stop in time)."""
        self.stopping = True
        for child in self.children:
            if child.process is not None and child.restart_at is None:
                stop_process(child.process)


def stop_process(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM a process and wait for it, killing it after STOP_TIMEOUT."""
    try:
        if process.poll() is None:
            process.terminate()
        process.wait(timeout=STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    except (ChildProcessError, ProcessLookupError):
        pass  # gunicorn's master reaped it already
