"""Reading a raw mail into what the CRM timeline needs, never raising and never losing a part."""

from __future__ import annotations

import base64
import binascii
import codecs
import hashlib
import html as html_lib
import io
import mimetypes
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import errors as email_errors
from email import policy as email_policy
from email.generator import BytesGenerator
from email.message import Message
from email.parser import BytesParser
from email.utils import getaddresses, parsedate_to_datetime
from html.parser import HTMLParser
from urllib.parse import unquote

import nh3

from tracklog.inputs import has_surrogates, storable_text

MAX_SUBJECT = 998
MAX_INLINE_IMAGE = 2 * 1024 * 1024
# All data: URIs of one body together; a logo referenced a thousand times must not make 2 GB.
MAX_INLINE_TOTAL = 20 * 1024 * 1024
MAX_PROBLEMS = 50
MAX_DEPTH = 40
MAX_HTML_DEPTH = 3000
MAX_ADDRESS_HEADER = 100_000
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

_SAFE_TAGS = {
    "a", "abbr", "address", "b", "bdi", "bdo", "big", "blockquote", "br", "caption", "center",
    "cite", "code", "col", "colgroup", "dd", "del", "dfn", "div", "dl", "dt", "em", "figcaption",
    "figure", "font", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "ins", "kbd", "li",
    "mark", "ol", "p", "pre", "q", "s", "samp", "small", "span", "strike", "strong", "sub", "sup",
    "table", "tbody", "td", "tfoot", "th", "thead", "tr", "tt", "u", "ul", "var", "wbr",
}  # fmt: skip
_SAFE_ATTRIBUTES = {
    "*": {"align", "dir", "lang", "title", "valign"},
    "a": {"href"},
    "img": {"src", "alt", "width", "height", "border"},
    "table": {"border", "cellpadding", "cellspacing", "width", "bgcolor", "summary"},
    "td": {"colspan", "rowspan", "width", "height", "bgcolor", "nowrap"},
    "th": {"colspan", "rowspan", "width", "height", "bgcolor", "nowrap", "scope"},
    "tr": {"bgcolor", "height"},
    "col": {"span", "width"},
    "colgroup": {"span", "width"},
    "font": {"color", "face", "size"},
    "ol": {"start", "type", "reversed"},
    "ul": {"type"},
    "li": {"value"},
    "hr": {"width", "size", "noshade"},
}
# Elements whose content is code or chrome, not text the reader wrote.
_DROPPED_WITH_CONTENT = {
    "script", "style", "title", "template", "noscript", "iframe", "object", "applet", "embed",
    "noembed", "noframes", "frameset", "select", "textarea", "svg", "math",
}  # fmt: skip
_URL_SCHEMES = {"http", "https", "mailto", "tel", "cid"}

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

_CHARSET_LABELS = {
    "x-sjis": "shift_jis",
    "sjis": "shift_jis",
    "windows-31j": "cp932",
    "csshiftjis": "shift_jis",
    "x-euc-jp": "euc_jp",
    "x-gbk": "gbk",
    "cp-850": "cp850",
    "ks_c_5601-1987": "cp949",
    "ks_c_5601": "cp949",
    "x-mac-roman": "mac_roman",
    "macintosh": "mac_roman",
    "tis-620": "cp874",
    "windows-874": "cp874",
    "unicode-1-1-utf-7": "utf_7",
}
# Stricter or older labels that mailers use for the wider Microsoft or GB18030 sets.
_CHARSET_WIDENINGS = {
    "shift_jis": ("cp932", "shift_jis_2004"),
    "iso2022_jp": ("iso2022_jp", "iso2022_jp_ext", "iso2022_jp_2", "iso2022_jp_2004"),
    "euc_jp": ("euc_jp", "euc_jis_2004"),
    "gb2312": ("gb18030",),
    "gbk": ("gb18030",),
    "euc_kr": ("cp949",),
    "big5": ("big5hkscs", "cp950"),
    "latin_1": ("cp1252", "latin_1"),
    "iso8859_1": ("cp1252", "latin_1"),
    "cp1252": ("cp1252", "latin_1"),
    "ascii": ("utf_8", "cp1252", "latin_1"),
}
# Codecs that are not character sets a mail could be written in.
_REFUSED_CODECS = {"undefined", "unicode_escape", "raw_unicode_escape", "idna", "punycode"}

_ENCODED_WORD = re.compile(r"=\?([^?\s]+)\?([bBqQ])\?([^?]*?)\?=")
_FOLD = re.compile(r"\r?\n(?=[ \t])|\r(?=[ \t])")
_WHITESPACE = re.compile(r"\s+")
_MSG_ID = re.compile(r"<([^<>\s]+)>")
_CID_REFERENCE = re.compile(r"cid:([^\"'\s>)]+)", re.IGNORECASE)
_IMG_TAG = re.compile(r"<img((?:\s+[^\s=>/]+(?:=\"[^\"]*\")?)*)\s*/?>")
_IMG_ATTRIBUTE = re.compile(r"\s+([^\s=>/]+)(?:=\"([^\"]*)\")?")
_C0_AND_SPACE = "".join(chr(code) for code in range(0x21))
# As browsers read URLs: leading controls and spaces, and tabs and newlines anywhere, ignored.
_CID_ATTRIBUTE = re.compile(
    r"\s(?:href|src)=\"[\x00-\x20]*c[\t\r\n]*i[\t\r\n]*d[\t\r\n]*:[^\"]*\"", re.IGNORECASE
)
_CODE_TAG = re.compile(r"<(/?)(?:script|style)\b[^<>]*>", re.IGNORECASE)
_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9:-]*)")
# Void elements and those whose end tag is implied by the next sibling.
_NO_NESTING = {
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source",
    "track", "wbr", "p", "li", "dt", "dd", "td", "th", "tr", "option", "optgroup", "tbody",
    "thead", "tfoot", "colgroup", "rt", "rp", "o:p",
}  # fmt: skip
_SCRIPT_SCHEME = re.compile(r"(java|vb)script:", re.IGNORECASE)
_URL = re.compile(r"\bhttps?://[^\s<>\"']+[^\s<>\"'.,;:!?)\]]")
_META_CHARSET = re.compile(rb"<meta[^>]+charset=[\"']?([A-Za-z0-9_.:-]+)", re.IGNORECASE)
_ANY_CHARSET = re.compile(rb"charset=[\"']?([A-Za-z0-9_.:-]+)", re.IGNORECASE)
_LABEL = r"[a-z0-9_](?:[a-z0-9_-]*[a-z0-9_])?"
_DOMAIN = re.compile(rf"^(?:\[[^\[\]\s]+\]|{_LABEL}(?:\.{_LABEL})*)$")
_LOCAL = re.compile(r"^(?:\"[^\"\r\n]+\"|[^\s<>()\[\],;:@\"\\]+)$")
_UNSAFE_FILENAME = re.compile(r"[\x00-\x1f\x7f<>:\"|?*\\/]+")
_IMAGE_MAGIC = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"BM", "image/bmp"),
)


