"""The body stretches found in a mail, rendered as one sanitised HTML body and one text body."""

from __future__ import annotations

import html as html_lib
import re
from dataclasses import dataclass
from urllib.parse import unquote

from tracklog.maillog.parse.reading import Reading
from tracklog.maillog.parse.sanitise import sanitise_html, too_deep
from tracklog.maillog.parse.text import html_to_text, normalise_newlines, strip_tags, text_to_html

_CID_REFERENCE = re.compile(r"cid:([^\"'\s>)]+)", re.IGNORECASE)


@dataclass
class Body:
    """One stretch of the body, as HTML, as text, or both."""

    html: str | None = None
    text: str | None = None

    def as_html(self) -> str:
        """The stretch as HTML, unsanitised."""
        if self.html is not None:
            return self.html
        escaped = html_lib.escape(self.text or "")
        return "<div>" + escaped.replace("\n", "<br>\n") + "</div>"

    def as_text(self) -> str:
        """The stretch as text."""
        if self.text is not None:
            return self.text
        return html_to_text(sanitise_html(self.html or ""))


def render(segments: list[Body], reading: Reading) -> tuple[str, str, set[str]]:
    """The sanitised HTML body, the plain-text body, and the content ids the HTML refers to."""
    referenced: set[str] = set()
    html_pieces = []
    text_pieces = []
    for segment in segments:
        if segment.html is not None and too_deep(segment.html):
            # The sanitiser's tree builder slows quadratically with depth; such HTML is an attack.
            reading.note("html_too_deep")
            segment = Body(text=segment.text or strip_tags(segment.html))
        if segment.html is not None:
            for found in _CID_REFERENCE.findall(segment.html):
                referenced.add(unquote(html_lib.unescape(found)).strip("<>").lower())
            cleaned = sanitise_html(segment.html)
            html_pieces.append(cleaned)
        else:
            cleaned = None
            html_pieces.append(text_to_html(segment.text or ""))
        if segment.text is not None:
            text_pieces.append(segment.text.strip("\r\n"))
        else:
            text_pieces.append(html_to_text(cleaned or ""))
    html = "\n".join(piece for piece in html_pieces if piece)
    text = "\n\n".join(piece for piece in text_pieces if piece)
    return html, normalise_newlines(text), referenced
