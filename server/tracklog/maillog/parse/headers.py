"""The headers tracklog reads: raw 8-bit text, RFC 2047 encoded words, subject, date, ids."""

from __future__ import annotations

import binascii
import re
from datetime import UTC, datetime
from email.message import Message
from email.utils import parsedate_to_datetime

from tracklog.inputs import has_surrogates, storable_text
from tracklog.maillog.parse.decoding import decode, lenient_b64
from tracklog.maillog.parse.reading import Reading
from tracklog.maillog.parse.text import WHITESPACE

MAX_SUBJECT = 998
EXTRA_HEADERS = (
    "x-tracklog-message",
    "auto-submitted",
    "precedence",
    "list-id",
    "x-autoreply",
    "x-autorespond",
    "x-auto-response-suppress",
)
SINGLE_HEADERS = ("from", "sender", "subject", "message-id", "date", "in-reply-to")
ADDRESS_HEADERS = ("to", "cc", "bcc")
HEADER_TITLES = {
    "from": "From",
    "sender": "Sender",
    "subject": "Subject",
    "message-id": "Message-ID",
    "date": "Date",
    "in-reply-to": "In-Reply-To",
    "to": "To",
    "cc": "Cc",
    "bcc": "Bcc",
}
FOLD = re.compile(r"\r?\n(?=[ \t])|\r(?=[ \t])")
_ENCODED_WORD = re.compile(r"=\?([^?\s]+)\?([bBqQ])\?([^?]*?)\?=")
_MSG_ID = re.compile(r"<([^<>\s]+)>")


def top_headers(message: Message, reading: Reading) -> dict[str, list[str]]:
    """The headers tracklog reads, by lower-case name, decoded; repeated singletons noted."""
    headers: dict[str, list[str]] = {}
    wanted = {*SINGLE_HEADERS, *ADDRESS_HEADERS, "references", *EXTRA_HEADERS}
    for name, value in raw_items(message):
        name = name.strip().lower()
        if name in wanted:
            headers.setdefault(name, []).append(raw_text(value, reading))
    for name in SINGLE_HEADERS:
        count = len(headers.get(name, []))
        if count > 1:
            reading.note("repeated_header", count=count, header=HEADER_TITLES.get(name, name))
    for name in ADDRESS_HEADERS:
        count = len(headers.get(name, []))
        if count > 1:
            reading.note("repeated_address_header", count=count, header=HEADER_TITLES[name])
    return headers


def raw_items(part: Message) -> list[tuple[str, str]]:
    """A part's headers as the parser found them, without building header objects."""
    try:
        return [(str(name), str(value)) for name, value in part.raw_items()]
    except Exception:
        return []


def first(headers: dict[str, list[str]], name: str) -> str | None:
    """The first value of a header, or None."""
    values = headers.get(name)
    return values[0] if values else None


def raw_text(value: str, reading: Reading) -> str:
    """A raw header value with its 8-bit bytes decoded (UTF-8 first) and its folding undone."""
    value = FOLD.sub("", value)
    if not has_surrogates(value) and "\x1b" not in value:
        return value
    try:
        data = value.encode("ascii", "surrogateescape")
    except UnicodeError:
        return storable_text(value)
    if b"\x1b$" in data or b"\x1b(" in data:
        text, _problem = decode(data, "iso-2022-jp")
        return text
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    label = reading.hint or "windows-1252"
    text, problem = decode(data, label)
    reading.note("unlabelled_header_text", charset=label)
    if problem:
        reading.add(problem)
    return text


def decode_words(value: str, reading: Reading) -> str:
    """Decode RFC 2047 encoded words, forgiving the ways mailers break them."""
    if "=?" not in value:
        return value
    out = []
    for charset, chunk in _encoded_pieces(value, reading):
        if charset is None:
            out.append(chunk)
            continue
        text, problem = decode(chunk, charset)
        if problem:
            reading.add(problem.in_header())
        out.append(text)
    return "".join(out)


def _encoded_pieces(value: str, reading: Reading) -> list[tuple[str | None, bytes | str]]:
    """A header split into plain text (charset None) and the bytes of its encoded words."""
    pieces: list[tuple[str | None, bytes | str]] = []
    position = 0
    for match in _ENCODED_WORD.finditer(value):
        gap = value[position : match.start()]
        previous_encoded = pieces and pieces[-1][0] is not None
        if gap and not (previous_encoded and not gap.strip()):
            pieces.append((None, gap))
        position = match.end()
        charset, encoding, encoded = match.group(1), match.group(2).lower(), match.group(3)
        charset = charset.split("*", 1)[0]
        try:
            if encoding == "b":
                data = lenient_b64(encoded)
            else:
                data = binascii.a2b_qp(encoded.encode("ascii", "replace"), header=True)
        except (binascii.Error, ValueError):
            reading.note("undecodable_encoded_word")
            pieces.append((None, match.group(0)))
            continue
        if pieces and pieces[-1][0] is not None and pieces[-1][0].lower() == charset.lower():
            # Some mailers split one multi-byte character over two encoded words.
            pieces[-1] = (pieces[-1][0], pieces[-1][1] + data)
        else:
            pieces.append((charset, data))
    tail = value[position:]
    if tail:
        pieces.append((None, tail))
    return pieces


def header_text(value: str | None, reading: Reading) -> str:
    """An unstructured header as readable text."""
    if value is None:
        return ""
    return storable_text(decode_words(value, reading))


def subject(headers: dict[str, list[str]], reading: Reading) -> str:
    """The decoded subject on one line, at most 998 characters."""
    text = header_text(first(headers, "subject"), reading)
    return WHITESPACE.sub(" ", text).strip()[:MAX_SUBJECT]


def date(headers: dict[str, list[str]], reading: Reading) -> datetime | None:
    """The Date header in UTC, or None (noting it) when it cannot be read."""
    value = first(headers, "date")
    if value is None:
        return None
    value = WHITESPACE.sub(" ", value).strip()
    parsed = None
    try:
        parsed = parsedate_to_datetime(value)
    except Exception:
        try:
            parsed = datetime.fromisoformat(value)
        except Exception:
            parsed = None
    if parsed is None:
        reading.note("unreadable_date")
        return None
    try:
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=UTC)
        return parsed.astimezone(UTC)
    except (OverflowError, ValueError):
        reading.note("unreadable_date")
        return None


def message_id(headers: dict[str, list[str]], reading: Reading) -> str | None:
    """The Message-ID in its <...> form, or None when missing or unusable."""
    value = first(headers, "message-id")
    if value is None:
        return None
    ids = message_ids(value)
    if not ids:
        reading.note("unusable_message_id")
        return None
    return ids[0]


def message_ids(value: str | None) -> list[str]:
    """The message ids in a Message-ID, In-Reply-To or References header, in order."""
    if not value:
        return []
    value = storable_text(value)
    ids = [f"<{found}>" for found in _MSG_ID.findall(value)]
    if not ids:
        ids = [f"<{token.strip('<>')}>" for token in value.split() if "@" in token.strip("<>")]
    seen: set[str] = set()
    unique = []
    for found in ids:
        if len(found) <= 995 and found not in seen:
            seen.add(found)
            unique.append(found)
    return unique[:500]


def extra_headers(headers: dict[str, list[str]], reading: Reading) -> dict[str, str]:
    """The few raw headers other parts of tracklog look at, decoded."""
    extra = {}
    for name in EXTRA_HEADERS:
        value = first(headers, name)
        if value is not None:
            extra[name] = WHITESPACE.sub(" ", header_text(value, reading)).strip()[:MAX_SUBJECT]
    return extra
