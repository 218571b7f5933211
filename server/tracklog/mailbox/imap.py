"""The IMAP connector: connect a mailbox by host, port, TLS, user and app password, and sync its
INBOX and Sent folder into the CRM.

Each folder keeps its UIDVALIDITY, the last UID logged and the day its sync starts from (30 days
before its first sync) in the connection's state; a pass fetches only UIDs above the last one,
with BODY.PEEK[] in a folder opened read-only, so nothing is ever marked as read. A folder whose
UIDVALIDITY changed is synced from the start again (its mail is found again by Message-ID, never
logged twice). A pass logs at most BATCH mails and asks to run again at once when more wait;
otherwise the mailbox is polled again after POLL (no IDLE: see docs/incoming.md).
"""

from __future__ import annotations

import imaplib
import ipaddress
import re
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

from flask import current_app
from flask_babel import gettext as _

from tracklog.errors import DomainError, ValidationFailed
from tracklog.mailbox.connections import connect, secret_of
from tracklog.mailbox.intake import log_synced_mail
from tracklog.mailbox.schedule import MailboxSyncError
from tracklog.maillog.store import mail_size_limit, refuse_too_large
from tracklog.models import User, utcnow
from tracklog.models.mailbox import MailboxConnection

SECURITY_MODES = ("tls", "starttls", "none")
DEFAULT_PORTS = {"tls": 993, "starttls": 143, "none": 143}
TIMEOUT_SECONDS = 10
POLL = timedelta(minutes=2)
BATCH = 200
FIRST_SYNC_DAYS = 30
# Sent folders without the SPECIAL-USE \Sent flag, by the names clients give them.
SENT_NAMES = ("Sent", "Sent Items", "Sent Messages")
# How long after a failure a mailbox is tried again: a refused password waits for the user.
RETRY = {
    "imap_login_failed": timedelta(hours=1),
    "imap_tls_failed": timedelta(hours=1),
    "imap_unreachable": timedelta(minutes=5),
}
TEXT_FIELDS = {"host": 255, "username": 320, "password": 1000, "address": 320}
HOST = re.compile(r"[A-Za-z0-9.:\[\]_-]+")
UID_ITEM = re.compile(rb"\bUID (\d+)")
SIZE_ITEM = re.compile(rb"\bRFC822\.SIZE (\d+)")
LIST_LINE = re.compile(rb'^\((?P<flags>[^)]*)\) (?:"(?:[^"\\]|\\.)*"|NIL) (?P<name>.+)$')


class ImapFailure(DomainError):
    """The IMAP server could not be reached, refused TLS or refused the password."""

    status = 422
    code = "imap_unreachable"


def _security_error(message: str) -> ImapFailure:
    """A TLS failure: a certificate not trusted, or no TLS offered."""
    return ImapFailure(message, code="imap_tls_failed")