@dataclass(frozen=True)
class Address:
    """One mailbox from an address header."""

    email: str
    name: str


@dataclass(frozen=True)
class Part:
    """An attachment or inline image."""

    filename: str
    content_type: str
    data: bytes
    content_id: str | None
    inline: bool


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
    problems: list[str]
    content_hash: str


@dataclass
class _Body:
    """One stretch of the body, as HTML, as text, or both."""

    html: str | None = None
    text: str | None = None


@dataclass
class _Reading:
    """What the walk over a mail's parts has found so far."""

    hint: str | None
    problems: list[str] = field(default_factory=list)
    attachments: list[dict] = field(default_factory=list)

    def note(self, problem: str) -> None:
        """Record a problem once."""
        problem = storable_text(problem)
        if problem not in self.problems:
            self.problems.append(problem)


def parse_mail(raw: bytes) -> ParsedMail:
    """Never raises: whatever cannot be read is named in problems."""
    try:
        data = _as_bytes(raw)
    except Exception:  # the contract is to never raise
        data = b""
    try:
        return _parse(data)
    except Exception as error:  # a bug here must not lose the mail
        return _unreadable(data, f"tracklog could not read this mail ({type(error).__name__})")


def _as_bytes(raw) -> bytes:
    """The raw mail as bytes, whatever the caller handed in."""
    if isinstance(raw, bytes):
        return raw
    if isinstance(raw, str):
        return raw.encode("utf-8", "surrogateescape")
    return bytes(raw or b"")


def _parse(raw: bytes) -> ParsedMail:
    """Parse with the modern policy, falling back to compat32 when the parser itself fails."""
    reading = _Reading(hint=_charset_hint(raw))
    try:
        message = BytesParser(policy=email_policy.default).parsebytes(raw)
    except Exception:
        try:
            message = BytesParser(policy=email_policy.compat32).parsebytes(raw)
            reading.note("the mail's headers confused the parser; read with the lenient parser")
        except Exception:
            return _unreadable(raw, "the mail's structure could not be parsed; read as plain text")
    headers = _top_headers(message, reading)

    segments = _walk(message, reading, depth=0, as_attachment=False)
    _collect_defects(message, reading, depth=0)

    sender = _sender(headers, reading)
    to = _address_list(headers, "to", reading)
    cc = _address_list(headers, "cc", reading)
    bcc = _address_list(headers, "bcc", reading)
    subject = _subject(headers, reading)
    date = _date(headers, reading)
    html, text, referenced = _render(segments, reading)
    attachments = _finish_attachments(reading, referenced)
    html = _inline_images(html, attachments)
    html = _SCRIPT_SCHEME.sub(r"\1script&#58;", storable_text(html))
    text = storable_text(text)
    return ParsedMail(
        message_id=_message_id(headers, reading),
        in_reply_to=_message_ids(_first(headers, "in-reply-to")),
        references=_message_ids(" ".join(headers.get("references", []))),
        subject=subject,
        sender=sender,
        to=to,
        cc=cc,
        bcc=bcc,
        date=date,
        html=html,
        text=text,
        attachments=attachments,
        headers=_extra_headers(headers, reading),
        problems=reading.problems[:MAX_PROBLEMS],
        content_hash=content_hash(sender, to, cc, date, subject, text),
    )


def _unreadable(raw: bytes, problem: str) -> ParsedMail:
    """A mail nothing could be read from but its bytes as text."""
    text = storable_text(raw.decode("utf-8", "replace"))
    html = _SCRIPT_SCHEME.sub(r"\1script&#58;", _text_to_html(text))
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
        html=html,
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
    return _WHITESPACE.sub(" ", unicodedata.normalize("NFC", value)).strip()


# Headers


def _top_headers(message: Message, reading: _Reading) -> dict[str, list[str]]:
    """The headers tracklog reads, by lower-case name, decoded; repeated singletons noted."""
    headers: dict[str, list[str]] = {}
    wanted = {*SINGLE_HEADERS, "to", "cc", "bcc", "references", *EXTRA_HEADERS}
    for name, value in _raw_items(message):
        name = name.strip().lower()
        if name in wanted:
            headers.setdefault(name, []).append(_raw_text(value, reading))
    for name in SINGLE_HEADERS:
        count = len(headers.get(name, []))
        if count > 1:
            title = _HEADER_TITLES.get(name, name)
            reading.note(f"the mail has {count} {title} headers; the first was used")
    for name in ("to", "cc", "bcc"):
        count = len(headers.get(name, []))
        if count > 1:
            title = _HEADER_TITLES[name]
            reading.note(f"the mail has {count} {title} headers; their addresses were combined")
    return headers


