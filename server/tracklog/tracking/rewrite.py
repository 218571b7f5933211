"""Rewrite an outgoing mail's HTML: wrap every http(s) link in a click URL and add the open pixel.

The standard library's HTMLParser only tells us where start tags, comments and end tags begin;
the output is spliced from the original text, so everything but the rewritten attribute values
(Outlook conditional comments, VML, entities, quoting, whitespace) reaches the recipient byte for
byte as the salesperson wrote it.
"""

from __future__ import annotations

import html.parser
import logging
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from html import unescape
from html.entities import html5 as _NAMED_REFERENCES
from typing import NamedTuple
from urllib.parse import urljoin

log = logging.getLogger(__name__)

# The parser's own patterns, so that attributes are split exactly where the parser split them.
_TAG_NAME = getattr(
    html.parser, "tagfind_tolerant", re.compile(r"([a-zA-Z][^\t\n\r\f />\x00]*)(?:\s|/(?!>))*")
)
_ATTRIBUTE = getattr(
    html.parser,
    "attrfind_tolerant",
    re.compile(
        r"((?<=['\"\s/])[^\s/>][^\s/=>]*)(\s*=+\s*"
        r"('[^']*'|\"[^\"]*\"|(?!['\"])[^>\s]*))?(?:\s|/(?!>))*"
    ),
)
_LOCATE_START_TAG_END = html.parser.locatestarttagend_tolerant
_COMMENT_CLOSE = getattr(html.parser, "commentclose", re.compile(r"--\s*>"))
_CHARACTER_REFERENCE = re.compile(r"&(#[0-9]+;?|#[xX][0-9a-fA-F]+;?|[^\t\n\f <&#;]{1,32};?)")
_SCHEME = re.compile(r"([a-zA-Z][a-zA-Z0-9+.\-]*):")
_CONDITIONAL_OPEN = re.compile(r"\s*\[if\b[^\]>]*\]>", re.IGNORECASE)
_CONDITIONAL_CLOSE = re.compile(r"<!\[endif\]\s*\Z", re.IGNORECASE)
_C0_OR_SPACE = "".join(chr(code) for code in range(0x21))
_LINK_TAGS = frozenset({"a", "area"})
_NOTED_TAGS = frozenset({"a", "area", "base", "img"})
_TRACKABLE_SCHEMES = frozenset({"http", "https"})
# Conditional comments cannot nest; the bound only stops pathological input from recursing.
_MAX_DEPTH = 3


@dataclass(frozen=True)
class FoundLink:
    """A trackable link: where a browser would go, and which repeat of that destination it is."""

    url: str
    occurrence: int


@dataclass(frozen=True)
class _Href:
    """A trackable attribute value: its span in the document (quotes included) and destination."""

    start: int
    end: int
    quote: str
    value: str
    url: str


# What the scanner may skip: text, and complete start tags (as the parser's own pattern finds
# their end) that are not noted, and end tags but </body>. Atomic groups, so that a tag is cut
# where the parser cuts it and never where backtracking would find another end; the rest (noted
# tags, comments, declarations, odd or unfinished markup) goes to the parser as before.
_SKIPPABLE = re.compile(
    r"(?:[^<]++"
    r"|(?=<(?!(?i:a|area|base|img|script|style)[\t\n\r\f />\x00]|[a-zA-Z][^\t\n\r\f />\x00:]*:))"
    r"(?>(?x:" + _LOCATE_START_TAG_END.pattern + r"))/?>"
    r"|</(?!(?i:body))[a-zA-Z][^>]*>"
    r")*+"
)
_LESS_THAN = re.compile("<")


class _NextNoted:
    """Stands in for the parser's `interesting` pattern: search() finds the next "<" that starts
    something the scanner notes or that the parser must read itself, past skippable markup."""

    @staticmethod
    def search(text: str, start: int) -> re.Match[str] | None:
        """The "<" where the parser takes over, or None when only skippable markup is left."""
        return _LESS_THAN.match(text, _SKIPPABLE.match(text, start).end())


_NEXT_NOTED = _NextNoted()


