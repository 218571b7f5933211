"""A fake Microsoft Graph on 127.0.0.1 over real HTTP, answering in Graph's shapes: /me, message
delta per folder with nextLink and deltaLink pages, a message's MIME ($value), a search by
internetMessageId, reply drafts and sending, subscriptions; failures a test asks for (429 with
Retry-After, 401) and every request recorded."""

from __future__ import annotations

import json
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import jwt

PREFIX = "/v1.0"


@dataclass
class Message:
    """A message of a fake mailbox."""

    id: str
    mime: bytes
    received: datetime
    folder: str
    is_draft: bool = False

    @property
    def internet_message_id(self) -> str:
        """The Message-ID header."""
        return str(message_from_bytes(self.mime, policy=policy.default)["Message-ID"] or "")

    def as_json(self) -> dict[str, Any]:
        """The message as Graph lists it."""
        return {
            "id": self.id,
            "internetMessageId": self.internet_message_id,
            "receivedDateTime": self.received.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "isDraft": self.is_draft,
            "subject": str(message_from_bytes(self.mime, policy=policy.default)["Subject"] or ""),
        }


@dataclass
class Mailbox:
    """One user's fake mailbox: messages in order of arrival."""

    oid: str
    address: str
    messages: list[Message] = field(default_factory=list)

    def add(self, folder: str, mime: bytes, received: datetime | None = None) -> Message:
        """Put a message in a folder (inbox, sentitems, drafts)."""
        message = Message(
            id=f"AAMk{uuid.uuid4().hex}",
            mime=mime,
            received=received or datetime.now(UTC),
            folder=folder,
            is_draft=folder == "drafts",
        )
        self.messages.append(message)
        return message

    def find(self, message_id: str) -> Message | None:
        """A message by Graph id."""
        return next((m for m in self.messages if m.id == message_id), None)