_HEADER_TITLES = {
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


def _raw_items(part: Message) -> list[tuple[str, str]]:
    """A part's headers as the parser found them, without building header objects."""
    try:
        return [(str(name), str(value)) for name, value in part.raw_items()]
    except Exception:
        return []


def _first(headers: dict[str, list[str]], name: str) -> str | None:
    """The first value of a header, or None."""
    values = headers.get(name)
    return values[0] if values else None


def _raw_text(value: str, reading: _Reading, charset: str | None = None) -> str:
    """A raw header value with its 8-bit bytes decoded (UTF-8 first) and its folding undone."""
    value = _FOLD.sub("", value)
    if not has_surrogates(value) and "\x1b" not in value:
        return value
    try:
        data = value.encode("ascii", "surrogateescape")
    except UnicodeError:
        return storable_text(value)
    if b"\x1b$" in data or b"\x1b(" in data:
        text, _problem = _decode(data, "iso-2022-jp")
        return text
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    label = charset or reading.hint or "windows-1252"
    text, problem = _decode(data, label)
    reading.note(f"a header has unlabelled 8-bit text; read as {label}")
    if problem:
        reading.note(problem)
    return text


def _decode_words(value: str, reading: _Reading) -> str:
    """Decode RFC 2047 encoded words, forgiving the ways mailers break them."""
    if "=?" not in value:
        return value
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
                data = _lenient_b64(encoded)
            else:
                data = binascii.a2b_qp(encoded.encode("ascii", "replace"), header=True)
        except (binascii.Error, ValueError):
            reading.note("a header has an encoded word that could not be decoded; kept as written")
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
    out = []
    for charset, chunk in pieces:
        if charset is None:
            out.append(chunk)
            continue
        text, problem = _decode(chunk, charset)
        if problem:
            reading.note(problem.replace("a part's", "a header's", 1))
        out.append(text)
    return "".join(out)


def _lenient_b64(encoded: str) -> bytes:
    """Base64 with missing or extra padding and stray characters tolerated."""
    letters = re.sub(r"[^A-Za-z0-9+/]", "", encoded)
    if len(letters) % 4 == 1:
        letters = letters[:-1]
    letters += "=" * (-len(letters) % 4)
    return base64.b64decode(letters)


def _header_text(value: str | None, reading: _Reading) -> str:
    """An unstructured header as readable text."""
    if value is None:
        return ""
    return storable_text(_decode_words(value, reading))


def _subject(headers: dict[str, list[str]], reading: _Reading) -> str:
    """The decoded subject on one line, at most 998 characters."""
    text = _header_text(_first(headers, "subject"), reading)
    return _WHITESPACE.sub(" ", text).strip()[:MAX_SUBJECT]


def _date(headers: dict[str, list[str]], reading: _Reading) -> datetime | None:
    """The Date header in UTC, or None (noting it) when it cannot be read."""
    value = _first(headers, "date")
    if value is None:
        return None
    value = _WHITESPACE.sub(" ", value).strip()
    parsed = None
    try:
        parsed = parsedate_to_datetime(value)
    except Exception:
        try:
            parsed = datetime.fromisoformat(value)
        except Exception:
            parsed = None
    if parsed is None:
        reading.note("the Date header is unreadable")
        return None
    try:
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=UTC)
        return parsed.astimezone(UTC)
    except (OverflowError, ValueError):
        reading.note("the Date header is unreadable")
        return None


def _message_id(headers: dict[str, list[str]], reading: _Reading) -> str | None:
    """The Message-ID in its <...> form, or None when missing or unusable."""
    value = _first(headers, "message-id")
    if value is None:
        return None
    ids = _message_ids(value)
    if not ids:
        reading.note("the Message-ID header is unusable")
        return None
    return ids[0]


def _message_ids(value: str | None) -> list[str]:
    """The message ids in a Message-ID, In-Reply-To or References header, in order."""
    if not value:
        return []
    value = storable_text(value)
    ids = [f"<{found}>" for found in _MSG_ID.findall(value)]
    if not ids:
        ids = [f"<{token.strip('<>')}>" for token in value.split() if "@" in token.strip("<>")]
    seen: set[str] = set()
    unique = []
    for message_id in ids:
        if len(message_id) <= 995 and message_id not in seen:
            seen.add(message_id)
            unique.append(message_id)
    return unique[:500]


def _extra_headers(headers: dict[str, list[str]], reading: _Reading) -> dict[str, str]:
    """The few raw headers other parts of tracklog look at, decoded."""
    extra = {}
    for name in EXTRA_HEADERS:
        value = _first(headers, name)
        if value is not None:
            extra[name] = _WHITESPACE.sub(" ", _header_text(value, reading)).strip()[:MAX_SUBJECT]
    return extra


# Addresses


def _sender(headers: dict[str, list[str]], reading: _Reading) -> Address | None:
    """The first From address, falling back to Sender."""
    found = []
    for name in ("from", "sender"):
        value = _first(headers, name)
        if value is not None:
            found.extend(_addresses(value, name, reading))
    for address in found:
        if address.email:
            return address
    if not found and "from" not in headers:
        reading.note("the mail has no From header")
    return found[0] if found else None


def _address_list(headers: dict[str, list[str]], name: str, reading: _Reading) -> list[Address]:
    """Every address in all the headers of one name, without repeats."""
    result: list[Address] = []
    seen: set[str] = set()
    for value in headers.get(name, []):
        for address in _addresses(value, name, reading):
            key = address.email or f"\x00{address.name}"
            if key not in seen:
                seen.add(key)
                result.append(address)
    return result


