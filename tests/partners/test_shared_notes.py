"""Shared notes, comments and files on notes, product lines and quotes on a shared deal, and the
deal's Shared tab: what is shared reaches the partner, what is not stays home."""

from __future__ import annotations

import io

from tests.factories import make_deal
from tracklog.extensions import db
from tracklog.models import Activity, NoteFile, SharedDealChange
from tracklog.tracking.attachments import attachment_path


def timeline_of(client, deal_id: int) -> list[dict]:
    """The notes on a deal's timeline."""
    answer = client.get(f"/records/deal/{deal_id}/timeline?types=note")
    assert answer.status_code == 200, answer.json
    return answer.json["items"]


def share_note(client, deal_id: int, body: str = "<p>Pricing agreed.</p>", shared=True):
    """Post a note on a deal, shared unless told otherwise."""
    return client.post(f"/records/deal/{deal_id}/notes", {"body": body, "shared": shared})


def test_a_shared_note_appears_on_both_sides_with_its_author(api, world, shared):
    posted = share_note(api, shared["acme_deal"])
    assert posted.status_code == 201, posted.json
    assert posted.json["shared"] is True
    assert posted.json["shared_by"] == {
        "name": world.admin.display_name,
        "side": "selling",
        "editable": True,
    }
    [copy] = timeline_of(shared["globex"], shared["globex_deal"])
    assert copy["body_html"] == "<p>Pricing agreed.</p>" and copy["shared"] is True
    assert copy["shared_by"]["side"] == "selling" and copy["id"] != posted.json["id"]
    assert copy["shared_by"]["editable"] is False
    assert db.session.get(Activity, copy["id"]).account_id == world.other_account.id


def test_private_notes_and_other_activities_stay_home(api, shared):
    private = share_note(api, shared["acme_deal"], shared=False)
    assert private.status_code == 201 and private.json["shared"] is False
    plain = api.post(f"/records/deal/{shared['acme_deal']}/notes", {"body": "Internal."})
    assert plain.json["shared"] is False
    api.post(f"/records/deal/{shared['acme_deal']}/calls", {"outcome": "connected"})
    theirs = shared["globex"].get(f"/records/deal/{shared['globex_deal']}/timeline")
    assert theirs.json["items"] == []


def test_sharing_a_note_on_an_unshared_deal_is_refused(api, world, shared):
    lonely = make_deal(world.account, "Not shared")
    refused = share_note(api, lonely.id)
    assert refused.status_code == 400 and refused.json["error"]["code"] == "not_shared"
    assert "shared" in refused.json["error"]["message"]
    assert share_note(api, lonely.id, shared="yes").status_code == 422
    on_contact = api.post("/contacts", {"email": "peter@initech.example"}).json["id"]
    on_a_contact = api.post(
        f"/records/contact/{on_contact}/notes", {"body": "Hello", "shared": True}
    )
    assert on_a_contact.status_code == 400
    assert timeline_of(api, lonely.id) == []


def test_editing_and_deleting_a_shared_note_changes_both_sides(api, shared):
    globex = shared["globex"]
    note = share_note(api, shared["acme_deal"]).json
    [copy] = timeline_of(globex, shared["globex_deal"])
    edited = api.patch(f"/activities/{note['id']}", {"body": "<p>Pricing: 10% off.</p>"})
    assert edited.status_code == 200 and edited.json["subject"] == "Pricing: 10% off."
    assert timeline_of(globex, shared["globex_deal"])[0]["body_html"] == "<p>Pricing: 10% off.</p>"
    refused = globex.patch(f"/activities/{copy['id']}", {"body": "Mine now"})
    assert refused.status_code == 403 and refused.json["error"]["code"] == "partner_note"
    assert globex.delete(f"/activities/{copy['id']}").status_code == 403
    assert api.delete(f"/activities/{note['id']}").status_code == 204
    assert timeline_of(globex, shared["globex_deal"]) == []


