"""The tracking endpoints /t/o, /t/c and /t/a: answer at once, journal the hit, record it later."""

from __future__ import annotations

import base64
import uuid
from collections.abc import Mapping
from datetime import datetime
from logging import Logger
from typing import Any

from flask import Blueprint, Flask, Response, abort, current_app, redirect, request, send_file
from flask_babel import gettext as _
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.urls import iri_to_uri

from tracklog.extensions import csrf, db
from tracklog.models import TrackedAttachment, TrackedLink, utcnow
from tracklog.tracking.attachments import attachment_path
from tracklog.tracking.hits import hit_journal
from tracklog.tracking.journal import HitJournal
from tracklog.tracking.tokens import TokenClaims, read_token

tracking = Blueprint("tracking", __name__, url_prefix="/t")
csrf.exempt(tracking)

TRANSPARENT_GIF = base64.b64decode("R0lGODlhAQABAIAAAP///wAAACH5BAEAAAAALAAAAAABAAEAAAICRAEAOw==")
SENDER_COOKIE = "tl_sender"
# Prefetch marks, and what tells a browser from a script: its language and its client hints.
RECORDED_HEADERS = (
    "purpose",
    "sec-purpose",
    "x-moz",
    "via",
    "from",
    "x-purpose",
    "accept-language",
    "sec-ch-ua",
)


def sender_cookie_serializer(app: Flask | None = None) -> URLSafeSerializer:
    """Signs the cookie that marks the sender's own browser on the tracking path."""
    secret = (app or current_app).config["SECRET_KEY"]
    return URLSafeSerializer(secret, salt="tracklog sender cookie")


def sender_cookie_user(
    raw: str | None = None, serializer: URLSafeSerializer | None = None
) -> int | None:
    """The user a sender cookie (this request's by default) names, if it is genuine."""
    raw = request.cookies.get(SENDER_COOKIE) if raw is None else raw
    if not raw:
        return None
    try:
        value = (serializer or sender_cookie_serializer()).loads(raw)
    except BadSignature:
        return None
    return value if isinstance(value, int) else None


def journal_hit(claims: TokenClaims) -> None:
    """Journal this request's hit; a failing disk is logged, the answer still goes out."""
    facts = hit_facts(
        claims, request.method, request.remote_addr, request.headers, sender_cookie_user()
    )
    append_hit(hit_journal(), facts, current_app.logger)


def append_hit(journal: HitJournal, facts: dict[str, Any], log: Logger) -> None:
    """Journal a hit; a failing disk is logged, the answer still goes out."""
    try:
        journal.append(facts)
    except OSError:
        log.exception("could not journal a %s hit", facts["kind"])


def hit_facts(
    claims: TokenClaims,
    method: str,
    ip: str | None,
    headers: Mapping[str, str],
    sender: int | None,
) -> dict[str, Any]:
    """Everything the classifier needs to know about a hit, from its request's facts (header
    names in lower case; Werkzeug's headers also answer them)."""
    return {
        "hit_id": str(uuid.uuid4()),
        "kind": claims.kind,
        "target_id": claims.target_id,
        "link_slot": claims.link_slot,
        "recipient_slot": claims.recipient_slot,
        "at": datetime.isoformat(utcnow()),
        "method": method,
        "ip": ip,
        "ua": headers.get("user-agent", "")[:1000],
        "headers": {name: headers[name][:200] for name in RECORDED_HEADERS if name in headers},
        "sender_cookie_user": sender,
    }


@tracking.route("/o/<token>.gif", methods=["GET", "HEAD"])
def open_pixel(token: str) -> Response:
    """Always the same transparent GIF; a genuine token's hit is journaled first."""
    claims = read_token(token, "open")
    if claims is not None:
        journal_hit(claims)
    response = Response(TRANSPARENT_GIF, mimetype="image/gif")
    response.headers["Cache-Control"] = "no-store, no-cache, must-revalidate, max-age=0"
    response.headers["Pragma"] = "no-cache"
    return response


def link_url(claims: TokenClaims) -> str | None:
    """The URL recorded for a click token's link (None for the honeypot or an unknown link)."""
    query = select(TrackedLink.url, TrackedLink.honeypot).where(
        TrackedLink.message_id == claims.target_id, TrackedLink.slot == claims.link_slot
    )
    row = db.session.execute(query).first()
    if row is None:
        return None
    return "" if row.honeypot else row.url


@tracking.route("/c/<token>", methods=["GET", "HEAD"])
def click(token: str) -> Response:
    """302 to the URL recorded for this link, and only that; a 404 page for anything else."""
    claims = read_token(token, "click")
    if claims is None:
        abort(404, _("This link is not valid."))
    try:
        url = link_url(claims)
    except SQLAlchemyError:
        db.session.rollback()
        abort(503, _("This link cannot be followed right now. Please try again in a minute."))
    if url is None:
        abort(404, _("This link is not valid."))
    response = Response("", status=204) if url == "" else redirect_to_link(url)
    journal_hit(claims)  # only a hit that was answered as asked is a click
    return response


def redirect_to_link(url: str) -> Response:
    """A 302 to the link's URL; a page saying so when the sender's URL cannot be parsed."""
    try:
        # What Werkzeug does to a Location as the answer goes out: fail here, not after the view.
        location = iri_to_uri(url)
    except ValueError:
        abort(400, _("The address of this link is not valid, so it cannot be opened."))
    response = redirect(location, code=302)
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


@tracking.route("/a/<token>", methods=["GET", "HEAD"])
def attachment(token: str) -> Response:
    """The tracked file's bytes while its link is valid; each download is a view."""
    claims = read_token(token, "attachment")
    if claims is None:
        abort(404, _("This download link is not valid."))
    shared = db.session.get(TrackedAttachment, claims.target_id)
    if shared is None:
        abort(404, _("This download link is not valid."))
    if shared.revoked_at is not None or shared.expires_at <= utcnow():
        abort(410, _("This download link has expired or was withdrawn by its sender."))
    response = send_file(
        attachment_path(shared.sha256),
        mimetype=shared.content_type,
        as_attachment=True,
        download_name=shared.filename,
        max_age=0,
    )
    journal_hit(claims)
    return response
