"""Two accounts in a partnership see each other's shared deal and nothing else: not by guessed ids
on any endpoint, not in search results, not on websockets; and an ended partnership shares
nothing new."""

from __future__ import annotations

import io

import pytest

from tests.factories import make_deal, make_user, token_for
from tests.notify.conftest import Socket
from tests.partners.test_shared_notes import share_note, timeline_of, upload
from tracklog.extensions import db
from tracklog.models import Activity, MailAttachment, SharedNote
from tracklog.tracking.attachments import store_file


@pytest.fixture
def connect(live):
    """Open sockets to the live server (this package's live server is tests.browser's)."""
    sockets: list[Socket] = []

    def open_socket() -> Socket:
        """A new socket."""
        sockets.append(Socket(live.url.removeprefix("http://")))
        return sockets[-1]

    yield open_socket
    for socket in sockets:
        socket.close()


def private_things(client, account, shared_deal_id: int, word: str) -> dict[str, int]:
    """Everything one side keeps to itself: records, a private note on the shared deal with a
    comment and a file, a comment on the shared note's own copy, product lines and quotes on an
    unshared deal, and a logged mail's file."""
    contact = client.post("/contacts", {"email": f"{word}@private.example"}).json["id"]
    company = client.post("/companies", {"name": f"{word} Private Co"}).json["id"]
    deal = make_deal(account, f"{word} private deal").id
    note = share_note(client, shared_deal_id, f"{word} private note", shared=False).json["id"]
    comment = client.post(f"/activities/{note}/comments", {"body": f"{word} aside"}).json["id"]
    file_id = upload(client, note, b"secret", f"{word}.txt").json["id"]
    line = {"name": f"{word} line", "unit_price": 5}
    item = client.post(f"/deals/{deal}/line-items", line).json["id"]
    quote = client.post(f"/deals/{deal}/quotes", {"title": f"{word} quote"}).json["id"]
    draft = {
        "subject": f"{word} pricing",
        "to": [f"{word}@private.example"],
        "html": "<p>Hi</p>",
        "track": True,
        "client": {"item_id": f"{word}-draft"},
    }
    message = client.post("/compose", draft).json["message_id"]
    tracked = client.post(
        "/attachments",
        data={"file": (io.BytesIO(b"deck"), "deck.pdf")},
        content_type="multipart/form-data",
    ).json["id"]
    mail = Activity(account_id=account.id, type="email", subject=f"{word} mail")
    db.session.add(mail)
    db.session.flush()
    sha256, size = store_file(io.BytesIO(b"mail file"), 1000)
    attachment = MailAttachment(
        account_id=account.id,
        activity_id=mail.id,
        filename="contract.pdf",
        content_type="application/pdf",
        size=size,
        sha256=sha256,
    )
    db.session.add(attachment)
    db.session.commit()
    return {
        "contact": contact,
        "company": company,
        "deal": deal,
        "note": note,
        "comment": comment,
        "file": file_id,
        "line_item": item,
        "quote": quote,
        "mail": mail.id,
        "message": message,
        "tracked_attachment": tracked,
        "attachment": attachment.id,
    }


def refused_everywhere(client, ids: dict[str, int]) -> list[str]:
    """Every request on the other account's ids that did not answer 404 (nothing is found)."""
    tries = [
        ("GET", f"/contacts/{ids['contact']}", None),
        ("PATCH", f"/contacts/{ids['contact']}", {"first_name": "X"}),
        ("DELETE", f"/contacts/{ids['contact']}", None),
        ("GET", f"/companies/{ids['company']}", None),
        ("GET", f"/deals/{ids['deal']}", None),
        ("PATCH", f"/deals/{ids['deal']}", {"amount": 1}),
        ("DELETE", f"/deals/{ids['deal']}", None),
        ("GET", f"/records/deal/{ids['deal']}/timeline", None),
        ("GET", f"/records/contact/{ids['contact']}/timeline", None),
        ("GET", f"/records/deal/{ids['deal']}/shared-timeline", None),
        ("GET", f"/records/deal/{ids['deal']}/contact-mail", None),
        ("GET", f"/records/deal/{ids['deal']}/associations", None),
        ("POST", f"/records/deal/{ids['deal']}/notes", {"body": "x"}),
        ("POST", f"/records/deal/{ids['deal']}/notes", {"body": "x", "shared": True}),
        ("PATCH", f"/activities/{ids['note']}", {"body": "x"}),
        ("DELETE", f"/activities/{ids['note']}", None),
        ("PUT", f"/activities/{ids['note']}/associations", {"associations": []}),
        ("GET", f"/activities/{ids['note']}/comments", None),
        ("POST", f"/activities/{ids['note']}/comments", {"body": "x"}),
        ("DELETE", f"/comments/{ids['comment']}", None),
        ("GET", f"/files/{ids['file']}", None),
        ("DELETE", f"/files/{ids['file']}", None),
        ("GET", f"/activities/{ids['mail']}/attachments/{ids['attachment']}", None),
        ("GET", f"/messages/{ids['message']}", None),
        ("GET", f"/messages/{ids['message']}/why", None),
        ("GET", f"/messages/{ids['message']}/reminders", None),
        ("DELETE", f"/attachments/{ids['tracked_attachment']}", None),
        ("GET", f"/contacts/{ids['contact']}/send-time", None),
        ("GET", f"/contacts/{ids['contact']}/export", None),
        ("GET", f"/deals/{ids['deal']}/line-items", None),
        ("POST", f"/deals/{ids['deal']}/line-items", {"name": "x", "unit_price": 1}),
        ("PATCH", f"/line-items/{ids['line_item']}", {"name": "x"}),
        ("DELETE", f"/line-items/{ids['line_item']}", None),
        ("GET", f"/deals/{ids['deal']}/quotes", None),
        ("POST", f"/deals/{ids['deal']}/quotes", {"title": "x"}),
        ("PATCH", f"/quotes/{ids['quote']}", {"title": "x"}),
        ("DELETE", f"/quotes/{ids['quote']}", None),
    ]
    leaks = []
    for method, path, body in tries:
        answer = client.call(method, path, json=body)
        if answer.status_code != 404:
            leaks.append(f"{method} {path}: {answer.status_code}")
    return leaks