def _addresses(value: str, name: str, reading: _Reading) -> list[Address]:
    """The mailboxes in one address header, groups flattened, garbage kept as unreadable."""
    title = _HEADER_TITLES.get(name, name)
    if len(value) > MAX_ADDRESS_HEADER:
        reading.note(f"the {title} header is too long; only its start was read")
        value = value[:MAX_ADDRESS_HEADER]
    pairs = _address_pairs(value, name)
    result = []
    for display, spec in pairs:
        address_name = _WHITESPACE.sub(
            " ", _decode_words(_raw_text(display or "", reading), reading)
        )
        address = Address(
            email=_normalise_address(spec or ""), name=storable_text(address_name).strip()
        )
        if not address.email and not address.name:
            if spec and spec.strip():
                address = Address(email="", name=storable_text(spec).strip()[:200])
            else:
                continue
        if not address.email:
            reading.note(f"an address in the {title} header could not be read")
        result.append(address)
    if not result and value.strip() and not re.fullmatch(r"[^:]*:\s*;?", value.strip()):
        reading.note(f"the {title} header could not be read")
    return result


def _address_pairs(value: str, name: str) -> list[tuple[str, str]]:
    """(name, address) pairs from the modern parser, or the lenient one when it reads more."""
    try:
        header = email_policy.default.header_factory(name, value)
        pairs = [(address.display_name, address.addr_spec) for address in header.addresses]
    except Exception:  # the strict parser trips on some garbage
        pairs = []
    readable = sum(1 for _display, spec in pairs if _normalise_address(spec or ""))
    if readable == len(pairs) and pairs:
        return pairs
    try:
        lenient = getaddresses([value])
    except Exception:
        return pairs
    if sum(1 for _display, spec in lenient if _normalise_address(spec or "")) > readable:
        return lenient
    return pairs


def _normalise_address(spec: str) -> str:
    """A lower-case address with an ASCII (IDNA) domain, or "" when it is not an address."""
    spec = storable_text(spec).strip().strip("<>").strip()
    local, at, domain = spec.rpartition("@")
    if not at or not local or not domain or len(spec) > 320:
        return ""
    domain = domain.strip().rstrip(".").lower()
    if not domain.isascii():
        try:
            domain = domain.encode("idna").decode("ascii").lower()
        except (UnicodeError, ValueError):
            return ""
    if not _DOMAIN.match(domain) or not _LOCAL.match(local):
        return ""
    return f"{local.lower()}@{domain}"


# Parts


def _walk(part: Message, reading: _Reading, depth: int, as_attachment: bool) -> list[_Body]:
    """The body stretches of a part and its children; everything else becomes an attachment."""
    if depth > MAX_DEPTH:
        reading.note("the mail nests parts too deeply; the deepest were kept as attachments")
        _add_leaves(part, reading)
        return []
    view = _view(part)
    content_type = _content_type(view, part)
    maintype, _slash, subtype = content_type.partition("/")
    if part.is_multipart() and maintype != "message":
        children = [child for child in _payload_list(part) if isinstance(child, Message)]
        if subtype == "alternative" and not as_attachment:
            return _alternative(children, reading, depth)
        if subtype == "related" and not as_attachment:
            return _related(view, children, reading, depth)
        segments: list[_Body] = []
        for child in children:
            segments.extend(_walk(child, reading, depth + 1, as_attachment))
        return segments
    if maintype == "multipart":
        return _broken_multipart(part, view, reading, depth, as_attachment)
    disposition = _disposition(view)
    filename = _filename(view, reading)
    is_body_type = content_type in ("text/plain", "text/html")
    if is_body_type and not as_attachment and disposition != "attachment" and not filename:
        text = _part_text(part, view, reading, html=content_type == "text/html")
        if content_type == "text/html":
            return [_Body(html=text)]
        return [_Body(text=_unflow(text, view))]
    _add_attachment(part, reading, inline_hint=disposition == "inline", view=view)
    return []


def _add_leaves(part: Message, reading: _Reading) -> None:
    """Every leaf under a part as an attachment, walked without recursion."""
    stack = [part]
    while stack:
        current = stack.pop()
        content_type = _content_type(_view(current), current)
        if current.is_multipart() and not content_type.startswith("message/"):
            stack.extend(reversed([c for c in _payload_list(current) if isinstance(c, Message)]))
        else:
            _add_attachment(current, reading, inline_hint=False)


def _alternative(children: list[Message], reading: _Reading, depth: int) -> list[_Body]:
    """One stretch from the richest HTML alternative, keeping the last plain-text one as text."""
    html_choice: list[_Body] | None = None
    text_choice: list[_Body] | None = None
    for child in children:
        content_type = _content_type(_view(child), child)
        if content_type in _RENDERINGS:
            continue
        segments = _walk(child, reading, depth + 1, as_attachment=False)
        if any(segment.html is not None for segment in segments):
            html_choice = segments
        elif segments:
            text_choice = segments
    if html_choice is None:
        return text_choice or []
    if text_choice is None:
        return html_choice
    return [
        _Body(
            html="".join(_segment_html(segment) for segment in html_choice),
            text="\n\n".join(_segment_text(segment) for segment in text_choice),
        )
    ]


# Other renderings of a body that an alternative offers beside plain text and HTML.
_RENDERINGS = {"text/enriched", "text/richtext", "text/watch-html", "text/x-amp-html"}


def _related(view: Message, children: list[Message], reading: _Reading, depth: int) -> list[_Body]:
    """The root part's body; the other parts are resources it refers to."""
    if not children:
        return []
    root_index = 0
    start = _param(view, "start")
    if start:
        wanted = start.strip().strip("<>")
        for index, child in enumerate(children):
            if _content_id(_view(child)) == wanted:
                root_index = index
                break
    segments = _walk(children[root_index], reading, depth + 1, as_attachment=False)
    for index, child in enumerate(children):
        if index != root_index:
            _walk(child, reading, depth + 1, as_attachment=True)
    return segments