class _Scanner(html.parser.HTMLParser):
    """Notes where links, <base>, <img>, conditional comments and </body> begin in a text.

    Only those constructs reach the parser: the text and the other start and end tags before
    them are skipped in one regular expression match (see _NextNoted), where the stdlib would
    read them one by one and each tag's attributes (most of a mail, and of the parser's time)."""

    def __init__(self, text: str) -> None:
        """Prepare to scan text, the very string that will be fed (see _scan)."""
        self.text = text
        self.at = 0
        super().__init__(convert_charrefs=False)
        self.last_comment_close = -1
        for match in _COMMENT_CLOSE.finditer(text):
            self.last_comment_close = match.start()
        # ("tag", offset, name, length) and ("comment", data offset, data length), in order.
        self.events: list[tuple[str, int, str, int]] = []
        self.body_ends: list[int] = []

    def reset(self) -> None:
        """Start in the state where uninteresting markup is skipped."""
        super().reset()
        self.interesting = _NEXT_NOTED

    def clear_cdata_mode(self) -> None:
        """After a <script> or <style>, skip uninteresting markup again."""
        super().clear_cdata_mode()
        self.interesting = _NEXT_NOTED

    def updatepos(self, i: int, j: int) -> int:
        """Follow the parser's position as an offset (the stdlib counts lines and columns)."""
        self.at = j
        return j

    def position(self) -> int:
        """The start of the construct being reported, as an index into the text."""
        return len(self.text) - len(self.rawdata) + self.at

    def handle_starttag(self, tag: str, attrs: list) -> None:
        """Remember links, VML shapes (any prefixed tag), <base> and <img> with their span."""
        if tag in _NOTED_TAGS or ":" in tag:
            self.events.append(("tag", self.position(), tag, len(self.get_starttag_text() or "")))

    def handle_startendtag(self, tag: str, attrs: list) -> None:
        """A self-closing tag is a start tag only: <body/> does not end the body."""
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        """Remember where each </body> starts."""
        if tag == "body":
            self.body_ends.append(self.position())

    def handle_comment(self, data: str) -> None:
        """Remember conditional comments: Outlook renders the HTML inside them."""
        if _CONDITIONAL_OPEN.match(data):
            self.events.append(("comment", self.position() + 4, "", len(data)))

    def parse_comment(self, i: int, report: int = 1) -> int:
        """A comment with no end runs to the end of the text, as in browsers."""
        if len(self.text) - len(self.rawdata) + i + 4 > self.last_comment_close:
            # Also spares the stdlib a rescan of the whole rest for every unterminated "<!--".
            if report:
                self.handle_comment(self.rawdata[i + 4 :])
            return len(self.rawdata)
        return super().parse_comment(i, report)

    def parse_marked_section(self, i: int, report: int = 1) -> int:
        """Read "<![...": in HTML (and in Outlook's "<![if ...]>") it lasts up to the next ">"."""
        # The stdlib raises on unknown keywords and rescans the rest for each unclosed CDATA.
        end = self.rawdata.find(">", i + 3)
        if end < 0:
            return -1
        if report:
            self.unknown_decl(self.rawdata[i + 3 : end])
        return end + 1


def _scan(text: str) -> _Scanner:
    """Run the parser over text and return what it noted."""
    # "&" is replaced by a character every pattern of the parser treats the same way: the
    # stdlib (3.11) stops parsing for good at a second malformed "&#", and values are decoded
    # here anyway. Nothing after the last ">" can be a complete tag, so it is not parsed at all.
    parsed = text[: text.rfind(">") + 1].replace("&", "_")
    scanner = _Scanner(parsed)
    scanner.feed(parsed)
    scanner.close()
    return scanner


def _decode_reference(match: re.Match[str]) -> str:
    """One character reference decoded as in an attribute value (HTML tokenizer rules)."""
    name = match.group(1)
    if name[0] == "#" or name in _NAMED_REFERENCES:
        return unescape(match.group(0))
    for length in range(min(len(name) - 1, 6), 1, -1):
        prefix = name[:length]
        if prefix in _NAMED_REFERENCES:
            following = name[length]
            # In attributes "&copy=1" stays as written: query strings keep their parameters.
            if following == "=" or (following.isascii() and following.isalnum()):
                return match.group(0)
            return _NAMED_REFERENCES[prefix] + name[length:]
    return match.group(0)


