"""`tracklog serve`: the app under gunicorn with gevent workers, never the Flask dev server.

gevent must patch the standard library before ssl, threading or psycopg are imported, or those
modules keep blocking calls that stall every greenlet of a worker (psycopg, for one, chooses its
wait function when it is imported). So `serve_forever` checks the database in the `tracklog`
process, then replaces that process with `python -m gevent.monkey --module tracklog.serving`,
which patches first and only then imports tracklog and runs gunicorn's master. Workers are forked
without a preloaded app and build it themselves (see docs/serving.md).
"""

from __future__ import annotations

import argparse
import importlib
import os
import pkgutil
import re
import resource
import signal
import ssl
import sys
from collections.abc import Sequence
from functools import partial
from typing import Any, NoReturn

from tracklog.errors import DomainError
from tracklog.supervision import Children

# Greenlets per worker: idle websockets cost ~80 KB each, so 4,000 of them fit in ~320 MB.
WORKER_CONNECTIONS = 4000
# Descriptors a worker needs beyond its sockets: log files, database and Redis connections.
SPARE_DESCRIPTORS = 256
# Seconds a stopping worker waits for its requests and sockets before it is killed.
GRACEFUL_TIMEOUT = 10
# Seconds an idle HTTP keep-alive connection stays open (websockets are not affected).
KEEPALIVE = 5
# Settings of newer gunicorn releases, applied only when the installed one knows them.
OPTIONAL_SETTINGS = {"control_socket_disable"}
# Signals that stop gunicorn's master: its children are not restarted after one of them.
STOP_SIGNALS = {signal.SIGINT, signal.SIGTERM, signal.SIGQUIT}
# What the access log never shows: tracking tokens in paths, secrets in query strings.
TOKEN_IN_PATH = re.compile(r"(/t/[oca]/)[^/?#\s\"]+")
SECRET_IN_QUERY = re.compile(
    r"([?&](?:token|ticket|code|key|secret|password|state|access_token)=)[^&#\s\"]*", re.I
)
# tracklog's modules the master does not import ahead of its workers.
NOT_PREIMPORTED = ("tracklog.desktop_listener", "tracklog.__main__", "tracklog.migrations")
# The access-log parts that carry a URL.
URL_ATOMS = ("r", "U", "q", "f")


class NotMigrated(DomainError):
    """The database is not at the revision this version of tracklog needs."""

    status = 503
    code = "not_migrated"


def serve_forever(
    host: str, port: int, https: bool, workers: int | None, smtpd: bool = True
) -> NoReturn:
    """Check the database, then become gunicorn's master (gevent workers) for the app."""
    from tracklog import create_app
    from tracklog.devcert import ensure_certificate

    app = create_app()
    require_migrated(app)
    if workers is None:
        workers = usable_cores()
    argv = [
        sys.executable,
        "-m",
        "gevent.monkey",
        "--module",
        __name__,
        f"--host={host}",
        f"--port={port}",
        f"--workers={workers}",
    ]
    if https:
        cert_path, key_path = ensure_certificate(app.instance_path)
        argv += [f"--certfile={cert_path}", f"--keyfile={key_path}"]
    if not smtpd:
        argv.append("--no-smtpd")
    sys.stdout.flush()
    sys.stderr.flush()
    os.execv(sys.executable, argv)


def usable_cores() -> int:
    """The processors this process may run on: one gevent worker each is serve's default (the
    host bus carries events between them without Redis)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def require_migrated(app: Any) -> None:
    """Raise NotMigrated unless the app's database is at the newest revision."""
    from tracklog.extensions import db
    from tracklog.migrate import current_revision, head_revision

    with app.app_context():
        try:
            current = current_revision(db.engine)
        finally:
            db.engine.dispose()
    head = head_revision()
    if current != head:
        raise NotMigrated(
            f"the database is at revision {current or 'none (empty)'}, this version needs {head}:"
            " run `tracklog db upgrade` first"
        )


def bind_address(host: str, port: int) -> str:
    """gunicorn's bind string; IPv6 addresses go in brackets."""
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"
    return f"{host}:{port}"