def is_loopback(host: str) -> bool:
    """Whether the host is this machine (the only place plaintext IMAP is allowed)."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def tls_context() -> ssl.SSLContext:
    """A verifying TLS context: the system's CAs and the TRACKLOG_IMAP_CA_BUNDLE's."""
    context = ssl.create_default_context()
    bundle = current_app.config.get("IMAP_CA_BUNDLE")
    if bundle:
        context.load_verify_locations(cafile=bundle)
    return context


def _open(settings: dict[str, Any]) -> imaplib.IMAP4:
    """A connection to the server, secured as the settings say (not logged in)."""
    host, port, security = settings["host"], settings["port"], settings["security"]
    try:
        if security == "tls":
            return imaplib.IMAP4_SSL(host, port, ssl_context=tls_context(), timeout=TIMEOUT_SECONDS)
        client = imaplib.IMAP4(host, port, timeout=TIMEOUT_SECONDS)
        if security == "starttls":
            _start_tls(client)
        return client
    except ssl.SSLError as error:
        raise _security_error(
            _("The IMAP server's TLS could not be verified: %(reason)s", reason=error)
        ) from error
    except imaplib.IMAP4.error as error:
        if security == "starttls" and "STARTTLS" in str(error).upper():
            raise _security_error(_("The IMAP server does not offer STARTTLS.")) from error
        raise ImapFailure(
            _("The IMAP server answered unexpectedly: %(reason)s", reason=error)
        ) from error
    except (OSError, UnicodeError) as error:
        raise ImapFailure(
            _(
                "The IMAP server %(host)s:%(port)s could not be reached: %(reason)s",
                host=host,
                port=port,
                reason=error,
            )
        ) from error


def _start_tls(client: imaplib.IMAP4) -> None:
    """Upgrade a plain connection to TLS, closing it when that fails."""
    try:
        client.starttls(tls_context())
    except (imaplib.IMAP4.error, OSError):
        client.shutdown()
        raise


def _log_in(client: imaplib.IMAP4, username: str, password: str) -> None:
    """Log in; AUTHENTICATE PLAIN carries a password that is not ASCII, LOGIN cannot."""
    try:
        if username.isascii() and password.isascii():
            client.login(username, password)
        else:
            plain = b"\0" + username.encode() + b"\0" + password.encode()
            client.authenticate("PLAIN", lambda _challenge: plain)
    except imaplib.IMAP4.abort as error:
        raise ImapFailure(
            _("The IMAP server closed the connection: %(reason)s", reason=error)
        ) from error
    except imaplib.IMAP4.error as error:
        raise ImapFailure(
            _("The IMAP server refused the user name or password."), code="imap_login_failed"
        ) from error
    except OSError as error:
        raise ImapFailure(
            _("The IMAP server stopped answering: %(reason)s", reason=error)
        ) from error


@contextmanager
def imap_session(settings: dict[str, Any], password: str) -> Iterator[imaplib.IMAP4]:
    """A logged-in session, logged out afterwards."""
    client = _open(settings)
    try:
        _log_in(client, settings["username"], password)
        yield client
    finally:
        try:
            client.logout()
        except (imaplib.IMAP4.error, OSError):
            pass


def _text_fields(sent: dict[str, Any], errors: dict[str, str]) -> dict[str, str]:
    """The text fields sent (trimmed, but not the password), each bad one named in errors."""
    texts = {}
    for name, limit in TEXT_FIELDS.items():
        value = sent.get(name)
        if isinstance(value, str) and name != "password":
            value = value.strip()
        if name == "address" and value in (None, ""):
            value = ""
        elif not isinstance(value, str) or not value or len(value) > limit:
            errors[name] = _("required, at most %(limit)d characters", limit=limit)
        elif name == "host" and not HOST.fullmatch(value):
            errors[name] = _("a host name or an IP address")
        texts[name] = value if isinstance(value, str) else ""
    return texts


def read_settings(sent: dict[str, Any]) -> tuple[dict[str, Any], str, str]:
    """The connection settings, password and address the user sent (422 naming each bad
    field); plaintext IMAP only to this machine."""
    errors: dict[str, str] = {}
    texts = _text_fields(sent, errors)
    security = sent.get("security") or "tls"
    if security not in SECURITY_MODES:
        errors["security"] = _("one of %(choices)s", choices=", ".join(SECURITY_MODES))
        security = "tls"
    port = sent.get("port")
    port = DEFAULT_PORTS[security] if port in (None, "") else port
    if isinstance(port, str) and port.strip().isdigit():
        port = int(port)
    if isinstance(port, bool) or not isinstance(port, int) or not 1 <= port <= 65535:
        errors["port"] = _("a port number from 1 to 65535")
    host = texts["host"].strip("[]")
    if security == "none" and "host" not in errors and not is_loopback(host):
        errors["security"] = _("plaintext IMAP is allowed only to this machine; choose TLS")
    if errors:
        raise ValidationFailed(_("Check the IMAP settings."), details={"fields": errors})
    settings = {"host": host, "port": port, "security": security, "username": texts["username"]}
    return settings, texts["password"], texts["address"]


def connect_imap(user: User, sent: dict[str, Any]) -> MailboxConnection:
    """Check the settings by logging in, then connect the user's IMAP mailbox (replacing any
    other); the caller commits."""
    settings, password, address = read_settings(sent)
    with imap_session(settings, password):
        pass
    if not address:
        address = settings["username"] if "@" in settings["username"] else user.email
    return connect(user, "imap", address, password.encode(), settings)


def _unquote(name: bytes) -> str:
    """A mailbox name as LIST answers it (quoted or atom), as text."""
    if name.startswith(b'"') and name.endswith(b'"'):
        name = re.sub(rb"\\(.)", rb"\1", name[1:-1])
    return name.decode("utf-8", "replace")


def quoted(folder: str) -> str:
    """A folder name as a command argument."""
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'


def find_sent_folder(client: imaplib.IMAP4) -> str | None:
    """The Sent folder: the one LIST flags \\Sent, else the first of the usual names."""
    _status, lines = client.list()
    folders: dict[str, bytes] = {}
    for line in lines or []:
        match = LIST_LINE.match(line) if isinstance(line, bytes) else None
        if match:
            folders[_unquote(match["name"])] = match["flags"].lower()
    for name, flags in folders.items():
        if b"\\sent" in flags.split():
            return name
    by_lower = {name.lower(): name for name in folders}
    return next((by_lower[n.lower()] for n in SENT_NAMES if n.lower() in by_lower), None)


def _uidvalidity(client: imaplib.IMAP4, folder: str) -> int | None:
    """Open the folder read-only; its UIDVALIDITY (None: it cannot be opened)."""
    status, _answer = client.select(quoted(folder), readonly=True)
    if status != "OK":
        return None
    _name, values = client.response("UIDVALIDITY")
    return int(values[0]) if values and values[0] else None


def _new_uids(client: imaplib.IMAP4, kept: dict[str, Any]) -> list[int]:
    """The UIDs above the last one logged, received since the folder's first day."""
    last = kept["last_uid"]
    _status, answer = client.uid("SEARCH", "UID", f"{last + 1}:*", "SINCE", kept["since"])
    # `n:*` always matches the highest UID, even one below n: keep only the new ones.
    return sorted(uid for uid in map(int, (answer[0] or b"").split()) if uid > last)


