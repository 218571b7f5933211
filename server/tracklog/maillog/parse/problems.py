"""What in a mail could be read only in part: a code and its data, put into words when shown."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask_babel import lazy_gettext as _l

from tracklog.explanations import register, render_stored
from tracklog.inputs import storable_text

# The why has always shown a mail's problems cut to this many characters.
MAX_SHOWN = 1000

PROBLEM_TEXTS = {
    "unreadable_error": _l("tracklog could not read this mail (%(error)s)"),
    "lenient_parser": _l("the mail's headers confused the parser; read with the lenient parser"),
    "unparseable_structure": _l("the mail's structure could not be parsed; read as plain text"),
    "repeated_header": _l("the mail has %(count)d %(header)s headers; the first was used"),
    "repeated_address_header": _l(
        "the mail has %(count)d %(header)s headers; their addresses were combined"
    ),
    "unlabelled_header_text": _l("a header has unlabelled 8-bit text; read as %(charset)s"),
    "undecodable_encoded_word": _l(
        "a header has an encoded word that could not be decoded; kept as written"
    ),
    "unreadable_date": _l("the Date header is unreadable"),
    "unusable_message_id": _l("the Message-ID header is unusable"),
    "no_from": _l("the mail has no From header"),
    "address_header_too_long": _l("the %(header)s header is too long; only its start was read"),
    "unreadable_address": _l("an address in the %(header)s header could not be read"),
    "unreadable_address_header": _l("the %(header)s header could not be read"),
    "parts_too_deep": _l("the mail nests parts too deeply; the deepest were kept as attachments"),
    "wrong_boundary": _l(
        "the message's structure is broken: its boundary is wrong; parts were found"
    ),
    "no_parts_found": _l(
        "the message's structure is broken: no parts were found; read as plain text"
    ),
    "undecodable_transfer_encoding": _l(
        "a part's transfer encoding could not be decoded; kept as sent"
    ),
    "unknown_charset": _l("a part's charset %(charset)s is unknown; read as UTF-8"),
    "unknown_charset_replaced": _l(
        "a part's charset %(charset)s is unknown; read as UTF-8 with replacements"
    ),
    "unusable_charset": _l(
        "a part's charset %(charset)s could not be used; read as UTF-8 with replacements"
    ),
    "header_unknown_charset": _l("a header's charset %(charset)s is unknown; read as UTF-8"),
    "header_unknown_charset_replaced": _l(
        "a header's charset %(charset)s is unknown; read as UTF-8 with replacements"
    ),
    "header_unusable_charset": _l(
        "a header's charset %(charset)s could not be used; read as UTF-8 with replacements"
    ),
    "unlabelled_8bit": _l("a part has 8-bit text but no charset; read as %(charset)s"),
    "mislabelled_utf8": _l("a part labelled %(charset)s is really UTF-8; read as UTF-8"),
    "invalid_charset_bytes": _l("a part is not valid %(charset)s; unreadable bytes were replaced"),
    "unwritable_nested_message": _l(
        "a nested message could not be written back out; it is kept empty"
    ),
    "boundary_never_closed": _l(
        "the message's structure is broken: boundary %(boundary)s never closed"
    ),
    "unnamed_boundary_never_closed": _l("the message's structure is broken: boundary never closed"),
    "boundary_never_appears": _l(
        "the message's structure is broken: boundary %(boundary)s never appears"
    ),
    "unnamed_boundary_never_appears": _l(
        "the message's structure is broken: boundary never appears"
    ),
    "multipart_without_boundary": _l(
        "the message's structure is broken: a multipart part has no boundary"
    ),
    "multipart_without_parts": _l(
        "the message's structure is broken: a multipart part has no parts"
    ),
    "continuation_first_header": _l("the first header line is a continuation line; it was ignored"),
    "mbox_from_line": _l("an mbox 'From ' line is among the headers; it was ignored"),
    "non_header_line": _l(
        "a line among the headers is not a header; the rest was read as the body"
    ),
    "multipart_transfer_encoding": _l(
        "a multipart part declares a transfer encoding it may not have"
    ),
    "base64_padding": _l("a base64 part has broken padding; it was decoded as far as possible"),
    "base64_characters": _l("a base64 part contains characters outside base64; they were skipped"),
    "base64_length": _l("a base64 part has a broken length; its last bytes may be missing"),
    "undecodable_bytes": _l("a part contains bytes that could not be decoded"),
    "malformed": _l("the mail is malformed (%(defect)s)"),
    "html_too_deep": _l("the HTML body nests too deeply to show; it is shown as text"),
}
register("parse", PROBLEM_TEXTS)

# The same decoding problem, named for a header rather than a part.
IN_HEADER = {
    "unknown_charset": "header_unknown_charset",
    "unknown_charset_replaced": "header_unknown_charset_replaced",
    "unusable_charset": "header_unusable_charset",
}


@dataclass(frozen=True)
class Problem:
    """Something in a mail that could be read only in part: a code and the data it names."""

    code: str
    params: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def of(cls, code: str, **params: Any) -> Problem:
        """A problem whose data from the mail is made storable."""
        storable = {
            name: storable_text(value) if isinstance(value, str) else value
            for name, value in params.items()
        }
        return cls(code, storable)

    def in_header(self) -> Problem:
        """This decoding problem as found in a header rather than in a part."""
        return Problem(IN_HEADER.get(self.code, self.code), self.params)

    def stored(self) -> dict[str, Any]:
        """The problem as it is stored: its code and its data."""
        return {"code": self.code, "params": dict(self.params)}

    def text(self) -> str:
        """The problem as a sentence in the current language."""
        return render_problem(self.stored())


def render_problem(stored: dict[str, Any] | str) -> str:
    """A stored problem in words, in the current language (plain text is shown as it is)."""
    if not isinstance(stored, dict):
        return str(stored)
    return render_stored("parse", stored)


def render_problems(stored: list[dict[str, Any] | str] | str) -> str:
    """A mail's stored problems as one line of sentences (old rows hold that line already)."""
    if isinstance(stored, str):
        return stored
    return "; ".join(render_problem(problem) for problem in stored)[:MAX_SHOWN]