def _broken_multipart(
    part: Message, view: Message, reading: _Reading, depth: int, as_attachment: bool
) -> list[_Body]:
    """A multipart whose boundary never appears: find the real boundary, or keep it as text."""
    payload = part.get_payload()
    if not isinstance(payload, str):
        return []
    recovered = _recover_multipart(payload, _content_type(view, part))
    if recovered is not None and depth < MAX_DEPTH:
        reading.note("the message's structure is broken: its boundary is wrong; parts were found")
        segments = _walk(recovered, reading, depth + 1, as_attachment)
        _collect_defects(recovered, reading, depth + 1)
        return segments
    if as_attachment:
        _add_attachment(part, reading, inline_hint=False, view=view)
        return []
    reading.note("the message's structure is broken: no parts were found; read as plain text")
    data = payload.encode("ascii", "surrogateescape") if has_surrogates(payload) else None
    if data is None:
        data = payload.encode("utf-8", "replace")
    text, problem = _decode(data, _charset(view) or "us-ascii")
    if problem:
        reading.note(problem)
    return [_Body(text=text)]


def _recover_multipart(payload: str, content_type: str) -> Message | None:
    """Re-parse a multipart body under the boundary its own lines actually use."""
    lines = payload.splitlines()
    for index, line in enumerate(lines[:2000]):
        if not line.startswith("--") or len(line) < 3 or len(line) > 72:
            continue
        following = [candidate.lower() for candidate in lines[index + 1 : index + 4]]
        if not any(candidate.startswith("content-") for candidate in following):
            continue
        boundary = line[2:].rstrip()
        if '"' in boundary or "\\" in boundary or not boundary.isascii():
            continue
        subtype = content_type.partition("/")[2]
        if not re.fullmatch(r"[a-z0-9.+-]{1,40}", subtype):
            subtype = "mixed"
        head = f'Content-Type: multipart/{subtype}; boundary="{boundary}"\r\n\r\n'
        head = head.encode("ascii")
        try:
            body = payload.encode("ascii", "surrogateescape")
            message = BytesParser(policy=email_policy.default).parsebytes(head + body)
        except Exception:
            return None
        if message.is_multipart():
            return message
        return None
    return None


def _payload_list(part: Message) -> list:
    """A multipart's children."""
    payload = part.get_payload()
    return payload if isinstance(payload, list) else []


def _view(part: Message) -> Message:
    """A compat32 copy of a part's headers, decoded, so parameter reading never builds objects."""
    view = Message()
    for name, value in _raw_items(part):
        try:
            view[name] = _FOLD.sub("", _decode_surrogates(value))
        except Exception:
            continue
    return view


def _decode_surrogates(value: str) -> str:
    """Raw 8-bit header bytes as UTF-8, else Windows-1252, so parameters stay readable."""
    if not has_surrogates(value):
        return value
    data = value.encode("ascii", "surrogateescape")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", "replace")


def _content_type(view: Message, part: Message) -> str:
    """The part's content type in lower case, its context's default when it has none."""
    try:
        content_type = view.get_content_type()
    except Exception:
        content_type = "text/plain"
    if view.get("content-type") is None:
        try:
            content_type = part.get_default_type()
        except Exception:
            content_type = "text/plain"
    if "/" not in content_type or has_surrogates(content_type) or len(content_type) > 200:
        return "application/octet-stream"
    return content_type


def _param(view: Message, name: str, header: str = "content-type") -> str | None:
    """One parameter of a header, RFC 2231 decoded."""
    try:
        value = view.get_param(name, None, header)
    except Exception:
        return None
    if value is None:
        return None
    if isinstance(value, tuple):
        charset, _language, text = value
        value, _problem = _decode(text.encode("raw-unicode-escape"), charset or "us-ascii")
    return str(value)


def _charset(view: Message) -> str | None:
    """The charset parameter, or None."""
    value = _param(view, "charset")
    return value.strip().strip("'\"") if value else None


def _disposition(view: Message) -> str:
    """The Content-Disposition, lower case, "" when absent."""
    try:
        return (view.get_content_disposition() or "").strip()
    except Exception:
        return ""


def _filename(view: Message, reading: _Reading) -> str:
    """The part's own filename, decoded and stripped of any path, or ""."""
    name = _param(view, "filename", "content-disposition") or _param(view, "name")
    if not name:
        return ""
    name = _decode_words(name, reading)
    name = re.split(r"[/\\]", name)[-1]
    name = _UNSAFE_FILENAME.sub("_", storable_text(name))
    name = _WHITESPACE.sub(" ", name).strip().lstrip(".").strip()
    if len(name) > 200:
        stem, dot, extension = name.rpartition(".")
        name = (stem[:190] + dot + extension[:9]) if dot and len(extension) <= 9 else name[:200]
    return name


def _content_id(view: Message) -> str | None:
    """The Content-ID without angle brackets, or None."""
    value = view.get("content-id")
    if value is None:
        return None
    value = storable_text(str(value)).strip().strip("<>").strip()
    return value[:255] or None


def _part_text(part: Message, view: Message, reading: _Reading, html: bool) -> str:
    """A text part decoded with its charset, or a noted guess."""
    data = _payload_bytes(part, reading)
    charset = _charset(view)
    if charset is None and html:
        found = _META_CHARSET.search(data[:4096])
        if found:
            charset = found.group(1).decode("ascii")
    text, problem = _decode(data, charset)
    if problem:
        reading.note(problem)
    return text


def _payload_bytes(part: Message, reading: _Reading) -> bytes:
    """A leaf part's decoded content; undecodable transfer encodings give the bytes as sent."""
    known = len(part.defects)
    try:
        data = part.get_payload(decode=True)
    except Exception:
        data = None
        reading.note("a part's transfer encoding could not be decoded; kept as sent")
    if any(
        isinstance(defect, email_errors.InvalidBase64LengthDefect)
        for defect in part.defects[known:]
    ):
        # The email package gives up and returns the base64 text itself; decode what is there.
        payload = part.get_payload()
        data = _lenient_b64(payload) if isinstance(payload, str) else data
    if isinstance(data, bytes):
        return data
    payload = part.get_payload()
    if isinstance(payload, str):
        try:
            return payload.encode("ascii", "surrogateescape")
        except UnicodeError:
            return payload.encode("utf-8", "replace")
    return b""


