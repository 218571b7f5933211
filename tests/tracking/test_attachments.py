"""Tracked attachments: stored by content, expiring and revocable links, each download a view."""

from __future__ import annotations

import io
from datetime import timedelta

from tests.tracking.helpers import CHROME_WINDOWS, compose
from tracklog.extensions import db
from tracklog.models import EngagementEvent, TrackedAttachment, utcnow

MAIL_CLIENT = {"User-Agent": CHROME_WINDOWS}


def upload(api, content: bytes = b"%PDF-1.7 proposal", name: str = "proposal.pdf"):
    """POST /api/v1/attachments with one file."""
    return api.call(
        "POST",
        "/attachments",
        data={"file": (io.BytesIO(content), name, "application/pdf")},
        content_type="multipart/form-data",
    )


def test_upload_and_download_is_a_view(api, recipient, world, record):
    created = upload(api)
    assert created.status_code == 201, created.json
    url = created.json["url"]
    assert url.startswith("https://tracklog.test/t/a/")
    download = recipient.get(url.removeprefix("https://tracklog.test"))
    assert download.status_code == 200 and download.data == b"%PDF-1.7 proposal"
    assert "proposal.pdf" in download.headers["Content-Disposition"]
    record()
    [event] = db.session.scalars(db.select(EngagementEvent)).all()
    assert event.kind == "attachment" and event.attachment_id == created.json["id"]


def test_same_content_is_stored_once(app, api, world):
    first, second = upload(api).json, upload(api, name="copy.pdf").json
    assert first["id"] != second["id"]
    rows = db.session.scalars(db.select(TrackedAttachment)).all()
    assert rows[0].sha256 == rows[1].sha256


def test_revoked_and_expired_links_are_gone(api, recipient, world):
    created = upload(api).json
    path = created["url"].removeprefix("https://tracklog.test")
    assert api.delete(f"/attachments/{created['id']}").json["revoked"] is True
    assert recipient.get(path).status_code == 410
    other = upload(api, b"other").json
    row = db.session.get(TrackedAttachment, other["id"])
    row.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert recipient.get(other["url"].removeprefix("https://tracklog.test")).status_code == 410


def test_over_the_accounts_limit_is_refused(api, world):
    world.account.attachment_size_limit = 10
    db.session.commit()
    response = upload(api, b"x" * 11)
    assert response.status_code == 413
    assert response.json["error"]["code"] == "attachment_too_large"


def test_forged_download_token_is_404(recipient, world):
    assert recipient.get("/t/a/AAAAAAAAAAAAAAAAAAAAAA").status_code == 404


def test_other_users_cannot_revoke(api, world):
    created = upload(api).json
    assert api.as_token(world.user_token).delete(f"/attachments/{created['id']}").status_code == 404
    assert (
        api.as_token(world.other_token).delete(f"/attachments/{created['id']}").status_code == 404
    )


def test_a_file_linked_in_the_mail_belongs_to_it_and_counts_in_its_kpis(
    api, recipient, world, record
):
    shared = upload(api).json
    html = f'<html><body><p>Proposal: <a href="{shared["url"]}">proposal.pdf</a></p></body></html>'
    sent = compose(api, ["peter@initech.example"], html=html)
    assert sent["html"].count(shared["url"]) == 1  # the download link is not wrapped as a click
    recipient.get(shared["url"].removeprefix("https://tracklog.test"), headers=MAIL_CLIENT)
    record()
    kpis = api.get(f"/messages/{sent['message_id']}").json["kpis"]
    assert kpis["attachment_views"] == 1 and kpis["clicks"] == 0


def test_another_users_file_is_not_claimed_by_a_mail_that_links_it(api, world):
    shared = upload(api.as_token(world.user_token)).json
    html = f'<p><a href="{shared["url"]}">theirs</a></p>'
    compose(api, ["peter@initech.example"], html=html)
    row = db.session.get(TrackedAttachment, shared["id"])
    assert row.message_id is None
