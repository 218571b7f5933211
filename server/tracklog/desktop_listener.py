"""`tracklog listen`: a user's notifications on the desktop, resumed without loss or repeat."""

# The listener runs without the Flask app (no gettext), so its few terminal messages are plain
# English; the notification texts come from the server, already in the user's language.

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import os
import random
import signal
import socket
import ssl
import tempfile
import threading
import time
import webbrowser
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit, urlunsplit

import click
from simple_websocket import Client, ConnectionClosed
from simple_websocket.errors import SimpleWebsocketError

UNAUTHORIZED = 4401
FIRST_DELAY_SECONDS = 1.0
MAX_DELAY_SECONDS = 60.0
READY_TIMEOUT_SECONDS = 10
# The server sends a heartbeat (and a ping) every 25 s when idle: 75 s of silence is a dead link.
IDLE_TIMEOUT_SECONDS = 75
PROBE_TIMEOUT_SECONDS = 5
STATE_FILE = "listen-state.json"
LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1"}


class ListenerStopped(Exception):
    """The listener cannot go on; the message says why in one line."""

    exit_code = 1


class TokenRefused(ListenerStopped):
    """The server closed the socket with 4401: the token is wrong, revoked or expired."""

    exit_code = 2


class ConnectionLost(Exception):
    """The connection failed or ended; the listener reconnects after a pause."""


class Backoff:
    """Pauses between reconnections: 1 s doubling to 60 s, with jitter, reset after a success."""

    def __init__(
        self,
        first: float = FIRST_DELAY_SECONDS,
        maximum: float = MAX_DELAY_SECONDS,
        uniform: Callable[[float, float], float] = random.uniform,
    ) -> None:
        self.first, self.maximum, self.uniform = first, maximum, uniform
        self.attempt = 0

    def ceiling(self) -> float:
        """The longest pause of the next attempt, before jitter."""
        return min(self.maximum, self.first * 2**self.attempt)

    def next_delay(self) -> float:
        """The next pause: between half and all of the ceiling, so clients do not retry in step."""
        ceiling = self.ceiling()
        self.attempt = min(self.attempt + 1, 32)
        return self.uniform(ceiling / 2, ceiling)

    def reset(self) -> None:
        """Start again from the first delay (after a successful connection)."""
        self.attempt = 0


def token_fingerprint(token: str) -> str:
    """A short hash that tells tokens apart without revealing them (not the server's hash)."""
    return hashlib.sha256(b"tracklog listen state:" + token.encode()).hexdigest()[:16]


def state_key(server: str, token: str) -> str:
    """The state file's key for one server and token."""
    return f"{server.rstrip('/')} sha256:{token_fingerprint(token)}"


def default_state_dir() -> Path:
    """The user's tracklog config folder (per platform)."""
    return Path(click.get_app_dir("tracklog"))


