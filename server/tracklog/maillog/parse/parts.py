"""One MIME part read on its own: its type and parameters, its filename, its decoded content."""

from __future__ import annotations

import re
from email import errors as email_errors
from email.message import Message

from tracklog.inputs import has_surrogates, storable_text
from tracklog.maillog.parse.decoding import decode, lenient_b64
from tracklog.maillog.parse.headers import FOLD, decode_words, raw_items
from tracklog.maillog.parse.reading import Reading
from tracklog.maillog.parse.text import WHITESPACE, normalise_newlines

UNSAFE_FILENAME = re.compile(r"[\x00-\x1f\x7f<>:\"|?*\\/]+")
_META_CHARSET = re.compile(rb"<meta[^>]+charset=[\"']?([A-Za-z0-9_.:-]+)", re.IGNORECASE)


def payload_list(part: Message) -> list:
    """A multipart's children."""
    payload = part.get_payload()
    return payload if isinstance(payload, list) else []


def headers_of(part: Message) -> Message:
    """A compat32 copy of a part's headers, decoded, so parameter reading never builds objects."""
    copy = Message()
    for name, value in raw_items(part):
        try:
            copy[name] = FOLD.sub("", _decode_surrogates(value))
        except Exception:
            continue
    return copy


def _decode_surrogates(value: str) -> str:
    """Raw 8-bit header bytes as UTF-8, else Windows-1252, so parameters stay readable."""
    if not has_surrogates(value):
        return value
    data = value.encode("ascii", "surrogateescape")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", "replace")


def content_type(headers: Message, part: Message) -> str:
    """The part's content type in lower case, its context's default when it has none."""
    try:
        found = headers.get_content_type()
    except Exception:
        found = "text/plain"
    if headers.get("content-type") is None:
        try:
            found = part.get_default_type()
        except Exception:
            found = "text/plain"
    if "/" not in found or has_surrogates(found) or len(found) > 200:
        return "application/octet-stream"
    return found


def param(headers: Message, name: str, header: str = "content-type") -> str | None:
    """One parameter of a header, RFC 2231 decoded."""
    try:
        value = headers.get_param(name, None, header)
    except Exception:
        return None
    if value is None:
        return None
    if isinstance(value, tuple):
        charset, _language, text = value
        value, _problem = decode(text.encode("raw-unicode-escape"), charset or "us-ascii")
    return str(value)


def charset(headers: Message) -> str | None:
    """The charset parameter, or None."""
    value = param(headers, "charset")
    return value.strip().strip("'\"") if value else None


def disposition(headers: Message) -> str:
    """The Content-Disposition, lower case, "" when absent."""
    try:
        return (headers.get_content_disposition() or "").strip()
    except Exception:
        return ""


def filename(headers: Message, reading: Reading) -> str:
    """The part's own filename, decoded and stripped of any path, or ""."""
    name = param(headers, "filename", "content-disposition") or param(headers, "name")
    if not name:
        return ""
    name = decode_words(name, reading)
    name = re.split(r"[/\\]", name)[-1]
    name = UNSAFE_FILENAME.sub("_", storable_text(name))
    name = WHITESPACE.sub(" ", name).strip().lstrip(".").strip()
    if len(name) > 200:
        stem, dot, extension = name.rpartition(".")
        name = (stem[:190] + dot + extension[:9]) if dot and len(extension) <= 9 else name[:200]
    return name


def content_id(headers: Message) -> str | None:
    """The Content-ID without angle brackets, or None."""
    value = headers.get("content-id")
    if value is None:
        return None
    value = storable_text(str(value)).strip().strip("<>").strip()
    return value[:255] or None


def part_text(part: Message, headers: Message, reading: Reading, html: bool) -> str:
    """A text part decoded with its charset, or a noted guess."""
    data = payload_bytes(part, reading)
    label = charset(headers)
    if label is None and html:
        found = _META_CHARSET.search(data[:4096])
        if found:
            label = found.group(1).decode("ascii")
    text, problem = decode(data, label)
    if problem:
        reading.add(problem)
    return text


def payload_bytes(part: Message, reading: Reading) -> bytes:
    """A leaf part's decoded content; undecodable transfer encodings give the bytes as sent."""
    known = len(part.defects)
    try:
        data = part.get_payload(decode=True)
    except Exception:
        data = None
        reading.note("undecodable_transfer_encoding")
    if any(
        isinstance(defect, email_errors.InvalidBase64LengthDefect)
        for defect in part.defects[known:]
    ):
        # The email package gives up and returns the base64 text itself; decode what is there.
        payload = part.get_payload()
        data = lenient_b64(payload) if isinstance(payload, str) else data
    if isinstance(data, bytes):
        return data
    payload = part.get_payload()
    if isinstance(payload, str):
        try:
            return payload.encode("ascii", "surrogateescape")
        except UnicodeError:
            return payload.encode("utf-8", "replace")
    return b""


def unflow(text: str, headers: Message) -> str:
    """Join the soft line breaks of format=flowed text (RFC 3676)."""
    if (param(headers, "format") or "").lower() != "flowed":
        return text
    delsp = (param(headers, "delsp") or "").lower() == "yes"
    out: list[str] = []
    joining = False
    for line in normalise_newlines(text).split("\n"):
        soft = line.endswith(" ") and line != "-- "
        if soft and delsp:
            line = line[:-1]
        if joining and out:
            out[-1] += line
        else:
            out.append(line)
        joining = soft
    return "\n".join(out)
