"""Unix datagram sockets that carry small messages between the processes of one host.

The processes of one `tracklog serve` (web workers, the hit recorder, the BCC receiver) share an
instance folder; a socket file in it is how one process wakes or tells another without Redis and
without polling. A socket path may be at most 107 bytes long: a folder too deep for that is
replaced by a short folder in the system's temporary directory, named after the long one, so
every process of the instance finds the same place.
"""

from __future__ import annotations

import errno
import hashlib
import os
import socket
import tempfile
import time
from pathlib import Path

# sun_path holds 108 bytes with the terminating NUL (Linux; macOS allows 104).
MAX_SOCKET_PATH = 100
# Room for the longest socket name used inside a folder.
NAME_ROOM = 24
# Receive buffer asked for (the kernel may cap it); a notification is a few hundred bytes.
BUFFER_BYTES = 1 << 20
# Pause between attempts to send to a receiver whose queue is full.
RETRY_SECONDS = 0.001


def socket_folder(folder: Path) -> Path:
    """The folder for sockets of `folder`: itself, or a short stand-in when it is too deep."""
    folder = folder.resolve()
    if len(os.fsencode(folder)) + NAME_ROOM <= MAX_SOCKET_PATH:
        chosen = folder
    else:
        digest = hashlib.sha256(os.fsencode(folder)).hexdigest()[:16]
        chosen = Path(tempfile.gettempdir()) / f"tracklog-{os.getuid()}-{digest}"
    chosen.mkdir(mode=0o700, parents=True, exist_ok=True)
    return chosen


def bind_datagram_socket(path: Path) -> socket.socket:
    """A datagram socket bound at `path`, replacing a file left behind by a dead process."""
    receiver = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    receiver.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, BUFFER_BYTES)
    try:
        receiver.bind(str(path))
    except OSError as error:
        if error.errno != errno.EADDRINUSE or is_listening(path):
            receiver.close()
            raise
        path.unlink(missing_ok=True)
        receiver.bind(str(path))
    os.chmod(path, 0o600)
    return receiver


def is_listening(path: Path) -> bool:
    """Whether a live process holds the socket at `path`."""
    probe = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    try:
        probe.connect(str(path))
    except OSError:
        return False
    finally:
        probe.close()
    return True


class DatagramSender:
    """Sends datagrams to sockets by path from one unbound socket of this process."""

    def __init__(self) -> None:
        self._socket: socket.socket | None = None
        self._pid: int | None = None

    def _sender(self) -> socket.socket:
        """This process's sending socket (a forked child makes its own)."""
        if self._socket is None or self._pid != os.getpid():
            self._socket = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
            self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, BUFFER_BYTES)
            self._socket.setblocking(False)
            self._pid = os.getpid()
        return self._socket

    def send(self, path: Path, payload: bytes, timeout: float = 0) -> bool:
        """Deliver one datagram, waiting up to `timeout` while the receiver's queue is full.

        False when nobody listens there (a file left by a process that has gone is removed, so
        later sends skip it) or the receiver stayed full for the whole timeout.
        """
        deadline = time.monotonic() + timeout
        while True:
            try:
                self._sender().sendto(payload, str(path))
                return True
            except BlockingIOError:
                # An unconnected datagram socket cannot wait for room with poll(): retry shortly.
                if time.monotonic() >= deadline:
                    return False
                time.sleep(RETRY_SECONDS)
            except (ConnectionRefusedError, FileNotFoundError):
                if path.exists() and not is_listening(path):
                    path.unlink(missing_ok=True)
                return False
