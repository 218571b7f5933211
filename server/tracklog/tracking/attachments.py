"""Tracked attachments: files stored by content hash, shared through expiring links."""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from datetime import timedelta
from pathlib import Path
from typing import IO

from flask import Response, current_app, send_file
from flask_babel import gettext as _
from sqlalchemy import select, update

from tracklog.errors import DomainError, NotFound, ValidationFailed
from tracklog.extensions import db
from tracklog.inputs import storable_text
from tracklog.models import MailAttachment, Message, NoteFile, TrackedAttachment, User, utcnow
from tracklog.settings.account import tracked_attachment_days
from tracklog.tracking.tokens import TokenClaims, make_token, read_token

CHUNK = 1024 * 1024
TOKEN = r"([A-Za-z0-9_-]+)"


class AttachmentTooLarge(DomainError):
    """The file is over the account's attachment size limit."""

    status = 413
    code = "attachment_too_large"


def store_folder() -> Path:
    """Where attachment files live: TRACKLOG_ATTACHMENT_STORE or <instance>/attachments."""
    configured = current_app.config["ATTACHMENT_STORE"]
    return Path(configured) if configured else Path(current_app.instance_path) / "attachments"


def attachment_path(sha256: str) -> Path:
    """The file holding content with this hash."""
    return store_folder() / sha256[:2] / sha256


def unused_hashes(hashes: set[str]) -> set[str]:
    """The hashes whose stored file no logged, tracked or note attachment of any account uses."""
    if not hashes:
        return set()
    used = set()
    for model in (MailAttachment, TrackedAttachment, NoteFile):
        used |= set(db.session.scalars(select(model.sha256).where(model.sha256.in_(hashes))))
    return hashes - used


def remove_unused_files(hashes: set[str]) -> None:
    """Delete the stored files of these hashes that no attachment uses
    (called once the rows that named them are committed away)."""
    for sha256 in unused_hashes(hashes):
        attachment_path(sha256).unlink(missing_ok=True)


def send_stored_file(sha256: str, filename: str, content_type: str) -> Response:
    """A stored file as a download that a browser never renders (nosniff, sandboxed)."""
    path = attachment_path(sha256)
    if not path.is_file():
        raise NotFound(_("The file of this attachment is no longer stored."))
    response = send_file(
        path,
        mimetype=content_type or "application/octet-stream",
        as_attachment=True,
        download_name=filename,
        max_age=0,
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


def store_file(stream: IO[bytes], limit: int) -> tuple[str, int]:
    """Copy a stream into the content-addressed store; its hash and size, or AttachmentTooLarge."""
    folder = store_folder()
    folder.mkdir(parents=True, exist_ok=True)
    digest, size = hashlib.sha256(), 0
    with tempfile.NamedTemporaryFile(dir=folder, delete=False) as temporary:
        try:
            while chunk := stream.read(CHUNK):
                size += len(chunk)
                if size > limit:
                    raise AttachmentTooLarge(
                        _("The file is larger than the limit of %(mb)d MB.", mb=limit // 2**20),
                        details={"limit_bytes": limit},
                    )
                digest.update(chunk)
                temporary.write(chunk)
        except BaseException:
            os.unlink(temporary.name)
            raise
    target = attachment_path(digest.hexdigest())
    target.parent.mkdir(exist_ok=True)
    os.replace(temporary.name, target)
    return digest.hexdigest(), size


def share_file(
    user: User, stream: IO[bytes], filename: str, content_type: str, message_public_id: str | None
) -> TrackedAttachment:
    """Store a file and create its tracked, expiring download link."""
    if not filename:
        raise ValidationFailed(_("Send the file as multipart field 'file' with a file name."))
    message_id = None
    if message_public_id:
        message = db.session.scalar(
            select(Message).filter_by(account_id=user.account_id, public_id=message_public_id)
        )
        if message is None:
            raise NotFound(_("There is no message %(id)s.", id=message_public_id))
        message_id = message.id
    sha256, size = store_file(stream, user.account.attachment_size_limit)
    shared = TrackedAttachment(
        account_id=user.account_id,
        user_id=user.id,
        message_id=message_id,
        sha256=sha256,
        filename=storable_text(os.path.basename(filename))[:255],
        content_type=content_type or "application/octet-stream",
        size=size,
        expires_at=utcnow() + timedelta(days=tracked_attachment_days(user.account)),
    )
    db.session.add(shared)
    db.session.commit()
    return shared


def claim_shared_files(message: Message, html: str) -> None:
    """Make the sender's tracked files whose links the mail carries belong to it, so their views
    count in its KPIs (the pane uploads a file before the message exists)."""
    prefix = re.escape(f"{current_app.config['BASE_URL']}/t/a/")
    claims = (read_token(token, "attachment") for token in re.findall(prefix + TOKEN, html))
    ids = {claim.target_id for claim in claims if claim is not None}
    if not ids:
        return
    db.session.execute(
        update(TrackedAttachment)
        .where(
            TrackedAttachment.id.in_(ids),
            TrackedAttachment.account_id == message.account_id,
            TrackedAttachment.user_id == message.user_id,
            TrackedAttachment.message_id.is_(None),
        )
        .values(message_id=message.id)
    )


def download_url(shared: TrackedAttachment) -> str:
    """The public, tracked download link of a shared file."""
    token = make_token(TokenClaims("attachment", shared.id))
    return f"{current_app.config['BASE_URL']}/t/a/{token}"


def revoke_attachment(user: User, attachment_id: int) -> TrackedAttachment:
    """Withdraw a download link; the sender (or an admin of the account) may do it."""
    query = select(TrackedAttachment).filter_by(id=attachment_id, account_id=user.account_id)
    if not user.is_admin:
        query = query.filter_by(user_id=user.id)
    shared = db.session.scalar(query)
    if shared is None:
        raise NotFound(_("There is no attachment %(id)s.", id=attachment_id))
    shared.revoked_at = shared.revoked_at or utcnow()
    db.session.commit()
    return shared


def attachment_json(shared: TrackedAttachment) -> dict:
    """A shared file as the API shows it."""
    return {
        "id": shared.id,
        "filename": shared.filename,
        "content_type": shared.content_type,
        "size": shared.size,
        "url": download_url(shared),
        "expires_at": shared.expires_at.isoformat().replace("+00:00", "Z"),
        "revoked": shared.revoked_at is not None,
    }
