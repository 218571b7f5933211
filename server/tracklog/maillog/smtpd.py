"""The BCC receiver: SMTP that says 250 only once the logging copy is stored."""

from __future__ import annotations

import asyncio
import logging
import os
import queue
import re
import signal
import ssl
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any
from weakref import WeakKeyDictionary

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session, syntax
from flask import Flask

from tracklog.extensions import db
from tracklog.loggingaddress import PREFIX
from tracklog.maillog.store import (
    LoggingAddress,
    MailTooLarge,
    due_for_processing,
    inbound_row,
    next_retry_at,
    refuse_too_large,
    resolve_logging_address,
    store_rows,
)
from tracklog.models import utcnow

log = logging.getLogger(__name__)

# RFC 5321 allows 1,000-byte lines, but senders do send longer ones (some pass bare-LF mail on,
# which is one long line over SMTP) and a 5xx would bounce the copy back to the salesperson: a
# line may be as long as the whole mail may be, at least this long.
MIN_LINE_BYTES = 1024 * 1024
# Threads that talk to the database for RCPT and prepare the rows of DATA, so that a slow
# database never stalls the loop.
STORE_THREADS = 4
# The mails of at most this many SMTP sessions go into one INSERT and one commit.
GROUP_COMMIT_MAILS = 64
# Mail is processed in batches (one transaction each) on a few threads: a slow batch never
# holds up the next one. Fewer threads than the SMTP sessions: they share the interpreter with
# the receiver's loop, which must keep answering.
PROCESS_THREADS = 2
PROCESS_BATCH = 25
PROCESS_NICENESS = 5
# Stored mail that is due is looked for this often (sooner when a retry is due), whatever else
# arrives: mail whose attempt failed, left by a crash, or not even recorded (database down). One
# indexed query: an idle receiver still costs next to nothing.
SWEEP_SECONDS = 5
SWEEP_AFTER_ERROR_SECONDS = 10

ProcessStored = Callable[[list[int]], None]

TRY_LATER_CHECK = "451 4.3.0 cannot check the address now, try again later"
TRY_LATER_STORE = "451 4.3.0 cannot store the message now, try again later"
TOO_LARGE = "552 5.3.4 message size exceeds fixed maximum message size"
SIZE_PARAMETER = re.compile(r"\s+SIZE=(\d+)", re.IGNORECASE)


def printable(address: str) -> str:
    """The address as text a database and an SMTP reply accept (8-bit junk replaced, no NUL)."""
    text = address.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    return text.replace("\x00", "").replace("\r", "").replace("\n", "")


class BccSMTP(SMTP):
    """aiosmtpd's SMTP session, accepting lines as long as the mail may be; a mail refused for
    its size leaves a why for its sender."""

    declared_size = 0
    last_reply = ""

    def __init__(self, handler: Any, *, data_size_limit: int | None = None, **kwargs: Any) -> None:
        """A session whose lines may be as long as SIZE allows (aiosmtpd reads this limit here)."""
        self.line_length_limit = max(MIN_LINE_BYTES, (data_size_limit or 0) + 2)
        super().__init__(handler, data_size_limit=data_size_limit, **kwargs)

    @syntax("MAIL FROM: <address>", extended=" [SP <mail-parameters>]")
    async def smtp_MAIL(self, arg: str | None) -> None:
        """MAIL; a declared SIZE past the cap is refused at RCPT instead (RFC 5321 allows 552
        there), where the logging address says whose mail it is."""
        found = SIZE_PARAMETER.search(arg or "")
        declared = int(found.group(1)) if found else 0
        if arg and self.over_limit(declared):
            arg = SIZE_PARAMETER.sub("", arg, count=1)
        await super().smtp_MAIL(arg)
        if self.last_reply.startswith("250"):
            self.declared_size = declared

    @syntax("DATA")
    async def smtp_DATA(self, arg: str) -> None:
        """DATA; aiosmtpd answers a mail that outgrows SIZE unannounced with 552 by itself."""
        envelope = self.envelope
        await super().smtp_DATA(arg)
        if self.last_reply.startswith("552"):
            await self.event_handler.refused_data(envelope, self)

    async def push(self, status: str | bytes) -> None:
        """Send a reply, remembering it (the only sign of aiosmtpd's own 552 after DATA)."""
        self.last_reply = status if isinstance(status, str) else status.decode("ascii", "replace")
        await super().push(status)

    def over_limit(self, size: int) -> bool:
        """Whether a size is past the SIZE this receiver advertises."""
        return bool(self.data_size_limit) and size > self.data_size_limit