def gunicorn_options(
    host: str,
    port: int,
    workers: int,
    certfile: str | None = None,
    keyfile: str | None = None,
    worker_class: str = "tracklog.serving.SocketClosingWorker",
) -> dict[str, Any]:
    """The gunicorn settings of `tracklog serve` (worker_class is changeable for benchmarks)."""
    options: dict[str, Any] = {
        "bind": [bind_address(host, port)],
        "workers": workers,
        "worker_class": worker_class,
        "worker_connections": WORKER_CONNECTIONS,
        "preload_app": False,
        "graceful_timeout": GRACEFUL_TIMEOUT,
        "keepalive": KEEPALIVE,
        "proc_name": "tracklog",
        "errorlog": "-",
        "accesslog": "-",
        "logger_class": "tracklog.serving.RedactingLogger",
        "loglevel": "info",
        # Proxies are trusted by TRACKLOG_PROXY_HOPS (ProxyFix in create_app) alone.
        "forwarded_allow_ips": "",
        # Recent gunicorn opens a control socket in ~/.gunicorn shared by all instances; unneeded.
        "control_socket_disable": True,
    }
    if certfile and keyfile:
        options.update(certfile=certfile, keyfile=keyfile)
    return options


def redact(text: str) -> str:
    """A URL (or request line) with tracking tokens and secrets replaced by '…'."""
    return SECRET_IN_QUERY.sub(r"\1…", TOKEN_IN_PATH.sub(r"\1…", text))


def redacting_logger() -> type:
    """gunicorn's logger, writing one access line per request with no token in it."""
    from gunicorn.glogging import Logger

    class RedactingLogger(Logger):
        """Tracking tokens are credentials: they never reach a log file."""

        def atoms(self, resp: Any, req: Any, environ: Any, request_time: Any) -> dict[str, Any]:
            """The access-log values, with every URL redacted."""
            atoms = super().atoms(resp, req, environ, request_time)
            for name in URL_ATOMS:
                if isinstance(atoms.get(name), str):
                    atoms[name] = redact(atoms[name])
            return atoms

    return RedactingLogger


def client_address(greenlet: Any) -> str:
    """The peer of a failed connection greenlet of gevent's server, when it can be told."""
    try:
        return str(greenlet.args[2][1][0])
    except (AttributeError, IndexError, KeyError, TypeError):
        return "a client"


def log_tls_failures_in_one_line(log: Any) -> None:
    """A client that rejects the certificate is one warning, not a traceback from gevent's hub."""
    import gevent

    hub = gevent.get_hub()
    default = hub.handle_error

    def handle_error(context: Any, kind: Any, value: Any, traceback: Any) -> None:
        """One line for a failed TLS handshake; anything else as gevent reports it."""
        if isinstance(kind, type) and issubclass(kind, ssl.SSLError):
            reason = getattr(value, "reason", None) or str(value)
            log.warning(
                "TLS handshake with %s failed (%s): if it is a client that does not trust the "
                "development certificate, `tracklog cert` prints it and how to trust it",
                client_address(context),
                reason,
            )
            return
        default(context, kind, value, traceback)

    hub.handle_error = handle_error


def socket_closing_worker() -> type:
    """gunicorn's gevent worker that answers open pixels from the socket (fastpath.py) and
    closes websockets (1001) as soon as it is told to stop."""
    from gunicorn import util
    from gunicorn.sock import is_http2_negotiated
    from gunicorn.workers.ggevent import GeventWorker

    from tracklog.fastpath import PixelPath, ReplayedSocket

    class Worker(GeventWorker):
        """Clients are told to go and resume elsewhere instead of waiting out the grace period."""

        pixels: PixelPath

        def init_process(self) -> None:
            """Report failed TLS handshakes in one line, then run as gunicorn does."""
            log_tls_failures_in_one_line(self.log)
            super().init_process()

        def load_wsgi(self) -> None:
            """Build the app, then the fast path from it."""
            super().load_wsgi()
            self.pixels = PixelPath(self.wsgi, self.log, self.cfg.keepalive)

        def handle(self, listener: Any, client: Any, addr: Any) -> None:
            """Open pixels from the fast path; any other request (and the rest of its
            connection) through gunicorn, with the bytes already read replayed."""
            if isinstance(client, ssl.SSLSocket):
                client.do_handshake()
                if is_http2_negotiated(client):
                    super().handle(listener, client, addr)
                    return
            try:
                unread = self.pixels.serve(client, addr, lambda: self.alive)
            except OSError:
                unread = None
            except Exception:  # noqa: BLE001 - one connection's failure, the worker goes on
                self.log.exception("answering an open pixel failed")
                unread = None
            if unread is None:
                util.close(client)
                return
            super().handle(listener, ReplayedSocket(client, unread), addr)

        def handle_exit(self, sig: int, frame: Any) -> None:
            """Ask the hub to close every socket, then stop as gunicorn does (a worker
            told to stop while it still builds the app has no hub yet)."""
            app = getattr(self, "wsgi", None)
            hub = getattr(app, "extensions", {}).get("tracklog.hub")
            if hub is not None:
                hub.close_all("server shutting down")
            super().handle_exit(sig, frame)

    return Worker