@pytest.mark.parametrize("reader", ["partner", "selling"])
def test_nothing_private_is_found_by_guessed_ids(api, world, shared, reader):
    globex = shared["globex"]
    acme_ids = private_things(api, world.account, shared["acme_deal"], "acme")
    globex_ids = private_things(globex, world.other_account, shared["globex_deal"], "globex")
    if reader == "partner":
        assert refused_everywhere(globex, acme_ids) == []
    else:
        assert refused_everywhere(api, globex_ids) == []
    assert api.get(f"/contacts/{acme_ids['contact']}").status_code == 200  # still there


def test_each_side_reaches_a_shared_note_only_through_its_own_copy(api, shared):
    globex = shared["globex"]
    note = share_note(api, shared["acme_deal"]).json
    comment = api.post(f"/activities/{note['id']}/comments", {"body": "Agreed."}).json
    stored = upload(api, note["id"]).json
    link = db.session.scalar(db.select(SharedNote))
    assert (link.selling_activity_id, link.partner_activity_id) != (None, None)
    assert globex.get(f"/activities/{note['id']}/comments").status_code == 404
    assert globex.post(f"/activities/{note['id']}/comments", {"body": "x"}).status_code == 404
    assert globex.patch(f"/activities/{note['id']}", {"body": "x"}).status_code == 404
    assert globex.delete(f"/comments/{comment['id']}").status_code == 404
    assert globex.get(f"/files/{stored['id']}").status_code == 404
    [copy] = timeline_of(globex, shared["globex_deal"])
    assert copy["id"] == link.partner_activity_id
    assert [a["id"] for a in copy["associations"]] == [shared["globex_deal"]]
    assert api.get(f"/activities/{copy['id']}/comments").status_code == 404


def test_search_finds_nothing_of_the_other_account(api, world, shared):
    globex = shared["globex"]
    private_things(api, world.account, shared["acme_deal"], "acme")
    for resource in ("contacts", "companies", "deals"):
        found = globex.get(f"/{resource}?q=acme").json["items"]
        assert found == [], resource
    deals = globex.get("/deals?q=Initech").json["items"]
    assert [deal["id"] for deal in deals] == [shared["globex_deal"]]  # its own copy only
    assert globex.get("/messages?q=acme").json["items"] == []
    assert api.get("/messages?q=acme").json["items"]  # the search does find Acme's own


def test_websocket_events_of_a_shared_deal_reach_only_the_right_people(
    api,
    world,
    shared,
    connect,
):
    ivy = make_user(world.other_account, "ivy@globex.example")
    sockets = {}
    for name, token in (
        ("alice", world.admin_token),
        ("bob", world.user_token),
        ("hank", world.other_token),
        ("ivy", token_for(ivy)),
    ):
        sockets[name] = connect()
        sockets[name].auth(token)
    share_note(api, shared["acme_deal"], "Private.", shared=False)
    api.post(f"/records/deal/{shared['acme_deal']}/calls", {"outcome": "busy"})
    share_note(api, shared["acme_deal"], "Over to you.")
    told = sockets["hank"].next()
    assert told["kind"] == "partner" and "Acme Sales" in told["text"]
    assert told["url"].endswith(f"/deals/{shared['globex_deal']}")
    assert sockets["hank"].next(timeout=1) is None  # nothing of the private note or the call
    share_note(shared["globex"], shared["globex_deal"], "Demo booked.")
    told = sockets["alice"].next()
    assert told["url"].endswith(f"/deals/{shared['acme_deal']}") and "Globex" in told["text"]
    for name in ("bob", "ivy", "alice"):
        assert sockets[name].next(timeout=0.3) is None, name


def test_an_ended_partnership_shares_nothing_new(api, world, shared):
    globex = shared["globex"]
    note = share_note(api, shared["acme_deal"]).json
    ended = api.post(f"/partnerships/{shared['partnership_id']}/end")
    assert ended.status_code == 200
    assert share_note(api, shared["acme_deal"]).status_code == 400
    assert share_note(globex, shared["globex_deal"]).status_code == 400
    upload(api, note["id"])
    api.post(f"/deals/{shared['acme_deal']}/quotes", {"title": "After"})
    api.patch(f"/deals/{shared['acme_deal']}", {"name": "Renamed after"})
    [copy] = timeline_of(globex, shared["globex_deal"])
    assert copy["files"] == [] and copy["shared"] is True
    assert globex.get(f"/deals/{shared['globex_deal']}/quotes").json["items"] == []
    assert globex.get(f"/deals/{shared['globex_deal']}").json["name"] == "Initech renewal"
    tab = globex.get(f"/records/deal/{shared['globex_deal']}/shared-timeline").json
    assert tab["syncing"] is False and [item["kind"] for item in tab["items"]] == ["note"]
