"""Logged copies of tracked mail without their tracking, so no CRM page ever counts as a hit.

A BCC copy (or a mail logged from the pane) is the mail as the recipient got it: with our open
pixel and click URLs. Shown on a timeline, the pixel would count a colleague's look as the
customer's open. So the copy is stored clean, and every page cleans again what older rows hold:
our pixel <img> goes, a click URL becomes the link's recorded original URL, and a tracked
attachment link, the opt-out footer's link (a colleague must not opt the recipient out from
a timeline) or a click URL that cannot be resolved keeps its text but points nowhere.

A URL is ours when its path is /t/o, /t/c, /t/a or /t/u with a token, and it is on this
installation's base URL or its token verifies (an earlier base URL, a proxy's host).
"""

from __future__ import annotations

import html as html_lib
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from flask import current_app
from sqlalchemy import select

from tracklog.extensions import db
from tracklog.models import TrackedLink
from tracklog.tracking.classify import HONEYPOT_SLOT
from tracklog.tracking.rewrite import replace_urls
from tracklog.tracking.tokens import TokenClaims, read_token

KINDS = {"o": "open", "c": "click", "a": "attachment", "u": "optout"}
_PATH = re.compile(r"^(?P<prefix>.*)/t/(?P<kind>[ocau])/(?P<token>[A-Za-z0-9_-]{1,80})(?:\.gif)?$")
# A tracking URL inside text or any attribute: what the structural pass did not see.
_URL_IN_TEXT = re.compile(
    r"https?://[^\s\"'<>]{1,300}?/t/[ocau]/[A-Za-z0-9_-]{1,80}(?:\.gif)?(?![A-Za-z0-9_-])",
    re.IGNORECASE,
)
_DEFAULT_PORTS = {"http": 80, "https": 443}


@dataclass(frozen=True)
class TrackingUrl:
    """One of our tracking URLs: its kind and what its token says (None when it does not verify)."""

    kind: str
    claims: TokenClaims | None


def _origin(url: str) -> tuple[str, int | None, str] | None:
    """A URL's host, port (defaults filled in) and path, or None when it has no host."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port or _DEFAULT_PORTS.get(parts.scheme.lower())
    except ValueError:
        return None
    if not parts.hostname:
        return None
    return parts.hostname.lower(), port, parts.path


def _on_base_url(host: str, port: int | None, prefix: str) -> bool:
    """Whether a host, port and path prefix are this installation's base URL."""
    base = _origin(current_app.config["BASE_URL"])
    return base is not None and (host, port) == base[:2] and prefix == base[2].rstrip("/")


def parse_tracking_url(url: str) -> TrackingUrl | None:
    """What a URL is when it is one of ours (pixel, click, attachment, opt-out link), or None."""
    origin = _origin(url)
    if origin is None:
        return None
    host, port, path = origin
    found = _PATH.match(path)
    if found is None:
        return None
    kind = KINDS[found["kind"]]
    claims = read_token(found["token"], kind)
    if claims is None and not _on_base_url(host, port, found["prefix"]):
        return None
    return TrackingUrl(kind, claims)


class Untracker:
    """Turns our tracking URLs into what a CRM page may show, for one account's mail."""

    def __init__(self, account_id: int) -> None:
        self.account_id = account_id
        self._links: dict[int, dict[int, str]] = {}

    def _original_urls(self, message_id: int) -> dict[int, str]:
        """The recorded original URL of each link slot of a message of this account."""
        if message_id not in self._links:
            rows = db.session.execute(
                select(TrackedLink.slot, TrackedLink.url).where(
                    TrackedLink.account_id == self.account_id,
                    TrackedLink.message_id == message_id,
                    TrackedLink.honeypot.is_(False),
                )
            )
            self._links[message_id] = {slot: url for slot, url in rows}
        return self._links[message_id]

    def new_url(self, url: str) -> str | None:
        """The URL to show instead: itself when not ours, the original for a click, else None."""
        found = parse_tracking_url(url)
        if found is None:
            return url
        claims = found.claims
        if found.kind != "click" or claims is None or claims.link_slot == HONEYPOT_SLOT:
            return None
        return self._original_urls(claims.target_id).get(claims.link_slot)

    def in_text(self, text: str, escape: bool) -> str:
        """Text with every tracking URL left in it replaced by its original (or removed)."""

        def replace(match: re.Match[str]) -> str:
            """One URL found in the text."""
            new_url = self.new_url(match.group(0)) or ""
            return html_lib.escape(new_url) if escape and new_url != match.group(0) else new_url

        return _URL_IN_TEXT.sub(replace, text)


def untracked_html(html: str, account_id: int) -> str:
    """Mail HTML with our pixel removed and our click URLs back to the links' original URLs."""
    if not html or "/t/" not in html:
        return html
    untracker = Untracker(account_id)
    return untracker.in_text(replace_urls(html, untracker.new_url), escape=True)


def untracked_text(text: str, account_id: int) -> str:
    """A mail's plain text with our click URLs back to the original URLs, other ones removed."""
    if not text or "/t/" not in text:
        return text
    return Untracker(account_id).in_text(text, escape=False)