def test_the_partner_shares_a_note_back(api, world, shared):
    globex = shared["globex"]
    posted = share_note(globex, shared["globex_deal"], "Customer wants a demo.")
    assert posted.status_code == 201
    [copy] = timeline_of(api, shared["acme_deal"])
    assert copy["shared_by"]["name"] == world.other_admin.display_name
    assert copy["shared_by"]["side"] == "partner" and copy["shared_by"]["editable"] is False
    assert copy["associations"][0]["why"].startswith("shared by")


def test_comments_sync_to_the_partners_copy_and_are_deleted_by_their_author(api, world, shared):
    globex = shared["globex"]
    note = share_note(api, shared["acme_deal"]).json
    [copy] = timeline_of(globex, shared["globex_deal"])
    mine = api.post(f"/activities/{note['id']}/comments", {"body": "Sent the quote."})
    assert mine.status_code == 201 and mine.json["side"] == "selling"
    theirs = globex.post(f"/activities/{copy['id']}/comments", {"body": "Thanks!"})
    assert theirs.status_code == 201 and theirs.json["side"] == "partner"
    listed = api.get(f"/activities/{note['id']}/comments").json["items"]
    assert [(c["body"], c["side"], c["author"]) for c in listed] == [
        ("Sent the quote.", "selling", world.admin.display_name),
        ("Thanks!", "partner", world.other_admin.display_name),
    ]
    assert [c["body"] for c in timeline_of(globex, shared["globex_deal"])[0]["comments"]] == [
        "Sent the quote.",
        "Thanks!",
    ]
    bob = api.as_token(world.user_token)
    assert bob.delete(f"/comments/{mine.json['id']}").status_code == 403
    their_copy_here = listed[1]["id"]
    assert api.delete(f"/comments/{their_copy_here}").status_code == 403  # written by Globex
    assert api.delete(f"/comments/{mine.json['id']}").status_code == 204
    bobs = bob.post(f"/activities/{note['id']}/comments", {"body": "Me too."}).json
    assert api.delete(f"/comments/{bobs['id']}").status_code == 204  # an admin of Bob's side
    assert [c["body"] for c in globex.get(f"/activities/{copy['id']}/comments").json["items"]] == [
        "Thanks!"
    ]


def test_comments_on_a_private_note_stay_private(api, shared):
    note = share_note(api, shared["acme_deal"], shared=False).json
    comment = api.post(f"/activities/{note['id']}/comments", {"body": "Just us."})
    assert comment.status_code == 201 and comment.json["side"] is None
    assert api.post(f"/activities/{note['id']}/comments", {"body": " "}).status_code == 422
    call = api.post(f"/records/deal/{shared['acme_deal']}/calls", {"outcome": "busy"}).json
    assert api.post(f"/activities/{call['id']}/comments", {"body": "x"}).status_code == 404


def upload(client, activity_id: int, content: bytes = b"%PDF-1.4 quote", name: str = "quote.pdf"):
    """Attach a file to a note."""
    return client.post(
        f"/activities/{activity_id}/files",
        data={"file": (io.BytesIO(content), name, "application/pdf")},
        content_type="multipart/form-data",
    )


def test_a_file_on_a_shared_note_is_shared_and_deleted_on_both_sides(api, shared):
    globex = shared["globex"]
    note = share_note(api, shared["acme_deal"]).json
    [copy] = timeline_of(globex, shared["globex_deal"])
    attached = upload(api, note["id"])
    assert attached.status_code == 201, attached.json
    assert attached.json["side"] == "selling" and attached.json["size"] == 14
    [their_file] = timeline_of(globex, shared["globex_deal"])[0]["files"]
    downloaded = globex.get(f"/files/{their_file['id']}")
    assert downloaded.status_code == 200 and downloaded.data == b"%PDF-1.4 quote"
    assert downloaded.headers["X-Content-Type-Options"] == "nosniff"
    assert downloaded.headers["Content-Disposition"].startswith("attachment")
    stored = attachment_path(db.session.get(NoteFile, their_file["id"]).sha256)
    assert globex.delete(f"/files/{their_file['id']}").status_code == 204
    assert api.get(f"/files/{attached.json['id']}").status_code == 404
    assert timeline_of(api, shared["acme_deal"])[0]["files"] == []
    assert not stored.exists()
    assert copy["id"]