def _decode(data: bytes, label: str | None) -> tuple[str, str | None]:
    """Bytes as text in their charset (widened, guessed or replaced), and what went wrong."""
    name = (label or "").strip().strip("'\"").lower()[:40] or "us-ascii"
    if name in ("unknown-8bit", "x-unknown", "unknown", "x-user-defined", "default", "8bit"):
        canonical = None
    else:
        canonical = _codec(name)
    if canonical is None:
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            return (
                data.decode("utf-8", "replace"),
                f"a part's charset {name} is unknown; read as UTF-8 with replacements",
            )
        return (
            text,
            None if data.isascii() else f"a part's charset {name} is unknown; read as UTF-8",
        )
    if canonical == "iso2022_jp":
        text = _iso2022_jp(data)
        if text is not None:
            return text, None
    for candidate in _CHARSET_WIDENINGS.get(canonical, (canonical,)):
        try:
            text = data.decode(candidate)
        except (UnicodeDecodeError, LookupError):
            continue
        except Exception:  # some codecs fail in their own ways
            continue
        if canonical == "ascii" and candidate != "utf_8":
            shown = {"cp1252": "windows-1252", "latin_1": "iso-8859-1"}[candidate]
            return text, f"a part has 8-bit text but no charset; read as {shown}"
        return text, None
    if canonical != "utf_8":
        try:
            return data.decode("utf-8"), f"a part labelled {name} is really UTF-8; read as UTF-8"
        except UnicodeDecodeError:
            pass
    try:
        text = data.decode(canonical, "replace")
    except Exception:
        return data.decode("utf-8", "replace"), (
            f"a part's charset {name} could not be used; read as UTF-8 with replacements"
        )
    return text, f"a part is not valid {name}; unreadable bytes were replaced"


def _iso2022_jp(data: bytes) -> str | None:
    """ISO-2022-JP, including Microsoft's NEC row-13 symbols (①, ㈱) that JIS X 0208 lacks."""
    for candidate in _CHARSET_WIDENINGS["iso2022_jp"]:
        try:
            return data.decode(candidate)
        except (UnicodeDecodeError, LookupError):
            continue
    try:
        # JIS X 0213 plane 1 is a superset of JIS X 0208 that placed the NEC symbols where Windows
        # writes them, so re-designating it decodes CP50220-style mail.
        return (
            data.replace(b"\x1b$B", b"\x1b$(Q")
            .replace(b"\x1b$@", b"\x1b$(Q")
            .decode("iso2022_jp_2004")
        )
    except (UnicodeDecodeError, LookupError):
        return None


def _codec(label: str) -> str | None:
    """Python's name for a charset label, or None when it is unknown or not a text encoding."""
    label = _CHARSET_LABELS.get(label, label)
    if len(label) > 64:
        return None
    try:
        info = codecs.lookup(label)
    except (LookupError, ValueError, TypeError):
        return None
    name = info.name.replace("-", "_")
    if not getattr(info, "_is_text_encoding", True) or name in _REFUSED_CODECS:
        return None
    return {"utf_8_sig": "utf_8", "iso8859_1": "latin_1"}.get(name, name)


def _unflow(text: str, view: Message) -> str:
    """Join the soft line breaks of format=flowed text (RFC 3676)."""
    if (_param(view, "format") or "").lower() != "flowed":
        return text
    delsp = (_param(view, "delsp") or "").lower() == "yes"
    out: list[str] = []
    joining = False
    for line in _normalise_newlines(text).split("\n"):
        soft = line.endswith(" ") and line != "-- "
        if soft and delsp:
            line = line[:-1]
        if joining and out:
            out[-1] += line
        else:
            out.append(line)
        joining = soft
    return "\n".join(out)


def _add_attachment(
    part: Message, reading: _Reading, inline_hint: bool, view: Message | None = None
) -> None:
    """Keep a non-body part (a nested message as one .eml) for the attachment list."""
    view = view if view is not None else _view(part)
    content_type = _content_type(view, part)
    if content_type.startswith("message/") or part.is_multipart():
        data = _serialised_body(part, reading)
        encoding = str(view.get("content-transfer-encoding", "")).strip().lower()
        if encoding == "base64":
            data = _lenient_b64(data.decode("ascii", "replace"))
        elif encoding == "quoted-printable":
            data = binascii.a2b_qp(data)
    else:
        data = _payload_bytes(part, reading)
    filename = _filename(view, reading)
    if not filename and content_type in ("message/rfc822", "message/global"):
        filename = _nested_subject_filename(part, reading)
    reading.attachments.append(
        {
            "filename": filename,
            "content_type": content_type,
            "data": data,
            "content_id": _content_id(view),
            "inline_hint": inline_hint and content_type.startswith("image/"),
        }
    )


def _serialised_body(part: Message, reading: _Reading) -> bytes:
    """The bytes of a part's body as written, for nested messages and unreadable multiparts."""
    buffer = io.BytesIO()
    policy = email_policy.default.clone(refold_source="none", linesep="\r\n")
    try:
        BytesGenerator(buffer, mangle_from_=False, policy=policy).flatten(part)
    except Exception:
        try:
            return part.as_bytes(policy=email_policy.compat32)
        except Exception:
            reading.note("a nested message could not be written back out; it is kept empty")
            return b""
    data = buffer.getvalue()
    if data.startswith(b"\r\n"):
        return data[2:]
    _head, separator, body = data.partition(b"\r\n\r\n")
    return body if separator else data


def _nested_subject_filename(part: Message, reading: _Reading) -> str:
    """A filename for a forwarded message from its own subject."""
    payload = part.get_payload()
    if not isinstance(payload, list) or not payload or not isinstance(payload[0], Message):
        return ""
    subjects = [value for name, value in _raw_items(payload[0]) if name.lower() == "subject"]
    if not subjects:
        return ""
    subject = _header_text(_raw_text(subjects[0], reading), reading)
    name = _UNSAFE_FILENAME.sub("_", _WHITESPACE.sub(" ", subject)).strip().lstrip(".").strip()
    return f"{name[:150]}.eml" if name else ""