def write_json_atomically(path: Path, data: Any) -> None:
    """Replace a JSON file in one step, so a crash leaves the old or the new file, never half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            json.dump(data, handle, indent=2, sort_keys=True)
            handle.write("\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


class ListenState:
    """The id of the last notification shown, per server and token, kept between runs."""

    def __init__(self, folder: Path, server: str, token: str) -> None:
        self.path = Path(folder) / STATE_FILE
        self.key = state_key(server, token)

    def _read(self) -> dict[str, Any]:
        """Every stream's entry; an unreadable file counts as empty."""
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (FileNotFoundError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def load(self) -> int | None:
        """The saved resume point, or None on the first run."""
        after = (self._read().get(self.key) or {}).get("after")
        return after if isinstance(after, int) and not isinstance(after, bool) else None

    def save(self, after: int) -> None:
        """Record a new resume point (never moving backwards); other streams are kept."""
        data = self._read()
        saved = (data.get(self.key) or {}).get("after")
        if isinstance(saved, int) and saved >= after:
            return
        data[self.key] = {"after": after, "saved_at": datetime.now().astimezone().isoformat()}
        write_json_atomically(self.path, data)


def websocket_url(server: str) -> str:
    """The /ws address of a server URL (wss:// for https, ws:// for http)."""
    parts = urlsplit(server.strip())
    schemes = {"https": "wss", "http": "ws", "wss": "wss", "ws": "ws"}
    if parts.scheme not in schemes or not parts.hostname:
        raise ListenerStopped(f"the server URL must start with https:// or http://, not {server!r}")
    path = parts.path.rstrip("/") + "/ws"
    return urlunsplit((schemes[parts.scheme], parts.netloc, path, "", ""))


def default_cafile(server: str, instance_path: str) -> Path | None:
    """The instance's development certificate for a localhost server, if there is one."""
    if urlsplit(server).hostname not in LOCAL_HOSTS:
        return None
    from tracklog.devcert import certificate_paths

    cert_path, _key_path = certificate_paths(instance_path)
    return cert_path if cert_path.is_file() else None


def ssl_context_for(url: str, cafile: Path | None) -> ssl.SSLContext | None:
    """Certificate checks for wss:// (the given certificate, else the system's trust)."""
    if not url.startswith("wss://"):
        return None
    return ssl.create_default_context(cafile=str(cafile) if cafile else None)


class Show(Protocol):
    """Shows one notification to the user."""

    def __call__(self, notification: dict[str, Any]) -> None: ...


def human_line(notification: dict[str, Any]) -> str:
    """One terminal line: local time, the server's text, the message page."""
    try:
        at = datetime.fromisoformat(notification["at"]).astimezone().strftime("%H:%M")
    except (KeyError, TypeError, ValueError):
        at = "--:--"
    quiet = " (quiet hours)" if notification.get("silent") else ""
    return f"{at} {notification.get('text', '')}{quiet}  {notification.get('url', '')}".rstrip()


def print_json(notification: dict[str, Any]) -> None:
    """The frame as one JSON line on stdout, for scripts."""
    click.echo(json.dumps(notification))
    click.get_text_stream("stdout").flush()


def print_line(notification: dict[str, Any]) -> None:
    """The notification as one readable line on stdout."""
    click.echo(human_line(notification))
    click.get_text_stream("stdout").flush()


class _OneLineLog(logging.Handler):
    """desktop-notifier logs failures with tracebacks; one line on stderr is enough here."""

    def emit(self, record: logging.LogRecord) -> None:
        """Print the message and, briefly, its exception."""
        reason = f": {record.exc_info[1]}" if record.exc_info and record.exc_info[1] else ""
        click.echo(f"desktop notification: {record.getMessage()}{reason}", err=True)


class DesktopPopups:
    """Native notifications through desktop-notifier; its event loop runs on a thread for clicks."""

    def __init__(self) -> None:
        from desktop_notifier import DesktopNotifier

        log = logging.getLogger("desktop_notifier")
        log.addHandler(_OneLineLog(logging.WARNING))
        log.propagate = False
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(
            target=self.loop.run_forever, name="desktop-notifier", daemon=True
        )
        self.thread.start()

        async def create() -> DesktopNotifier:
            """The notifier, created on the loop that will hear its clicks."""
            return DesktopNotifier(app_name="tracklog")

        self.notifier = self._run(create())

    def _run(self, coroutine: Any, timeout: float = PROBE_TIMEOUT_SECONDS) -> Any:
        """Run a coroutine on the notifier's loop and wait for its result."""
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)

    def probe(self) -> None:
        """Raise unless a notification service answers (DBus, Notification Center, toasts)."""
        self._run(self.notifier.get_capabilities())

    def __call__(self, notification: dict[str, Any]) -> None:
        """Print the line; pop it up unless silent (quiet hours); a click opens the message."""
        print_line(notification)
        if notification.get("silent"):
            return
        url = notification.get("url")
        try:
            self._run(
                self.notifier.send(
                    title=notification.get("subject") or "tracklog",
                    message=notification.get("text", ""),
                    on_clicked=(lambda: webbrowser.open(url)) if url else None,
                ),
                timeout=10,
            )
        except Exception as error:  # noqa: BLE001 - the line is printed; the pop-up is a bonus
            click.echo(f"desktop notification failed: {error or type(error).__name__}", err=True)

    def close(self) -> None:
        """Stop the notifier's loop."""
        self.loop.call_soon_threadsafe(self.loop.stop)


def desktop_or_reason() -> tuple[DesktopPopups | None, str]:
    """Desktop notifications if a service answers, else None and why not."""
    try:
        from desktop_notifier.backends.dummy import DummyNotificationCenter
        from desktop_notifier.main import get_backend_class

        if issubclass(get_backend_class(), DummyNotificationCenter):
            return None, "this platform offers no notification service to desktop-notifier"
        popups = DesktopPopups()
    except ImportError:
        return None, "the desktop-notifier package is not installed"
    try:
        popups.probe()
    except Exception as error:  # noqa: BLE001 - any failure means there is no usable service
        popups.close()
        return None, str(error).splitlines()[0] if str(error) else type(error).__name__
    return popups, ""


def connect(url: str, context: ssl.SSLContext | None) -> Client:
    """An open websocket to the server, or ConnectionLost / ListenerStopped with the reason."""
    # simple_websocket takes no timeout: sockets created meanwhile get one, so a silent server
    # cannot hang the connect or, later, a read (the server is never idle for 75 s).
    previous = socket.getdefaulttimeout()
    socket.setdefaulttimeout(IDLE_TIMEOUT_SECONDS)
    try:
        return Client.connect(url, ssl_context=context)
    except ssl.SSLCertVerificationError as error:
        raise ListenerStopped(
            f"the server's certificate is not trusted ({error.verify_message}); "
            "pass --cafile with the certificate to trust (`tracklog cert` prints the dev one)"
        ) from None
    except SimpleWebsocketError as error:
        status = getattr(error, "status_code", None)
        raise ConnectionLost(f"the server refused the websocket (HTTP {status})") from None
    except OSError as error:
        raise ConnectionLost(f"cannot connect: {error.strerror or error}") from None
    finally:
        socket.setdefaulttimeout(previous)


def close_reason(closed: ConnectionClosed) -> str:
    """Why the server closed the socket, in words."""
    words = {1001: "the server is going away", 1013: "the server asked to reconnect later"}
    detail = words.get(closed.reason) or closed.message or "connection closed"
    return f"{detail} ({closed.reason})"