def test_files_are_checked_for_name_and_size(api, world, shared):
    note = share_note(api, shared["acme_deal"], shared=False).json
    missing = api.post(
        f"/activities/{note['id']}/files", data={}, content_type="multipart/form-data"
    )
    assert missing.status_code == 422
    world.account.attachment_size_limit = 10
    db.session.commit()
    too_big = upload(api, note["id"])
    assert too_big.status_code == 413 and too_big.json["error"]["code"] == "attachment_too_large"


def test_product_lines_total_and_sync_both_ways_with_the_change_log(api, world, shared):
    globex = shared["globex"]
    line = {"name": "Widgets Pro", "quantity": 10, "unit_price": "99.50", "discount_percent": 10}
    created = api.post(f"/deals/{shared['acme_deal']}/line-items", line)
    assert created.status_code == 201, created.json
    assert created.json["total"] == 895.5 and created.json["currency"] == world.account.currency
    [copy] = globex.get(f"/deals/{shared['globex_deal']}/line-items").json["items"]
    assert copy["name"] == "Widgets Pro" and copy["total"] == 895.5
    changed = globex.patch(f"/line-items/{copy['id']}", {"quantity": 20})
    assert changed.status_code == 200 and changed.json["total"] == 1791
    [mine] = api.get(f"/deals/{shared['acme_deal']}/line-items").json["items"]
    assert mine["quantity"] == 20
    assert api.delete(f"/line-items/{mine['id']}").status_code == 204
    assert globex.get(f"/deals/{shared['globex_deal']}/line-items").json["items"] == []
    log = api.get(f"/shared-deals/{shared['id']}").json["changes"]
    assert [(c["field"], c["side"], bool(c["old"]), bool(c["new"])) for c in log] == [
        ("line_item", "selling", False, True),
        ("line_item", "partner", True, True),
        ("line_item", "selling", True, False),
    ]


def test_product_lines_are_validated(api, shared):
    deal = shared["acme_deal"]
    bad = api.post(
        f"/deals/{deal}/line-items",
        {"quantity": 0, "unit_price": "x", "discount_percent": 101, "currency": "ZZZ"},
    )
    assert bad.status_code == 422
    assert set(bad.json["error"]["details"]["fields"]) == {
        "name",
        "quantity",
        "unit_price",
        "discount_percent",
        "currency",
    }
    assert api.post(f"/deals/{deal}/line-items", ["x"]).status_code == 422
    assert api.patch("/line-items/999999", {"name": "x"}).status_code == 404
    free = api.post(f"/deals/{deal}/line-items", {"name": "Onboarding"})
    assert free.status_code == 201 and free.json["unit_price"] in ("0", "0.00", 0)


def test_quotes_sum_the_lines_unless_given_and_sync(api, shared):
    globex = shared["globex"]
    deal = shared["acme_deal"]
    api.post(f"/deals/{deal}/line-items", {"name": "A", "quantity": 2, "unit_price": 50})
    quote = api.post(f"/deals/{deal}/quotes", {"title": "Q-1", "expires_on": "2027-02-01"})
    assert quote.status_code == 201, quote.json
    assert quote.json["amount"] == 100 and quote.json["amount_from"] == "line_items"
    assert quote.json["status"] == "draft"
    [copy] = globex.get(f"/deals/{shared['globex_deal']}/quotes").json["items"]
    assert copy["title"] == "Q-1" and copy["amount"] == 100
    sent = globex.patch(f"/quotes/{copy['id']}", {"status": "sent", "amount": 90})
    assert sent.status_code == 200 and sent.json["amount_from"] == "given"
    [mine] = api.get(f"/deals/{deal}/quotes").json["items"]
    assert (mine["status"], mine["amount"]) == ("sent", 90)
    api.patch(f"/quotes/{mine['id']}", {"notes": "Valid for 30 days."})
    [copy] = globex.get(f"/deals/{shared['globex_deal']}/quotes").json["items"]
    assert copy["notes"] == "Valid for 30 days."
    assert api.patch(f"/quotes/{mine['id']}", {"status": "won"}).status_code == 422
    assert globex.delete(f"/quotes/{copy['id']}").status_code == 204
    assert api.get(f"/deals/{deal}/quotes").json["items"] == []