def _finish_attachments(reading: _Reading, referenced: set[str]) -> list[Part]:
    """The attachments as Parts, named when unnamed and marked inline when the body shows them."""
    parts = []
    for number, found in enumerate(reading.attachments, start=1):
        filename = found["filename"] or f"attachment-{number}{_extension(found['content_type'])}"
        content_id = found["content_id"]
        inline = found["inline_hint"] or (
            content_id is not None and content_id.lower() in referenced
        )
        parts.append(
            Part(
                filename=filename,
                content_type=found["content_type"],
                data=found["data"],
                content_id=content_id,
                inline=inline,
            )
        )
    return parts


def _extension(content_type: str) -> str:
    """A filename extension for a content type, .bin when unknown."""
    if content_type in _EXTENSIONS:
        return _EXTENSIONS[content_type]
    try:
        return _MIME_TYPES.guess_extension(content_type) or ".bin"
    except Exception:
        return ".bin"


def _collect_defects(part: Message, reading: _Reading, depth: int) -> None:
    """The email package's own findings about the mail's parts, as problems."""
    if depth > MAX_DEPTH:
        return
    boundary = None
    try:
        boundary = _param(_view(part), "boundary")
    except Exception:
        boundary = None
    for defect in getattr(part, "defects", []):
        problem = _defect_problem(defect, boundary)
        if problem:
            reading.note(problem)
    try:
        content_type = _content_type(_view(part), part)
    except Exception:
        content_type = ""
    if part.is_multipart() and not content_type.startswith("message/"):
        for child in _payload_list(part):
            if isinstance(child, Message):
                _collect_defects(child, reading, depth + 1)


def _defect_problem(defect: Exception, boundary: str | None) -> str | None:
    """An English sentence for one of the email package's defects."""
    named = f" {boundary}" if boundary else ""
    if isinstance(defect, email_errors.CloseBoundaryNotFoundDefect):
        return f"the message's structure is broken: boundary{named} never closed"
    if isinstance(defect, email_errors.StartBoundaryNotFoundDefect):
        return f"the message's structure is broken: boundary{named} never appears"
    if isinstance(defect, email_errors.NoBoundaryInMultipartDefect):
        return "the message's structure is broken: a multipart part has no boundary"
    if isinstance(defect, email_errors.MultipartInvariantViolationDefect):
        return "the message's structure is broken: a multipart part has no parts"
    if isinstance(defect, email_errors.FirstHeaderLineIsContinuationDefect):
        return "the first header line is a continuation line; it was ignored"
    if isinstance(defect, email_errors.MisplacedEnvelopeHeaderDefect):
        return "an mbox 'From ' line is among the headers; it was ignored"
    if isinstance(defect, email_errors.MissingHeaderBodySeparatorDefect):
        return "a line among the headers is not a header; the rest was read as the body"
    if isinstance(defect, email_errors.InvalidMultipartContentTransferEncodingDefect):
        return "a multipart part declares a transfer encoding it may not have"
    if isinstance(defect, email_errors.InvalidBase64PaddingDefect):
        return "a base64 part has broken padding; it was decoded as far as possible"
    if isinstance(defect, email_errors.InvalidBase64CharactersDefect):
        return "a base64 part contains characters outside base64; they were skipped"
    if isinstance(defect, email_errors.InvalidBase64LengthDefect):
        return "a base64 part has a broken length; its last bytes may be missing"
    if isinstance(defect, email_errors.UndecodableBytesDefect):
        return "a part contains bytes that could not be decoded"
    if isinstance(defect, email_errors.MessageDefect):
        return f"the mail is malformed ({type(defect).__name__})"
    return None


# HTML and text


def _render(segments: list[_Body], reading: _Reading) -> tuple[str, str, set[str]]:
    """The sanitised HTML body, the plain-text body, and the content ids the HTML refers to."""
    referenced: set[str] = set()
    html_pieces = []
    text_pieces = []
    for segment in segments:
        if segment.html is not None and _nesting_depth(segment.html) > MAX_HTML_DEPTH:
            # The sanitiser's tree builder slows quadratically with depth; such HTML is an attack.
            reading.note("the HTML body nests too deeply to show; it is shown as text")
            segment = _Body(text=segment.text or _strip_tags(segment.html))
        if segment.html is not None:
            for found in _CID_REFERENCE.findall(segment.html):
                referenced.add(unquote(html_lib.unescape(found)).strip("<>").lower())
            cleaned = sanitise_html(segment.html)
            html_pieces.append(cleaned)
        else:
            cleaned = None
            html_pieces.append(_text_to_html(segment.text or ""))
        if segment.text is not None:
            text_pieces.append(segment.text.strip("\r\n"))
        else:
            text_pieces.append(html_to_text(cleaned or ""))
    html = "\n".join(piece for piece in html_pieces if piece)
    text = "\n\n".join(piece for piece in text_pieces if piece)
    return html, _normalise_newlines(text), referenced


def _nesting_depth(html: str) -> int:
    """How deeply the HTML's elements nest, counting only elements that need an end tag."""
    depth = deepest = 0
    for closing, name in _TAG.findall(html):
        if name.lower() in _NO_NESTING:
            continue
        if closing:
            depth = max(depth - 1, 0)
        else:
            depth += 1
            deepest = max(deepest, depth)
    return deepest


def _strip_tags(html: str) -> str:
    """The text of HTML without a parser, for HTML too hostile to parse."""
    kept, inside = [], False
    for index, piece in enumerate(_CODE_TAG.split(html)):
        if index % 2:
            inside = piece != "/"
        elif not inside:
            kept.append(piece)
    text = re.sub(r"<[^<>]*>", " ", " ".join(kept))
    return html_lib.unescape(_WHITESPACE.sub(" ", text)).strip()