def _sizes(client: imaplib.IMAP4, uids: list[int]) -> dict[int, int]:
    """The size of each of these mails, asked in one FETCH."""
    _status, answer = client.uid("FETCH", ",".join(map(str, uids)), "(RFC822.SIZE)")
    sizes = {}
    for line in answer or []:
        uid = UID_ITEM.search(line) if isinstance(line, bytes) else None
        size = SIZE_ITEM.search(line) if isinstance(line, bytes) else None
        if uid and size:
            sizes[int(uid[1])] = int(size[1])
    return sizes


def _fetch(client: imaplib.IMAP4, uid: int) -> bytes | None:
    """The whole mail of a UID, without marking it as read (None: it was deleted meanwhile)."""
    _status, answer = client.uid("FETCH", str(uid), "(BODY.PEEK[])")
    for item in answer or []:
        if isinstance(item, tuple) and len(item) == 2:
            return item[1]
    return None


def sync_folder(
    client: imaplib.IMAP4,
    connection: MailboxConnection,
    folder: str,
    kept: dict[str, Any] | None,
    budget: int,
) -> tuple[dict[str, Any] | None, int]:
    """Log up to budget new mails of one folder; the folder's state and how many were fetched."""
    uidvalidity = _uidvalidity(client, folder)
    if uidvalidity is None:
        return kept, 0
    if kept is None or kept.get("uidvalidity") != uidvalidity:
        since = (utcnow() - timedelta(days=FIRST_SYNC_DAYS)).strftime("%d-%b-%Y")
        kept = {"uidvalidity": uidvalidity, "last_uid": 0, "since": since}
    kept = dict(kept)
    uids = _new_uids(client, kept)[:budget]
    limit = mail_size_limit()
    sizes = _sizes(client, uids) if uids else {}
    for uid in uids:
        if sizes.get(uid, 0) > limit:
            # Refused as the BCC receiver refuses a declared SIZE: never read into memory.
            refuse_too_large(
                connection.account_id,
                connection.provider,
                sizes[uid],
                limit,
                uploader_id=connection.user_id,
            )
        elif (mail := _fetch(client, uid)) is not None:
            log_synced_mail(connection, mail)
        kept["last_uid"] = uid
    return kept, len(uids)


def sync(connection: MailboxConnection) -> tuple[dict[str, Any], timedelta]:
    """One pass over INBOX and the Sent folder; the state to save and when to sync again."""
    state = dict(connection.state or {})
    folders = dict(state.get("folders") or {})
    try:
        with imap_session(connection.settings, secret_of(connection).decode()) as client:
            if state.get("sent") is None:
                state["sent"] = find_sent_folder(client)
            budget = BATCH
            for folder in ("INBOX", state["sent"]):
                if folder is not None and budget > 0:
                    folders[folder], fetched = sync_folder(
                        client, connection, folder, folders.get(folder), budget
                    )
                    budget -= fetched
    except ImapFailure as failure:
        raise MailboxSyncError(failure.code, failure.message, RETRY[failure.code]) from failure
    except (imaplib.IMAP4.error, OSError) as error:
        raise MailboxSyncError(
            "imap_unreachable",
            _("The IMAP server stopped answering: %(reason)s", reason=error),
            RETRY["imap_unreachable"],
        ) from error
    return {**state, "folders": folders}, timedelta(0) if budget <= 0 else POLL