def __getattr__(name: str) -> Any:
    """Classes built on first use: gevent must be patched before gunicorn's are imported."""
    if name == "SocketClosingWorker":
        return socket_closing_worker()
    if name == "RedactingLogger":
        return redacting_logger()
    raise AttributeError(name)


def raise_open_files_limit(wanted: int) -> int:
    """Lift the soft limit of open files towards `wanted` (bounded by the hard limit)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft != resource.RLIM_INFINITY and soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        soft = target
    return soft


def serve_arbiter(children: Children) -> type:
    """gunicorn's master, which also keeps serve's children running."""
    from gunicorn.arbiter import Arbiter

    class ServeArbiter(Arbiter):
        """Reaps and restarts the hit recorder and the BCC receiver beside the workers."""

        def start(self) -> None:
            """Report the children's restarts in gunicorn's log, then start as gunicorn does."""
            children.warn = self.log.warning
            super().start()

        def signal(self, sig: int, frame: Any) -> None:
            """A stopping signal means: do not restart children that die from here on."""
            if sig in STOP_SIGNALS:
                children.stopping = True
            super().signal(sig, frame)

        def reap_workers(self) -> None:
            """Collect our children's exits before gunicorn reaps every remaining child."""
            children.reap()
            super().reap_workers()

        def manage_workers(self) -> None:
            """Keep the workers and the children running."""
            super().manage_workers()
            children.supervise()

    return ServeArbiter


def run_gunicorn(options: dict[str, Any], load_app: Any, arbiter: type | None = None) -> None:
    """Run gunicorn's master with these settings until it is stopped (SIGTERM: graceful)."""
    from gunicorn.app.base import BaseApplication
    from gunicorn.arbiter import Arbiter

    class TracklogServer(BaseApplication):
        """gunicorn configured from a dict; each worker builds the app after gevent patched it."""

        def load_config(self) -> None:
            """Apply the settings."""
            for name, value in options.items():
                if name in self.cfg.settings or name not in OPTIONAL_SETTINGS:
                    self.cfg.set(name, value)

        def load(self) -> Any:
            """Build the WSGI app (in the worker: preload_app is off)."""
            return load_app()

        def run(self) -> None:
            """Run the master (ours, when given) as gunicorn's own `run` does."""
            try:
                (arbiter or Arbiter)(self).run()
            except RuntimeError as error:
                sys.exit(f"\nError: {error}\n")

    TracklogServer().run()


def import_tracklog_modules() -> None:
    """Import tracklog's modules in the master, once: each forked worker then finds them
    imported and only builds its app (importing them cost each worker over a second of CPU).
    Left out: the desktop listener (serve never runs it) and an installed package's Alembic
    scripts (running them is Alembic's business)."""
    import tracklog

    for module in pkgutil.walk_packages(tracklog.__path__, "tracklog."):
        if not module.name.startswith(NOT_PREIMPORTED):
            importlib.import_module(module.name)


def load_tracklog(children: Sequence[str] = ()) -> Any:
    """A worker's tracklog app: it journals hits from the start and leaves recording them to
    the `tracklog record-hits` child, so recording never holds up an answer."""
    from tracklog import create_app
    from tracklog.tracking.hits import hit_journal

    overrides = {"HIT_RECORDER_THREAD": False, "SERVE_CHILDREN": tuple(children)}
    app = create_app(overrides=overrides)
    hit_journal(app).start()
    return app


def main(argv: Sequence[str] | None = None) -> None:
    """Entry of the process `serve_forever` becomes; gevent has already patched it."""
    from gevent import monkey

    parser = argparse.ArgumentParser(prog="python -m gevent.monkey --module tracklog.serving")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5443)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--certfile")
    parser.add_argument("--keyfile")
    parser.add_argument("--no-smtpd", dest="smtpd", action="store_false")
    args = parser.parse_args(argv)
    if not monkey.is_module_patched("socket"):
        sys.exit("tracklog.serving must be started by `tracklog serve` (gevent is not patched)")
    raise_open_files_limit(WORKER_CONNECTIONS + SPARE_DESCRIPTORS)
    options = gunicorn_options(
        args.host, args.port, args.workers, certfile=args.certfile, keyfile=args.keyfile
    )
    commands = ["record-hits"] + (["smtpd"] if args.smtpd else [])
    children = Children(commands, warn=lambda line: print(line, file=sys.stderr, flush=True))
    children.start_all()
    import_tracklog_modules()
    master = os.getpid()
    try:
        run_gunicorn(options, partial(load_tracklog, commands), serve_arbiter(children))
    finally:
        # Forked workers leave through here too (gunicorn exits them with SystemExit).
        if os.getpid() == master:
            children.stop_all()


if __name__ == "__main__":
    main()
