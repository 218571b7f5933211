"""Reading a raw mail into what the CRM timeline needs, never raising and never losing a part."""

from __future__ import annotations

import hashlib
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime
from email import policy as email_policy
from email.parser import BytesParser

from tracklog.inputs import storable_text
from tracklog.maillog.parse import headers as mail_headers
from tracklog.maillog.parse.addresses import Address, address_list, sender
from tracklog.maillog.parse.attachments import Part, finish_attachments
from tracklog.maillog.parse.body import render
from tracklog.maillog.parse.decoding import charset_hint
from tracklog.maillog.parse.images import inline_images
from tracklog.maillog.parse.mime import collect_defects, walk
from tracklog.maillog.parse.problems import Problem
from tracklog.maillog.parse.reading import Reading
from tracklog.maillog.parse.sanitise import defuse_script_schemes
from tracklog.maillog.parse.text import WHITESPACE, text_to_html

MAX_PROBLEMS = 50


@dataclass(frozen=True)
class ParsedMail:
    """What tracklog reads from one mail."""

    message_id: str | None
    in_reply_to: list[str]
    references: list[str]
    subject: str
    sender: Address | None
    to: list[Address]
    cc: list[Address]
    bcc: list[Address]
    date: datetime | None
    html: str
    text: str
    attachments: list[Part]
    headers: dict[str, str]
    problems: list[Problem]
    content_hash: str


def parse_mail(raw: bytes) -> ParsedMail:
    """Never raises: whatever cannot be read is named in problems."""
    try:
        data = _as_bytes(raw)
    except Exception:  # the contract is to never raise
        data = b""
    try:
        return _parse(data)
    except Exception as error:  # a bug here must not lose the mail
        return _unreadable(data, Problem.of("unreadable_error", error=type(error).__name__))


def _as_bytes(raw) -> bytes:
    """The raw mail as bytes, whatever the caller handed in."""
    if isinstance(raw, bytes):
        return raw
    if isinstance(raw, str):
        return raw.encode("utf-8", "surrogateescape")
    return bytes(raw or b"")


def _parse(raw: bytes) -> ParsedMail:
    """Parse with the modern policy, falling back to compat32 when the parser itself fails."""
    reading = Reading(hint=charset_hint(raw))
    try:
        message = BytesParser(policy=email_policy.default).parsebytes(raw)
    except Exception:
        try:
            message = BytesParser(policy=email_policy.compat32).parsebytes(raw)
            reading.note("lenient_parser")
        except Exception:
            return _unreadable(raw, Problem.of("unparseable_structure"))
    headers = mail_headers.top_headers(message, reading)

    segments = walk(message, reading, depth=0, as_attachment=False)
    collect_defects(message, reading, depth=0)

    from_address = sender(headers, reading)
    to = address_list(headers, "to", reading)
    cc = address_list(headers, "cc", reading)
    bcc = address_list(headers, "bcc", reading)
    subject = mail_headers.subject(headers, reading)
    date = mail_headers.date(headers, reading)
    html, text, referenced = render(segments, reading)
    attachments = finish_attachments(reading, referenced)
    html = defuse_script_schemes(inline_images(html, attachments))
    text = storable_text(text)
    return ParsedMail(
        message_id=mail_headers.message_id(headers, reading),
        in_reply_to=mail_headers.message_ids(mail_headers.first(headers, "in-reply-to")),
        references=mail_headers.message_ids(" ".join(headers.get("references", []))),
        subject=subject,
        sender=from_address,
        to=to,
        cc=cc,
        bcc=bcc,
        date=date,
        html=html,
        text=text,
        attachments=attachments,
        headers=mail_headers.extra_headers(headers, reading),
        problems=reading.problems[:MAX_PROBLEMS],
        content_hash=content_hash(from_address, to, cc, date, subject, text),
    )


def _unreadable(raw: bytes, problem: Problem) -> ParsedMail:
    """A mail nothing could be read from but its bytes as text."""
    text = storable_text(raw.decode("utf-8", "replace"))
    return ParsedMail(
        message_id=None,
        in_reply_to=[],
        references=[],
        subject="",
        sender=None,
        to=[],
        cc=[],
        bcc=[],
        date=None,
        html=defuse_script_schemes(text_to_html(text)),
        text=text,
        attachments=[],
        headers={},
        problems=[problem],
        content_hash=content_hash(None, [], [], None, "", text),
    )


def content_hash(
    sender: Address | None,
    to: list[Address],
    cc: list[Address],
    date: datetime | None,
    subject: str,
    text: str,
) -> str:
    """A fingerprint of what a mail says, to recognise it again when it has no Message-ID."""
    fields = [
        "tracklog-mail-v1",
        sender.email if sender else "",
        ",".join(sorted(a.email for a in to)),
        ",".join(sorted(a.email for a in cc)),
        date.astimezone(UTC).isoformat() if date else "",
        _normalise_for_hash(subject),
        _normalise_for_hash(text),
    ]
    joined = "\x1f".join(fields).encode("utf-8", "surrogatepass")
    return hashlib.sha256(joined).hexdigest()


def _normalise_for_hash(value: str) -> str:
    """Text with whitespace and Unicode forms that differ between copies of one mail evened out."""
    return WHITESPACE.sub(" ", unicodedata.normalize("NFC", value)).strip()
