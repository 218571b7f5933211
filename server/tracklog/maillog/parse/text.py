"""Between HTML and plain text: the readable text of HTML, and text shown as HTML."""

from __future__ import annotations

import html as html_lib
import re
from html.parser import HTMLParser

from tracklog.maillog.parse.sanitise import sanitise_html

WHITESPACE = re.compile(r"\s+")
_URL = re.compile(r"\bhttps?://[^\s<>\"']+[^\s<>\"'.,;:!?)\]]")
_CODE_TAG = re.compile(r"<(/?)(?:script|style)\b[^<>]*>", re.IGNORECASE)


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


def strip_tags(html: str) -> str:
    """The text of HTML without a parser, for HTML too hostile to parse."""
    kept, inside = [], False
    for index, piece in enumerate(_CODE_TAG.split(html)):
        if index % 2:
            inside = piece != "/"
        elif not inside:
            kept.append(piece)
    text = re.sub(r"<[^<>]*>", " ", " ".join(kept))
    return html_lib.unescape(WHITESPACE.sub(" ", text)).strip()


def text_to_html(text: str) -> str:
    """Plain text as escaped paragraphs, its web addresses made links."""
    paragraphs = re.split(r"\n[ \t]*\n", normalise_newlines(text).strip("\n"))
    out = []
    for paragraph in paragraphs:
        if not paragraph.strip():
            continue
        escaped = html_lib.escape(paragraph, quote=True)
        linked = _URL.sub(lambda match: f'<a href="{match.group(0)}">{match.group(0)}</a>', escaped)
        out.append("<p>" + linked.replace("\n", "<br>\n") + "</p>")
    return sanitise_html("\n".join(out)) if out else ""


def normalise_newlines(text: str) -> str:
    """Text with every line break as a single \\n."""
    return text.replace("\r\n", "\n").replace("\r", "\n")