class BccHandler:
    """aiosmtpd hooks: accept known logging addresses, store each copy, pass it on to processing."""

    def __init__(
        self,
        app: Flask,
        executor: ThreadPoolExecutor,
        writer: GroupCommit,
        stored: Callable[[list[int]], None],
    ) -> None:
        self.app = app
        self.executor = executor
        self.writer = writer
        self.stored = stored
        self.accepted: WeakKeyDictionary[Envelope, list[tuple[str, LoggingAddress]]]
        self.accepted = WeakKeyDictionary()

    async def handle_RCPT(
        self,
        server: BccSMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        """250 for a logging address of a known account, 550 for any other (naming the new
        address when the old one's grace period is over), 451 if unsure."""
        try:
            found = await self._off_loop(self._resolve, address)
        except Exception:
            log.exception("cannot check the logging address %s", printable(address))
            return TRY_LATER_CHECK
        if found is None:
            return f"550 5.1.1 <{printable(address)}>: no such logging address"
        if found.replaced_by:
            return f"550 5.1.1 <{printable(address)}>: replaced by {found.replaced_by}"
        if server.over_limit(server.declared_size):
            await self._leave_why([(address, found)], envelope, server)
            return TOO_LARGE
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        self.accepted.setdefault(envelope, []).append((address, found))
        return "250 2.1.5 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        """250 once every account's copy is committed; 451 on any failure, so the sender retries."""
        copies = self.accepted.pop(envelope, [])
        if not copies:
            return "554 5.5.1 no valid recipients"
        raw = envelope.original_content or envelope.content or b""
        if isinstance(raw, str):
            raw = raw.encode("utf-8", "surrogateescape")
        try:
            ids = await self._store(copies, raw, envelope.mail_from or "")
        except MailTooLarge:
            return TOO_LARGE
        except Exception:
            log.exception("cannot store a message from %s", printable(envelope.mail_from or ""))
            return TRY_LATER_STORE
        return f"250 2.0.0 stored as {', '.join(map(str, ids))}"

    async def refused_data(self, envelope: Envelope, server: BccSMTP) -> None:
        """A mail aiosmtpd refused past SIZE during DATA: a why for each account it was for."""
        await self._leave_why(self.accepted.pop(envelope, []), envelope, server)

    async def _leave_why(
        self, copies: list[tuple[str, LoggingAddress]], envelope: Envelope, server: BccSMTP
    ) -> None:
        """Record a too-large refusal once per account; a failure is only logged (552 stands)."""
        limit = server.data_size_limit
        # Without a declared SIZE, only "more than the limit" is known of a mail cut off in DATA.
        size = server.declared_size if server.over_limit(server.declared_size) else limit + 1
        try:
            await self._off_loop(self._refuse, copies, envelope.mail_from or "", size, limit)
        except Exception:
            log.exception(
                "cannot record the refusal of a mail from %s", printable(envelope.mail_from or "")
            )

    async def handle_exception(self, error: Exception) -> str:
        """Any unforeseen failure is temporary for the sender: a 5xx would bounce the copy."""
        log.error("SMTP session failed", exc_info=error)
        return "451 4.3.0 temporary failure, try again later"

    async def _off_loop(self, function: Callable[..., Any], *args: Any) -> Any:
        """Run a blocking database call on the store threads."""
        return await asyncio.get_running_loop().run_in_executor(self.executor, function, *args)

    def _resolve(self, address: str) -> LoggingAddress | None:
        """The account a recipient address logs to, looked up in an app context of its own."""
        with self.app.app_context():
            return resolve_logging_address(address)

    def _refuse(
        self, copies: list[tuple[str, LoggingAddress]], sender: str, size: int, limit: int
    ) -> None:
        """The why of a refused mail, in each account it was for."""
        with self.app.app_context():
            for address, found in {pair[1].account_id: pair for pair in copies}.values():
                refuse_too_large(
                    found.account_id,
                    "smtp",
                    size,
                    limit,
                    envelope_from=printable(sender),
                    envelope_to=printable(address),
                    draft_public_id=found.draft_public_id,
                )

    async def _store(
        self, copies: list[tuple[str, LoggingAddress]], raw: bytes, sender: str
    ) -> list[int]:
        """Commit one copy per account (with the other sessions' mails: GroupCommit), then pass
        them on to processing."""
        rows = await self._off_loop(self._rows, copies, raw, sender)
        ids = await asyncio.wrap_future(self.writer.submit(rows))
        self.stored(ids)
        return ids

    def _rows(
        self, copies: list[tuple[str, LoggingAddress]], raw: bytes, sender: str
    ) -> list[dict[str, Any]]:
        """The rows of one copy per account (MailTooLarge past the size limit)."""
        rows: dict[int, dict[str, Any]] = {}
        with self.app.app_context():
            for address, found in copies:
                if found.account_id not in rows:
                    rows[found.account_id] = inbound_row(
                        found.account_id,
                        "smtp",
                        raw,
                        envelope_from=printable(sender),
                        envelope_to=printable(address),
                        draft_public_id=found.draft_public_id,
                    )
        return list(rows.values())


class GroupCommit:
    """The one thread that stores received mail: what every SMTP session handed in while the
    previous batch was being committed goes into the next, with one INSERT and one commit, so
    eight sessions pay for one flush to disk instead of eight. Each session still answers 250
    only once its own rows are committed."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self._queue: queue.Queue[tuple[list[dict[str, Any]], Future[list[int]]] | None]
        self._queue = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="smtpd-store", daemon=True)
        self._thread.start()

    def submit(self, rows: list[dict[str, Any]]) -> Future[list[int]]:
        """The ids of the rows once committed, or the error that kept them from it."""
        future: Future[list[int]] = Future()
        self._queue.put((rows, future))
        return future

    def stop(self) -> None:
        """Store what was handed in, then end the thread."""
        self._queue.put(None)
        self._thread.join(timeout=30)

    def _run(self) -> None:
        """Commit batches until stopped."""
        while True:
            first = self._queue.get()
            if first is None:
                return
            batch = [first]
            while len(batch) < GROUP_COMMIT_MAILS:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is None:
                    self._queue.put(None)  # stop once this batch is committed
                    break
                batch.append(item)
            self._commit(batch)

    def _commit(self, batch: list[tuple[list[dict[str, Any]], Future[list[int]]]]) -> None:
        """One INSERT for the batch; if it fails, each session's rows alone, so that one bad
        mail gets its 451 without taking the others with it."""
        with self.app.app_context():
            try:
                ids = store_rows([row for rows, _future in batch for row in rows])
            except Exception:
                db.session.rollback()
                for rows, future in batch:
                    self._commit_alone(rows, future)
                return
        for rows, future in batch:
            future.set_result(ids[: len(rows)])
            ids = ids[len(rows) :]

    def _commit_alone(self, rows: list[dict[str, Any]], future: Future[list[int]]) -> None:
        """One session's rows in a transaction of their own."""
        try:
            future.set_result(store_rows(rows))
        except Exception as error:  # noqa: BLE001 - the session answers 451 for it
            db.session.rollback()
            future.set_exception(error)


class ReceiverController(Controller):
    """aiosmtpd's threaded controller, building BccSMTP sessions."""

    def factory(self) -> SMTP:
        """One session per connection."""
        return BccSMTP(self.handler, **self.SMTP_kwargs)


class SmtpReceiver:
    """The BCC receiver on a port: SMTP in a thread, stores on a pool, processing on another."""

    def __init__(
        self,
        app: Flask,
        host: str | None = None,
        port: int | None = None,
        *,
        process: ProcessStored | None = None,
        certfile: str | Path | None = None,
        keyfile: str | Path | None = None,
        max_message_bytes: int | None = None,
    ) -> None:
        self.app = app
        self.host = host or app.config["SMTP_HOST"]
        self.port = port or app.config["SMTP_PORT"]
        self.process = process
        self.certfile = certfile
        self.keyfile = keyfile
        self.max_message_bytes = max_message_bytes or app.config["MAX_MAIL_BYTES"]
        self._queue: queue.Queue[int | None] = queue.Queue()
        self._in_flight: set[int] = set()
        self._lock = threading.Lock()
        self._worker: threading.Thread | None = None
        self._executor: ThreadPoolExecutor | None = None
        self._writer: GroupCommit | None = None
        self._controller: ReceiverController | None = None

    def start(self) -> None:
        """Listen, and hand over to processing what an earlier run stored but never processed."""
        if self.process is not None:
            self._worker = threading.Thread(
                target=self._process_forever, name="smtpd-process", daemon=True
            )
            self._worker.start()
        self._executor = ThreadPoolExecutor(STORE_THREADS, thread_name_prefix="smtpd-rcpt")
        self._writer = GroupCommit(self.app)
        handler = BccHandler(self.app, self._executor, self._writer, self._hand_over)
        self._controller = ReceiverController(
            handler,
            hostname=self.host,
            port=self.port,
            server_hostname=self.app.config["BCC_DOMAIN"],
            ident="tracklog",
            data_size_limit=self.max_message_bytes,
            enable_SMTPUTF8=True,
            decode_data=False,
            tls_context=self._tls_context(),
            require_starttls=False,
        )
        try:
            self._controller.start()
        except BaseException:
            self._controller = None
            self.stop()
            raise

    def stop(self) -> None:
        """Stop listening; mail not yet processed stays stored for the next start to pick up."""
        if self._controller is not None:
            self._controller.stop()
            self._controller = None
        if self._executor is not None:
            self._executor.shutdown(wait=True)
            self._executor = None
        if self._writer is not None:
            self._writer.stop()
            self._writer = None
        if self._worker is not None:
            self._queue.put(None)
            self._worker.join(timeout=30)
            self._worker = None

    def _tls_context(self) -> ssl.SSLContext:
        """The STARTTLS context: the configured certificate, else the development one."""
        certfile, keyfile = self.certfile, self.keyfile
        if not (certfile and keyfile):
            from tracklog.devcert import ensure_certificate

            certfile, keyfile = ensure_certificate(self.app.instance_path)
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(certfile, keyfile)
        return context

    def _hand_over(self, ids: list[int]) -> None:
        """Queue stored mail for processing (nothing to do until a pipeline is plugged in)."""
        if self.process is not None:
            for inbound_id in ids:
                self._queue.put(inbound_id)

    def _process_forever(self) -> None:
        """Process new ids in batches on a few threads, and sweep for stored mail that is due
        (left by an earlier run, or waiting for its retry) on a schedule of its own, until
        stopped. A batch is taken only when a thread is free: what arrives meanwhile waits in
        the queue and goes into the next batch, so batches grow with the load."""
        free = threading.Semaphore(PROCESS_THREADS)
        with ThreadPoolExecutor(
            PROCESS_THREADS, thread_name_prefix="smtpd-process", initializer=yield_to_receiver
        ) as pool:
            next_sweep = 0.0
            while True:
                if time.monotonic() >= next_sweep:
                    next_sweep = time.monotonic() + self._sweep()
                free.acquire()
                batch = self._next_batch(max(0.0, next_sweep - time.monotonic()))
                if batch is None:
                    return
                self._submit(pool, batch, free)

    def _next_batch(self, timeout: float) -> list[int] | None:
        """Up to PROCESS_BATCH queued ids, waiting at most timeout for the first; None to stop."""
        batch: list[int] = []
        try:
            item = self._queue.get(timeout=timeout)
            while item is not None:
                batch.append(item)
                if len(batch) == PROCESS_BATCH:
                    return batch
                item = self._queue.get_nowait()
        except queue.Empty:
            return batch
        if batch:
            self._queue.put(None)  # stop once this batch is on its way
            return batch
        return None

    def _sweep(self) -> float:
        """Queue the stored mail that is due; the seconds until the next sweep."""
        try:
            with self.app.app_context():
                now = utcnow()
                due, upcoming = due_for_processing(now), next_retry_at(now)
        except Exception:
            log.exception("cannot list stored mail awaiting processing; looking again soon")
            return SWEEP_AFTER_ERROR_SECONDS
        for inbound_id in due:
            self._queue.put(inbound_id)
        if upcoming is None:
            return SWEEP_SECONDS
        return min(SWEEP_SECONDS, max(0.1, (upcoming - utcnow()).total_seconds()))

    def _submit(
        self, pool: ThreadPoolExecutor, batch: list[int], free: threading.Semaphore
    ) -> None:
        """Process the mails of a batch not being processed already on the pool."""
        with self._lock:
            batch = [
                inbound_id
                for inbound_id in dict.fromkeys(batch)
                if inbound_id not in self._in_flight
            ]
            self._in_flight.update(batch)
        if batch:
            pool.submit(self._process_batch, batch, free)
        else:
            free.release()

    def _process_batch(self, batch: list[int], free: threading.Semaphore) -> None:
        """Run the processing callback in an app context; a failure is logged, never raised."""
        assert self.process is not None
        try:
            with self.app.app_context():
                self.process(batch)
        except Exception:
            log.exception("processing stored mail %s failed", batch)
        finally:
            with self._lock:
                self._in_flight.difference_update(batch)
            free.release()


def yield_to_receiver() -> None:
    """Give a processing thread a lower priority than the receiver's loop (Linux schedules
    threads one by one), so that answering SMTP sessions comes first under load."""
    if hasattr(os, "setpriority"):
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), PROCESS_NICENESS)


def run_until_signalled(receiver: SmtpReceiver, announce: Callable[[str], None]) -> None:
    """Run the receiver until SIGINT or SIGTERM, then stop it cleanly."""
    stopping = threading.Event()
    previous = {
        number: signal.signal(number, lambda *_: stopping.set())
        for number in (signal.SIGINT, signal.SIGTERM)
    }
    try:
        receiver.start()
        announce(
            f"BCC receiver listening on {receiver.host}:{receiver.port} (SMTP, STARTTLS) for "
            f"{PREFIX}<key>@{receiver.app.config['BCC_DOMAIN']}"
        )
        while not stopping.wait(1):
            pass
    finally:
        receiver.stop()
        for number, handler in previous.items():
            signal.signal(number, handler)
