"""Mail HTML made safe to show: an allow-list of tags, attributes and URL schemes."""

from __future__ import annotations

import re

import nh3

from tracklog.inputs import storable_text

MAX_HTML_DEPTH = 3000

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
_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9:-]*)")
# Void elements and those whose end tag is implied by the next sibling.
_NO_NESTING = {
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source",
    "track", "wbr", "p", "li", "dt", "dd", "td", "th", "tr", "option", "optgroup", "tbody",
    "thead", "tfoot", "colgroup", "rt", "rp", "o:p",
}  # fmt: skip
_SCRIPT_SCHEME = re.compile(r"(java|vb)script:", re.IGNORECASE)


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


def too_deep(html: str) -> bool:
    """Whether HTML nests deeper than the sanitiser can take (its tree builder is quadratic)."""
    return _nesting_depth(html) > MAX_HTML_DEPTH


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


def defuse_script_schemes(html: str) -> str:
    """HTML whose javascript: and vbscript: texts no longer read as schemes, even as plain text."""
    return _SCRIPT_SCHEME.sub(r"\1script&#58;", storable_text(html))