def test_the_shared_tab_shows_only_what_is_shared(api, world, shared):
    deal = shared["acme_deal"]
    note = share_note(api, deal).json
    api.post(f"/activities/{note['id']}/comments", {"body": "Agreed."})
    share_note(api, deal, "Private thoughts.", shared=False)
    api.patch(f"/deals/{deal}", {"amount": 6000})
    tab = api.get(f"/records/deal/{deal}/shared-timeline")
    assert tab.status_code == 200 and tab.json["syncing"] is True
    kinds = [(item["kind"], item.get("note", {}).get("id")) for item in tab.json["items"]]
    assert ("note", note["id"]) in kinds and len(kinds) == 2
    [shown] = [item["note"] for item in tab.json["items"] if item["kind"] == "note"]
    assert [c["body"] for c in shown["comments"]] == ["Agreed."]
    [change] = [item["change"] for item in tab.json["items"] if item["kind"] == "change"]
    assert change["field"] == "amount"
    theirs = shared["globex"].get(f"/records/deal/{shared['globex_deal']}/shared-timeline")
    assert [item["kind"] for item in theirs.json["items"]] == [i["kind"] for i in tab.json["items"]]
    unshared = make_deal(world.account, "Alone")
    assert api.get(f"/records/deal/{unshared.id}/shared-timeline").status_code == 404


def test_after_the_partnership_ends_nothing_new_is_shared(api, shared):
    globex = shared["globex"]
    note = share_note(api, shared["acme_deal"]).json
    [copy] = timeline_of(globex, shared["globex_deal"])
    assert globex.post(f"/partnerships/{shared['partnership_id']}/end").status_code == 200
    refused = share_note(api, shared["acme_deal"])
    assert refused.status_code == 400 and refused.json["error"]["code"] == "not_shared"
    api.post(f"/activities/{note['id']}/comments", {"body": "After the end."})
    assert globex.get(f"/activities/{copy['id']}/comments").json["items"] == []
    api.patch(f"/activities/{note['id']}", {"body": "Changed after the end."})
    assert timeline_of(globex, shared["globex_deal"])[0]["body_text"] == "Pricing agreed."
    api.post(f"/deals/{shared['acme_deal']}/line-items", {"name": "Late", "unit_price": 1})
    assert globex.get(f"/deals/{shared['globex_deal']}/line-items").json["items"] == []
    assert timeline_of(globex, shared["globex_deal"])[0]["shared_by"]["editable"] is True
    assert globex.delete(f"/activities/{copy['id']}").status_code == 204  # their copy, their own
    assert len(timeline_of(api, shared["acme_deal"])) == 1
    assert db.session.scalar(db.select(db.func.count()).select_from(SharedDealChange)) == 0


def test_deleting_a_shared_note_removes_its_files_from_both_sides_and_the_store(api, shared):
    note = share_note(api, shared["acme_deal"]).json
    stored = upload(api, note["id"], b"only here").json
    path = attachment_path(db.session.get(NoteFile, stored["id"]).sha256)
    assert path.exists()
    assert api.delete(f"/activities/{note['id']}").status_code == 204
    assert not path.exists()
    assert db.session.scalar(db.select(db.func.count()).select_from(NoteFile)) == 0
