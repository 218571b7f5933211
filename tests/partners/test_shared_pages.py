"""The deal page's shared parts: the Shared message form, the Shared tab, the thread under a note
(comments and files) and the product lines and quotes section."""

from __future__ import annotations

import io

import pytest

from tests.crm.test_pages import page
from tests.factories import make_deal
from tests.partners.test_shared_notes import share_note, timeline_of
from tracklog.extensions import db


def test_a_shared_deal_page_offers_the_shared_message_and_tab(alice, world, shared):
    html = page(alice.get(f"/deals/{shared['acme_deal']}"))
    assert "data-shared-message" in html and "mail=shared" in html
    lonely = make_deal(world.account, "Alone")
    html = page(alice.get(f"/deals/{lonely.id}"))
    assert "data-shared-message" not in html and "mail=shared" not in html


def test_the_shared_message_form_posts_a_shared_note(alice, shared):
    posted = alice.post(
        f"/deals/{shared['acme_deal']}/shared-notes", data={"body": "Call Monday?\nThanks"}
    )
    assert posted.status_code == 302 and posted.location.endswith("#timeline")
    [copy] = timeline_of(shared["globex"], shared["globex_deal"])
    assert copy["body_html"] == "Call Monday?<br>Thanks" and copy["shared"] is True


def test_the_shared_tab_lists_shared_notes_and_changes_only(alice, api, shared):
    share_note(api, shared["acme_deal"], "Shared words.")
    share_note(api, shared["acme_deal"], "Private words.", shared=False)
    api.patch(f"/deals/{shared['acme_deal']}", {"amount": 7000})
    html = page(alice.get(f"/deals/{shared['acme_deal']}?mail=shared"))
    timeline = html.split('id="timeline"', 1)[1]
    assert "Shared words." in timeline and "Private words." not in timeline
    assert "data-shared-change" in timeline and "7000" in timeline
    assert 'aria-current="page">Shared<' in html.replace("\n", "")


def test_comments_and_files_are_added_from_the_note_card(alice, api, shared):
    note = share_note(api, shared["acme_deal"], "Shared words.").json
    base = f"/deals/{shared['acme_deal']}/notes/{note['id']}"
    commented = alice.post(f"{base}/comments", data={"body": "Looks good", "view": "shared"})
    assert commented.status_code == 302 and "mail=shared" in commented.location
    attached = alice.post(
        f"{base}/files",
        data={"file": (io.BytesIO(b"hello"), "hello.txt")},
        content_type="multipart/form-data",
    )
    assert attached.status_code == 302
    html = page(alice.get(f"/deals/{shared['acme_deal']}"))
    assert "Looks good" in html and "hello.txt" in html and "data-shared-badge" in html
    [copy] = timeline_of(shared["globex"], shared["globex_deal"])
    assert [c["body"] for c in copy["comments"]] == ["Looks good"]
    assert 'data-action="delete"' in html  # Acme wrote it
    assert [f["filename"] for f in copy["files"]] == ["hello.txt"]
    empty = alice.post(f"{base}/comments", data={"body": ""}, follow_redirects=True)
    assert "A comment needs some text." in page(empty)
    no_file = alice.post(f"{base}/files", data={}, follow_redirects=True)
    assert "Choose a file to attach." in page(no_file)


def test_product_lines_and_quotes_are_added_and_removed_on_the_deal_page(alice, shared):
    deal = shared["acme_deal"]
    added = alice.post(
        f"/deals/{deal}/line-items",
        data={"name": "Widgets", "quantity": "3", "unit_price": "10", "discount_percent": ""},
    )
    assert added.status_code == 302 and added.location.endswith("#products")
    alice.post(f"/deals/{deal}/quotes", data={"title": "Q-7", "status": "draft", "amount": ""})
    html = page(alice.get(f"/deals/{deal}"))
    assert "Widgets" in html and "30.00" in html and "Q-7" in html
    [copy] = shared["globex"].get(f"/deals/{shared['globex_deal']}/line-items").json["items"]
    mine = alice.get(f"/api/v1/deals/{deal}/line-items").json["items"][0]
    alice.post(f"/deals/{deal}/line-items/{mine['id']}/delete")
    assert shared["globex"].get(f"/deals/{shared['globex_deal']}/line-items").json["items"] == []
    bad = alice.post(f"/deals/{deal}/line-items", data={"name": ""}, follow_redirects=True)
    assert "Some fields are not valid." in page(bad)
    assert copy["name"] == "Widgets"


@pytest.mark.parametrize(("locale", "words"), [("ja", "共有メッセージ"), ("sv", "Produktrader")])
def test_the_shared_parts_are_translated(alice, api, world, shared, locale, words):
    note = share_note(api, shared["acme_deal"], "Shared words.").json
    api.post(f"/activities/{note['id']}/comments", {"body": "Agreed."})
    api.post(f"/deals/{shared['acme_deal']}/line-items", {"name": "Widgets", "unit_price": 5})
    api.patch(f"/deals/{shared['acme_deal']}", {"amount": 9000})
    world.admin.locale = locale
    db.session.commit()
    assert words in page(alice.get(f"/deals/{shared['acme_deal']}"))
    assert "Shared words." in page(alice.get(f"/deals/{shared['acme_deal']}?mail=shared"))