def sanitise_html(html: str) -> str:
    """Mail HTML reduced to an allow-list of tags, attributes and URL schemes."""
    return nh3.clean(
        storable_text(html),
        tags=_SAFE_TAGS,
        clean_content_tags=_DROPPED_WITH_CONTENT,
        attributes=_SAFE_ATTRIBUTES,
        url_schemes=_URL_SCHEMES,
        link_rel="noopener noreferrer",
        strip_comments=True,
        url_relative="deny",
    )


def _text_to_html(text: str) -> str:
    """Plain text as escaped paragraphs, its web addresses made links."""
    paragraphs = re.split(r"\n[ \t]*\n", _normalise_newlines(text).strip("\n"))
    out = []
    for paragraph in paragraphs:
        if not paragraph.strip():
            continue
        escaped = html_lib.escape(paragraph, quote=True)
        linked = _URL.sub(lambda match: f'<a href="{match.group(0)}">{match.group(0)}</a>', escaped)
        out.append("<p>" + linked.replace("\n", "<br>\n") + "</p>")
    return sanitise_html("\n".join(out)) if out else ""


def _segment_html(segment: _Body) -> str:
    """A stretch as HTML, unsanitised."""
    if segment.html is not None:
        return segment.html
    escaped = html_lib.escape(segment.text or "")
    return "<div>" + escaped.replace("\n", "<br>\n") + "</div>"


def _segment_text(segment: _Body) -> str:
    """A stretch as text."""
    if segment.text is not None:
        return segment.text
    return html_to_text(sanitise_html(segment.html or ""))


class _TextExtractor(HTMLParser):
    """Collects the readable text of sanitised HTML, with line breaks where blocks end."""

    _BLOCKS = {
        "p", "div", "br", "tr", "li", "h1", "h2", "h3", "h4", "h5", "h6", "table", "blockquote",
        "pre", "hr", "dd", "dt", "dl", "ol", "ul", "address", "figure", "figcaption", "center",
        "caption",
    }  # fmt: skip

    def __init__(self) -> None:
        """Start with no text."""
        super().__init__(convert_charrefs=True)
        self.pieces: list[str] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        """Break lines at blocks and separate table cells."""
        if tag in self._BLOCKS:
            self.pieces.append("\n")
        elif tag in ("td", "th"):
            self.pieces.append(" ")
        if tag == "li":
            self.pieces.append("- ")

    def handle_endtag(self, tag: str) -> None:
        """Break lines after blocks."""
        if tag in self._BLOCKS:
            self.pieces.append("\n")

    def handle_data(self, data: str) -> None:
        """Keep the text, its HTML whitespace collapsed."""
        self.pieces.append(re.sub(r"[ \t\r\n\f]+", " ", data))


def html_to_text(html: str) -> str:
    """The readable text of (sanitised) HTML."""
    extractor = _TextExtractor()
    try:
        extractor.feed(html)
        extractor.close()
        text = "".join(extractor.pieces)
    except Exception:
        text = html_lib.unescape(re.sub(r"<[^<>]*>", " ", html))
    lines = [line.strip() for line in text.replace("\xa0", " ").split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def _inline_images(html: str, attachments: list[Part]) -> str:
    """Show inline images: cid: sources become data: URIs of the image, or a placeholder."""
    by_id: dict[str, Part] = {}
    for part in attachments:
        if part.content_id:
            by_id.setdefault(part.content_id, part)
            by_id.setdefault(part.content_id.lower(), part)
    budget = [MAX_INLINE_TOTAL]

    def replace(match: re.Match) -> str:
        """One <img> tag, its cid: source resolved."""
        attributes = dict(
            (name.lower(), value or "") for name, value in _IMG_ATTRIBUTE.findall(match.group(1))
        )
        source = re.sub(r"[\t\r\n]", "", html_lib.unescape(attributes.get("src", "")))
        source = source.strip(_C0_AND_SPACE)
        if not source.lower().startswith("cid:"):
            return match.group(0)
        wanted = unquote(source[4:]).strip().strip("<>")
        part = by_id.get(wanted) or by_id.get(wanted.lower())
        image_type = _image_type(part.data) if part is not None else None
        attributes.pop("src", None)
        if part is not None and image_type and len(part.data) <= MAX_INLINE_IMAGE:
            encoded = base64.b64encode(part.data).decode("ascii")
            if len(encoded) <= budget[0]:
                budget[0] -= len(encoded)
                attributes = {"src": f"data:{image_type};base64,{encoded}", **attributes}
                return _img_tag(attributes)
        if not attributes.get("alt"):
            label = part.filename if part is not None else wanted
            attributes["alt"] = html_lib.escape(f"[image: {label}]", quote=True)
        return _img_tag(attributes)

    html = _IMG_TAG.sub(replace, html)
    # Links to parts (and sources outside <img>) mean nothing in a browser.
    return _CID_ATTRIBUTE.sub("", html)


def _img_tag(attributes: dict[str, str]) -> str:
    """An <img> tag from already-escaped attribute values."""
    written = "".join(f' {name}="{value}"' for name, value in attributes.items())
    return f"<img{written}>"


def _image_type(data: bytes) -> str | None:
    """The image type its bytes show it to be, only for the formats browsers show safely."""
    for magic, content_type in _IMAGE_MAGIC:
        if data.startswith(magic):
            return content_type
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


# Small pieces


def _normalise_newlines(text: str) -> str:
    """Text with every line break as a single \\n."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _charset_hint(raw: bytes) -> str | None:
    """The first charset the mail names anywhere, to read unlabelled 8-bit headers with."""
    found = _ANY_CHARSET.search(raw, 0, 1_000_000)
    if not found:
        return None
    label = found.group(1).decode("ascii", "replace").lower()
    return label if _codec(label) else None