class NotificationListener:
    """Receives a user's notifications, shows each new one once, resumes after any disconnect."""

    def __init__(
        self,
        server: str,
        token: str,
        state: ListenState,
        show: Show,
        *,
        cafile: Path | None = None,
        once: bool = False,
        announce: Callable[[str], None] = lambda line: click.echo(line, err=True),
        sleep: Callable[[float], None] = time.sleep,
        backoff: Backoff | None = None,
    ) -> None:
        self.server, self.token, self.state, self.show = server.rstrip("/"), token, state, show
        self.url = websocket_url(server)
        self.context = ssl_context_for(self.url, cafile)
        self.once, self.announce, self.sleep = once, announce, sleep
        self.backoff = backoff or Backoff()
        self.after = state.load()

    def run(self) -> None:
        """Listen until --once is satisfied; ListenerStopped when going on makes no sense."""
        while True:
            try:
                if self._session():
                    return
            except ConnectionLost as lost:
                delay = self.backoff.next_delay()
                self.announce(f"{lost}; reconnecting in {delay:.1f} s")
                self.sleep(delay)

    def _session(self) -> bool:
        """One connection: authenticate, then show notifications; True once --once is done."""
        client = connect(self.url, self.context)
        try:
            self._send(client, {"type": "auth", "token": self.token, "after": self.after})
            ready = self._next_frame(client, READY_TIMEOUT_SECONDS)
            if ready is None or ready.get("type") != "ready":
                raise ConnectionLost("the server did not answer the authentication")
            self.backoff.reset()
            if self.after is None:
                # First run: start live, but from a fixed point so a disconnect loses nothing.
                self.after = ready.get("after") or 0
                self.state.save(self.after)
            self.announce(f"listening to {self.server} (after notification {self.after})")
            while True:
                frame = self._next_frame(client, IDLE_TIMEOUT_SECONDS)
                if frame is None:
                    raise ConnectionLost(f"silence for {IDLE_TIMEOUT_SECONDS} s: link is dead")
                if self.receive(frame) and self.once:
                    return True
        finally:
            try:
                client.close()
            except (ConnectionClosed, OSError):
                pass

    def receive(self, frame: dict[str, Any]) -> bool:
        """Show a notification newer than the last one shown and record it; whether it was new."""
        if frame.get("type") != "notification":
            return False
        notification_id = frame.get("id")
        if not isinstance(notification_id, int) or (
            self.after is not None and notification_id <= self.after
        ):
            return False
        self.show(frame)
        self.after = notification_id
        self.state.save(notification_id)
        return True

    @staticmethod
    def _send(client: Client, message: dict[str, Any]) -> None:
        """Send one JSON frame."""
        try:
            client.send(json.dumps(message))
        except ConnectionClosed as closed:
            raise _lost(closed) from None
        except OSError as error:
            raise ConnectionLost(f"connection lost: {error.strerror or error}") from None

    @staticmethod
    def _next_frame(client: Client, timeout: float) -> dict[str, Any] | None:
        """The next frame other than a heartbeat, or None after `timeout` seconds of silence."""
        while True:
            try:
                raw = client.receive(timeout=timeout)
            except ConnectionClosed as closed:
                raise _lost(closed) from None
            except OSError as error:
                raise ConnectionLost(f"connection lost: {error.strerror or error}") from None
            if raw is None:
                return None
            try:
                frame = json.loads(raw)
            except ValueError:
                raise ConnectionLost("the server sent a frame that is not JSON") from None
            if isinstance(frame, dict) and frame.get("type") != "heartbeat":
                return frame


def _lost(closed: ConnectionClosed) -> Exception:
    """TokenRefused for 4401, else ConnectionLost (reconnect)."""
    if closed.reason == UNAUTHORIZED:
        return TokenRefused(
            "the server refused the token (wrong, revoked or expired); "
            "create one with `tracklog token create EMAIL`"
        )
    return ConnectionLost(close_reason(closed))


def _interrupt(_signum: int, _frame: Any) -> None:
    """SIGTERM stops the listener like Ctrl-C."""
    raise KeyboardInterrupt


def listen(
    server: str,
    token: str,
    *,
    cafile: Path | None = None,
    as_json: bool = False,
    once: bool = False,
    state_dir: Path | None = None,
) -> None:
    """Run the listener in this terminal until Ctrl-C (or the first notification with --once)."""
    websocket_url(server)  # a malformed URL stops here, before anything is shown
    state = ListenState(state_dir or default_state_dir(), server, token)
    popups = None
    if as_json:
        show: Show = print_json
    else:
        popups, reason = desktop_or_reason()
        if popups:
            click.echo("showing desktop notifications (and printing them here)", err=True)
            show = popups
        else:
            click.echo(f"no desktop notifications ({reason}); printing them here", err=True)
            show = print_line
    listener = NotificationListener(server, token, state, show, cafile=cafile, once=once)
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _interrupt)
    try:
        listener.run()
    except KeyboardInterrupt:
        click.echo("stopped", err=True)
    finally:
        if popups:
            popups.close()
