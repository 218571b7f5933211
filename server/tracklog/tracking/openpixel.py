"""The open pixel outside Flask: the view's token check, journal and facts, for the fast path.

A worker's connection handler (fastpath.py) answers GET/HEAD /t/o/<token>.gif without Flask's
routing, request context and hooks. What it does with a request is the view's own rule, called
here with plain values (views.py `hit_facts`, `sender_cookie_user`, `append_hit`), and what it
answers is the view's own answer, learned once from the app when the worker starts.
"""

from __future__ import annotations

from collections.abc import Mapping

from flask import Flask
from werkzeug.datastructures import Headers
from werkzeug.http import parse_list_header
from werkzeug.test import EnvironBuilder, run_wsgi_app

from tracklog.tracking.hits import hit_journal
from tracklog.tracking.tokens import claims_of, signing_keys
from tracklog.tracking.views import (
    append_hit,
    hit_facts,
    sender_cookie_serializer,
    sender_cookie_user,
)

# A token no key signs: the view answers it without journaling anything.
FORGED_PATH = "/t/o/-.gif"


class OpenPixel:
    """What a worker needs to journal an open and answer it as the view does."""

    def __init__(self, app: Flask) -> None:
        self.keys = signing_keys(app.config)
        self.serializer = sender_cookie_serializer(app)
        self.journal = hit_journal(app)
        self.log = app.logger
        self.proxy_hops = app.config["PROXY_HOPS"]
        self.status, self.headers, self.body = view_answer(app)

    def journal_hit(
        self, token: str, method: str, peer: str, headers: Mapping[str, str], sender: str | None
    ) -> str:
        """Journal the hit of a genuine token before the answer; the client's address."""
        ip = forwarded_address(peer, headers.get("x-forwarded-for"), self.proxy_hops)
        claims = claims_of(token, "open", self.keys)
        if claims is not None:
            user = sender_cookie_user(sender or "", self.serializer)
            append_hit(self.journal, hit_facts(claims, method, ip, headers, user), self.log)
        return ip


def view_answer(app: Flask) -> tuple[str, Headers, bytes]:
    """The status, headers (security headers included) and body of the view's GIF."""
    environ = EnvironBuilder(path=FORGED_PATH, base_url=app.config["BASE_URL"]).get_environ()
    body, status, headers = run_wsgi_app(app, environ, buffered=True)
    return status, headers, b"".join(body)


def forwarded_address(peer: str, forwarded_for: str | None, hops: int) -> str:
    """The client's address as ProxyFix(x_for=hops) in create_app makes it: the hops-th from
    the right of X-Forwarded-For when trusted proxies put that many there, else the peer."""
    if hops and forwarded_for:
        values = parse_list_header(forwarded_for)
        if len(values) >= hops:
            return values[-hops]
    return peer