@dataclass
class Recorded:
    """A request the fake received."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: Any


class FakeGraph:
    """Microsoft Graph's mail endpoints for the mailboxes a test sets up."""

    def __init__(self) -> None:
        self._server: ThreadingHTTPServer | None = None
        self.lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        """No mailboxes, failures, subscriptions or recorded requests."""
        self.mailboxes: dict[str, Mailbox] = {}
        self.failures: list[tuple[str, int, dict[str, str], dict[str, Any]]] = []
        self.requests: list[Recorded] = []
        self.subscriptions: dict[str, dict[str, Any]] = {}
        self.page_size = 50

    def start(self) -> FakeGraph:
        """Listen on a random port of 127.0.0.1 in a background thread."""
        server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        server.daemon_threads = True
        server.fake = self  # type: ignore[attr-defined]
        self._server = server
        threading.Thread(target=server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        """Stop listening."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    @property
    def url(self) -> str:
        """The base URL, as TRACKLOG_GRAPH_URL."""
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}{PREFIX}"

    def mailbox(self, oid: str, address: str) -> Mailbox:
        """The user's mailbox, created empty on first use."""
        return self.mailboxes.setdefault(oid, Mailbox(oid, address))

    def fail_next(
        self,
        status: int,
        *,
        path: str = "",
        headers: dict[str, str] | None = None,
        code: str = "",
    ) -> None:
        """Answer the next request whose path contains `path` with this failure."""
        body = {"error": {"code": code or str(status)}}
        self.failures.append((path, status, headers or {}, body))

    def made(self, method: str, path_part: str) -> list[Recorded]:
        """The requests of a method whose path contains path_part."""
        return [r for r in self.requests if r.method == method and path_part in r.path]

    def answer(self, request: Recorded) -> tuple[int, dict[str, str], Any]:
        """Status, headers and body (a dict as JSON, bytes as MIME, None as empty)."""
        for index, (part, status, headers, body) in enumerate(self.failures):
            if part in request.path:
                del self.failures[index]
                return status, headers, body
        oid = _user_of(request.headers.get("Authorization", ""))
        if oid is None:
            return 401, {}, {"error": {"code": "InvalidAuthenticationToken"}}
        mailbox = self.mailboxes.get(oid)
        if mailbox is None:
            return 404, {}, {"error": {"code": "MailboxNotEnabledForRESTAPI"}}
        return _Routes(self, mailbox, request).answer()


def _user_of(authorization: str) -> str | None:
    """The oid of a bearer token that has not expired (the fake trusts its issuer: the stub)."""
    scheme, _sep, token = authorization.partition(" ")
    if scheme != "Bearer":
        return None
    try:
        claims = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError:
        return None
    return claims.get("oid") if claims.get("exp", 0) > time.time() else None


class _Routes:
    """The routes of one authenticated request."""

    def __init__(self, fake: FakeGraph, mailbox: Mailbox, request: Recorded) -> None:
        self.fake, self.mailbox, self.request = fake, mailbox, request
        self.parts = request.path.removeprefix(PREFIX).strip("/").split("/")

    def answer(self) -> tuple[int, dict[str, str], Any]:
        """Dispatch on method and path."""
        method, parts = self.request.method, self.parts
        if parts == ["me"]:
            return (
                200,
                {},
                {
                    "id": self.mailbox.oid,
                    "mail": self.mailbox.address,
                    "userPrincipalName": self.mailbox.address,
                },
            )
        if parts[:2] == ["me", "mailFolders"] and parts[3:] == ["messages", "delta"]:
            return self.delta(parts[2])
        if parts == ["me", "messages"] and method == "GET":
            return self.search()
        if parts[:2] == ["me", "messages"] and len(parts) >= 3:
            return self.message(parts[2], parts[3] if len(parts) > 3 else "")
        if parts[0] == "subscriptions":
            return self.subscription(parts[1] if len(parts) > 1 else "")
        return 404, {}, {"error": {"code": "ResourceNotFound"}}

    def delta(self, folder: str) -> tuple[int, dict[str, str], Any]:
        """One page of the folder's delta: from a skip or delta token's position, filtered by the
        first round's receivedDateTime ge."""
        query = self.request.query
        token = query.get("$skiptoken") or query.get("$deltatoken") or "0~"
        start, _sep, since = token.partition("~")
        if "$filter" in query:
            since = query["$filter"].split(" ge ")[1]
        in_folder = [m for m in self.mailbox.messages if m.folder == folder]
        size = _page_size(self.request.headers.get("Prefer", ""), self.fake.page_size)
        page, position = [], int(start)
        while position < len(in_folder) and len(page) < size:
            message = in_folder[position]
            position += 1
            if not since or message.received >= datetime.fromisoformat(since):
                page.append(message.as_json())
        base = f"{self.fake.url}/me/mailFolders/{folder}/messages/delta"
        if position < len(in_folder):
            link = {"@odata.nextLink": _link(base, "$skip", position, since)}
        else:
            link = {"@odata.deltaLink": _link(base, "$delta", position, "")}
        return 200, {}, {"value": page, **link}

    def search(self) -> tuple[int, dict[str, str], Any]:
        """Messages by `internetMessageId eq '...'`."""
        wanted = self.request.query.get("$filter", "").partition(" eq ")[2].strip("'")
        found = [m.as_json() for m in self.mailbox.messages if m.internet_message_id == wanted]
        return 200, {}, {"value": found}

    def message(self, message_id: str, action: str) -> tuple[int, dict[str, str], Any]:
        """$value, createReply, createReplyAll and send of one message."""
        message = self.mailbox.find(message_id)
        if message is None:
            return 404, {}, {"error": {"code": "ErrorItemNotFound"}}
        if action == "$value":
            return 200, {}, message.mime
        if action in ("createReply", "createReplyAll") and self.request.method == "POST":
            draft = self.mailbox.add(
                "drafts", _reply_mime(self.mailbox, message, action, self.request.body or {})
            )
            return 201, {}, draft.as_json()
        if action == "send" and self.request.method == "POST" and message.is_draft:
            message.folder, message.is_draft = "sentitems", False
            message.received = datetime.now(UTC)
            return 202, {}, None
        return 405, {}, {"error": {"code": "ErrorInvalidRequest"}}

    def subscription(self, subscription_id: str) -> tuple[int, dict[str, str], Any]:
        """Create, renew and delete subscriptions."""
        method, body = self.request.method, self.request.body or {}
        subscriptions = self.fake.subscriptions
        if method == "POST" and not subscription_id:
            created = {**body, "id": str(uuid.uuid4()), "owner": self.mailbox.oid}
            subscriptions[created["id"]] = created
            return 201, {}, {k: v for k, v in created.items() if k != "clientState"}
        if subscription_id not in subscriptions:
            return 404, {}, {"error": {"code": "ResourceNotFound"}}
        if method == "PATCH":
            subscriptions[subscription_id].update(body)
            return 200, {}, subscriptions[subscription_id]
        if method == "DELETE":
            del subscriptions[subscription_id]
            return 204, {}, None
        return 405, {}, {"error": {"code": "ErrorInvalidRequest"}}


def _page_size(prefer: str, default: int) -> int:
    """The page size of a `Prefer: odata.maxpagesize=N` header, else the fake's."""
    for preference in prefer.split(","):
        name, _sep, value = preference.strip().partition("=")
        if name == "odata.maxpagesize" and value.isdigit():
            return min(int(value), default)
    return default


def _link(base: str, name: str, position: int, since: str) -> str:
    """A nextLink or deltaLink carrying the position (and the first round's filter)."""
    return f"{base}?{urlencode({name + 'token': f'{position}~{since}'})}"


def _reply_mime(mailbox: Mailbox, original: Message, action: str, body: dict[str, Any]) -> bytes:
    """The draft of a reply to a message: to its sender (and everyone else with replyAll)."""
    source = message_from_bytes(original.mime, policy=policy.default)
    reply = EmailMessage()
    reply["From"] = mailbox.address
    recipients = [str(source["From"])]
    if action == "createReplyAll":
        others = [str(source[h]) for h in ("To", "Cc") if source[h]]
        recipients += [a for a in ", ".join(others).split(", ") if mailbox.address not in a]
    reply["To"] = ", ".join(recipients)
    reply["Subject"] = f"RE: {source['Subject']}"
    reply["Date"] = format_datetime(datetime.now(UTC))
    reply["Message-ID"] = make_msgid(domain="fake.graph.example")
    reply["In-Reply-To"] = str(source["Message-ID"])
    reply["References"] = f"{source['References'] or ''} {source['Message-ID']}".strip()
    reply.set_content(str(body.get("comment", "")))
    return reply.as_bytes()


class _Handler(BaseHTTPRequestHandler):
    """Records each request and answers it through the fake."""

    server_version = "FakeGraph/1.0"

    def _handle(self) -> None:
        """Answer one request."""
        fake: FakeGraph = self.server.fake  # type: ignore[attr-defined]
        url = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        request = Recorded(
            method=self.command,
            path=url.path,
            query={k: v[0] for k, v in parse_qs(url.query).items()},
            headers=dict(self.headers.items()),
            body=json.loads(raw) if raw else None,
        )
        with fake.lock:
            fake.requests.append(request)
            status, headers, body = fake.answer(request)
        if isinstance(body, bytes):
            payload, content_type = body, "message/rfc822"
        elif body is None:
            payload, content_type = b"", ""
        else:
            payload, content_type = json.dumps(body).encode(), "application/json"
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        if content_type:
            self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = do_PATCH = do_DELETE = _handle

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base's name
        """Keep test output quiet."""
