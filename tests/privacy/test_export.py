"""Exporting everything held about one contact as a ZIP of JSON and CSV."""

from __future__ import annotations

import io
import json
import zipfile

from sqlalchemy import select

from tests.privacy.conftest import ZEB
from tracklog.extensions import db
from tracklog.models import AuditEntry

TABLES = (
    "contact",
    "associations",
    "timeline",
    "notes",
    "note_comments",
    "note_files",
    "tasks",
    "attachments",
    "tracked_mail",
    "engagement_events",
)


def exported(response) -> zipfile.ZipFile:
    """The answer's ZIP."""
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "application/zip"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    return zipfile.ZipFile(io.BytesIO(response.get_data()))


def table(archive: zipfile.ZipFile, name: str) -> list[dict]:
    """One JSON table of the export."""
    return json.loads(archive.read(f"{name}.json"))


def test_the_export_holds_every_kind_of_data_with_a_readme(api, held):
    api.call("POST", f"/activities/{held.note_id}/comments", {"body": "Plays on Sundays."})
    upload = {"file": (io.BytesIO(b"scorecard"), "golf card.txt", "text/plain")}
    api.call(
        "POST", f"/activities/{held.note_id}/files", data=upload, content_type="multipart/form-data"
    )
    archive = exported(api.call("GET", f"/contacts/{held.contact.id}/export"))

    names = set(archive.namelist())
    assert {f"{t}.{kind}" for t in TABLES for kind in ("json", "csv")} | {"README.txt"} <= names
    assert table(archive, "contact")[0]["email"] == ZEB
    assert {row["to_id"] for row in table(archive, "associations")} == {held.deal_id}
    timeline = {row["id"]: row for row in table(archive, "timeline")}
    assert {held.only_theirs.id, held.shared.id, held.note_id} <= set(timeline)
    assert "the quote" in timeline[held.only_theirs.id]["body_text"]
    assert [row["id"] for row in table(archive, "notes")] == [held.note_id]
    (comment,) = table(archive, "note_comments")
    assert (comment["activity_id"], comment["body"]) == (held.note_id, "Plays on Sundays.")
    (note_file,) = table(archive, "note_files")
    assert note_file["file"].startswith("note_files/") and note_file["filename"] == "golf card.txt"
    assert archive.read(note_file["file"]) == b"scorecard"
    (attachment,) = table(archive, "attachments")
    assert archive.read(attachment["file"]) == b"%PDF only for Zebulon"
    assert len(table(archive, "tracked_mail")) == 2
    assert {row["kind"] for row in table(archive, "engagement_events")} == {"open"}
    assert ZEB in archive.read("contact.csv").decode()
    for name in TABLES:
        assert f"{name}.json" in archive.read("README.txt").decode()


def test_any_user_of_the_account_may_export_and_it_is_audited(api, world, held):
    as_user = api.as_token(world.user_token)

    exported(as_user.call("GET", f"/contacts/{held.contact.id}/export"))

    entry = db.session.scalar(select(AuditEntry).filter_by(action="contact_exported"))
    assert (entry.actor_id, entry.target_type, entry.target_id) == (
        world.user.id,
        "contact",
        held.contact.id,
    )
    assert entry.changes == {}


def test_another_accounts_contact_is_not_found(api, world, held):
    answer = api.as_token(world.other_token).call("GET", f"/contacts/{held.contact.id}/export")

    assert answer.status_code == 404
    assert answer.json["error"]["code"] == "not_found"