def _decode_attribute(raw: str) -> str:
    """An attribute value as the browser sees it."""
    if "&" in raw:
        raw = _CHARACTER_REFERENCE.sub(_decode_reference, raw)
    return raw.replace("\x00", "\ufffd")


class _Attribute(NamedTuple):
    """Where an attribute sits in a start tag (name, quoted value) and its raw value."""

    name_start: int
    start: int
    end: int
    quote: str
    raw: str


def _attribute(source: str, wanted: str) -> _Attribute | None:
    """The first attribute called wanted in a start tag, with a value."""
    name = _TAG_NAME.match(source, 1)
    if name is None:
        return None
    position = name.end()
    while position < len(source):
        match = _ATTRIBUTE.match(source, position)
        if match is None or match.end() == position:
            return None
        if match.group(1).lower() == wanted:
            if not match.group(2):
                return None
            start, end = match.span(3)
            raw = match.group(3)
            if len(raw) >= 2 and raw[0] in "'\"" and raw[-1] == raw[0]:
                return _Attribute(match.start(1), start, end, raw[0], raw[1:-1])
            return _Attribute(match.start(1), start, end, "", raw)
        position = match.end()
    return None


def _clean_url(value: str) -> str:
    """A URL as browsers read it: outer spaces and controls gone, tabs and newlines dropped."""
    return value.strip(_C0_OR_SPACE).replace("\t", "").replace("\n", "").replace("\r", "")


def _destination(value: str, base: str | None) -> str | None:
    """Where an href leads when that is an http(s) page, else None."""
    url = _clean_url(value)
    if not url or url.startswith("#"):
        return None
    scheme = _SCHEME.match(url)
    if scheme is None:
        if base is None:
            return None
        try:
            url = urljoin(base, url)
        except ValueError:
            return None
        scheme = _SCHEME.match(url)
    if scheme is None or scheme.group(1).lower() not in _TRACKABLE_SCHEMES:
        return None
    return url


def _base_url(text: str, scanner: _Scanner) -> str | None:
    """The document's <base href> when it is absolute (the first one counts, as in browsers)."""
    for kind, start, tag, length in scanner.events:
        if kind == "tag" and tag == "base":
            found = _attribute(text[start : start + length], "href")
            if found is None:
                continue
            base = _clean_url(_decode_attribute(found.raw))
            return base if _SCHEME.match(base) else None
    return None


def _hrefs(text: str, scanner: _Scanner, base: str | None, depth: int = 0) -> Iterator[_Href]:
    """Every trackable href of a scanned text, conditional comments included, in order."""
    for kind, start, tag, length in scanner.events:
        if kind == "comment":
            if depth >= _MAX_DEPTH:
                continue
            data = text[start : start + length]
            opening = _CONDITIONAL_OPEN.match(data)
            closing = _CONDITIONAL_CLOSE.search(data)
            if opening is None or closing is None or closing.start() < opening.end():
                continue
            body = data[opening.end() : closing.start()]
            shift = start + opening.end()
            for href in _hrefs(body, _scan(body), base, depth + 1):
                yield _Href(href.start + shift, href.end + shift, href.quote, href.value, href.url)
        elif tag in _LINK_TAGS or ":" in tag:
            found = _attribute(text[start : start + length], "href")
            if found is None:
                continue
            value = _decode_attribute(found.raw)
            url = _destination(value, base)
            if url is not None:
                yield _Href(start + found.start, start + found.end, found.quote, value, url)


def _found_links(text: str, scanner: _Scanner) -> Iterator[tuple[_Href, FoundLink]]:
    """Each trackable href with its FoundLink, repeats of a destination numbered from 0."""
    seen: dict[str, int] = {}
    for href in _hrefs(text, scanner, _base_url(text, scanner)):
        occurrence = seen.get(href.url, 0)
        seen[href.url] = occurrence + 1
        yield href, FoundLink(href.url, occurrence)


