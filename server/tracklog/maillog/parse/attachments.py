"""The parts that are not the body: kept whole (a nested message as one .eml) and named."""

from __future__ import annotations

import binascii
import io
import mimetypes
from dataclasses import dataclass
from email import policy as email_policy
from email.generator import BytesGenerator
from email.message import Message

from tracklog.maillog.parse import parts
from tracklog.maillog.parse.decoding import lenient_b64
from tracklog.maillog.parse.headers import header_text, raw_items, raw_text
from tracklog.maillog.parse.reading import Reading
from tracklog.maillog.parse.text import WHITESPACE

_EXTENSIONS = {
    "message/rfc822": ".eml",
    "message/global": ".eml",
    "message/delivery-status": ".txt",
    "message/disposition-notification": ".txt",
    "text/calendar": ".ics",
    "application/ics": ".ics",
    "application/pkcs7-signature": ".p7s",
    "application/x-pkcs7-signature": ".p7s",
    "application/ms-tnef": ".dat",
}
# Built from Python's own table only, so names do not depend on the host's /etc/mime.types.
_MIME_TYPES = mimetypes.MimeTypes(filenames=())


@dataclass(frozen=True)
class Part:
    """An attachment or inline image."""

    filename: str
    content_type: str
    data: bytes
    content_id: str | None
    inline: bool


def add_attachment(
    part: Message, reading: Reading, inline_hint: bool, headers: Message | None = None
) -> None:
    """Keep a non-body part (a nested message as one .eml) for the attachment list."""
    headers = headers if headers is not None else parts.headers_of(part)
    content_type = parts.content_type(headers, part)
    if content_type.startswith("message/") or part.is_multipart():
        data = _serialised_body(part, reading)
        encoding = str(headers.get("content-transfer-encoding", "")).strip().lower()
        if encoding == "base64":
            data = lenient_b64(data.decode("ascii", "replace"))
        elif encoding == "quoted-printable":
            data = binascii.a2b_qp(data)
    else:
        data = parts.payload_bytes(part, reading)
    filename = parts.filename(headers, reading)
    if not filename and content_type in ("message/rfc822", "message/global"):
        filename = _nested_subject_filename(part, reading)
    reading.attachments.append(
        {
            "filename": filename,
            "content_type": content_type,
            "data": data,
            "content_id": parts.content_id(headers),
            "inline_hint": inline_hint and content_type.startswith("image/"),
        }
    )


def _serialised_body(part: Message, reading: Reading) -> bytes:
    """The bytes of a part's body as written, for nested messages and unreadable multiparts."""
    buffer = io.BytesIO()
    policy = email_policy.default.clone(refold_source="none", linesep="\r\n")
    try:
        BytesGenerator(buffer, mangle_from_=False, policy=policy).flatten(part)
    except Exception:
        try:
            return part.as_bytes(policy=email_policy.compat32)
        except Exception:
            reading.note("unwritable_nested_message")
            return b""
    data = buffer.getvalue()
    if data.startswith(b"\r\n"):
        return data[2:]
    _head, separator, body = data.partition(b"\r\n\r\n")
    return body if separator else data


def _nested_subject_filename(part: Message, reading: Reading) -> str:
    """A filename for a forwarded message from its own subject."""
    payload = part.get_payload()
    if not isinstance(payload, list) or not payload or not isinstance(payload[0], Message):
        return ""
    subjects = [value for name, value in raw_items(payload[0]) if name.lower() == "subject"]
    if not subjects:
        return ""
    subject = header_text(raw_text(subjects[0], reading), reading)
    name = parts.UNSAFE_FILENAME.sub("_", WHITESPACE.sub(" ", subject)).strip().lstrip(".").strip()
    return f"{name[:150]}.eml" if name else ""


def finish_attachments(reading: Reading, referenced: set[str]) -> list[Part]:
    """The attachments as Parts, named when unnamed and marked inline when the body shows them."""
    kept = []
    for number, found in enumerate(reading.attachments, start=1):
        filename = found["filename"] or f"attachment-{number}{_extension(found['content_type'])}"
        content_id = found["content_id"]
        inline = found["inline_hint"] or (
            content_id is not None and content_id.lower() in referenced
        )
        kept.append(
            Part(
                filename=filename,
                content_type=found["content_type"],
                data=found["data"],
                content_id=content_id,
                inline=inline,
            )
        )
    return kept


def _extension(content_type: str) -> str:
    """A filename extension for a content type, .bin when unknown."""
    if content_type in _EXTENSIONS:
        return _EXTENSIONS[content_type]
    try:
        return _MIME_TYPES.guess_extension(content_type) or ".bin"
    except Exception:
        return ".bin"