def find_links(html: str) -> list[FoundLink]:
    """Every trackable link in document order (see rewrite_html for which links count)."""
    return [link for _, link in _found_links(html, _scan(html))]


def _quoted(url: str, quote: str) -> str:
    """An attribute value for url, in the original quote character (double when unquoted)."""
    value = url.replace("&", "&amp;").replace('"', "&quot;")
    if quote == "'":
        return "'" + value.replace("'", "&#39;") + "'"
    return '"' + value + '"'


def _first_img_src(text: str, scanner: _Scanner) -> str | None:
    """The decoded src of the first <img> of a scanned text."""
    for kind, start, tag, length in scanner.events:
        if kind == "tag" and tag == "img":
            found = _attribute(text[start : start + length], "src")
            return _clean_url(_decode_attribute(found.raw)) if found else ""
    return None


def _has_pixel(html: str, scanner: _Scanner, extra_html: str) -> bool:
    """Whether the document already holds extra_html's pixel (the src of its first <img>)."""
    pixel = _first_img_src(extra_html, _scan(extra_html))
    if not pixel:
        return extra_html in html
    for kind, start, tag, length in scanner.events:
        if kind == "tag" and tag == "img":
            found = _attribute(html[start : start + length], "src")
            if found and _clean_url(_decode_attribute(found.raw)) == pixel:
                return True
    return False


def _rewrite(
    html: str,
    click_url_for: Callable[[FoundLink], str],
    is_own_url: Callable[[str], bool],
    extra_html: str,
) -> str:
    """rewrite_html without the safety net."""
    scanner = _scan(html)
    edits: list[tuple[int, int, str]] = []
    for href, link in _found_links(html, scanner):
        if is_own_url(link.url):
            continue
        new_url = click_url_for(link)
        if new_url != href.value:
            edits.append((href.start, href.end, _quoted(new_url, href.quote)))
    if extra_html and not _has_pixel(html, scanner, extra_html):
        at = scanner.body_ends[-1] if scanner.body_ends else len(html)
        edits.append((at, at, extra_html))
        edits.sort(key=lambda edit: edit[0])
    return _spliced(html, edits)


def _spliced(html: str, edits: list[tuple[int, int, str]]) -> str:
    """The text with each (start, end) span, in order and not overlapping, replaced."""
    pieces = []
    done = 0
    for start, end, replacement in edits:
        pieces.append(html[done:start])
        pieces.append(replacement)
        done = end
    pieces.append(html[done:])
    return "".join(pieces)


def rewrite_html(
    html: str,
    click_url_for: Callable[[FoundLink], str],
    is_own_url: Callable[[str], bool],
    extra_html: str,
) -> str:
    """The mail with its http(s) links wrapped by click_url_for and extra_html added once."""
    try:
        return _rewrite(html, click_url_for, is_own_url, extra_html)
    except Exception:
        # A mail must still go out: untracked links are better than a failed send.
        log.exception("could not rewrite a mail's links; sending it with the pixel only")
        if extra_html in html:
            return html
        return html + extra_html


def replace_urls(html: str, new_url_for: Callable[[str], str | None]) -> str:
    """The HTML with each link's href and each image's src passed through new_url_for.

    The same URL back keeps it; another replaces it; None removes a link's href (its text
    stays) or the whole image. Only those spans change, the rest stays byte for byte.
    """
    scanner = _scan(html)
    edits: list[tuple[int, int, str]] = []
    for kind, start, tag, length in scanner.events:
        if kind != "tag" or tag == "base":
            continue
        found = _attribute(html[start : start + length], "src" if tag == "img" else "href")
        if found is None:
            continue
        url = _clean_url(_decode_attribute(found.raw))
        new_url = new_url_for(url)
        if new_url == url:
            continue
        if new_url is not None:
            edits.append((start + found.start, start + found.end, _quoted(new_url, found.quote)))
        elif tag == "img":
            edits.append((start, start + length, ""))
        else:
            edits.append((start + found.name_start, start + found.end, ""))
    return _spliced(html, edits)
