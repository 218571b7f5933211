"""Reading it back: messages with KPIs and explained events, per user and per account."""

from __future__ import annotations

from tests.tracking.helpers import (
    CHROME_WINDOWS,
    GMAIL_PROXY,
    click_paths,
    compose,
    pixel_path,
    sent_an_hour_ago,
)
from tests.tracking.test_hits import hit
from tests.web.test_sign_in import sign_in


def test_message_detail_explains_every_event(api, recipient, world, record):
    sent = compose(api, ["peter@initech.example"])
    sent_an_hour_ago(sent["message_id"])
    hit(recipient, pixel_path(sent["html"]), agent=GMAIL_PROXY, ip="66.249.84.1")
    hit(recipient, click_paths(sent["html"])[0], agent=CHROME_WINDOWS)
    record()
    detail = api.get(f"/messages/{sent['message_id']}").json
    assert detail["id"] == sent["message_id"] and detail["tracking"] == "individual"
    kinds = [event["kind"] for event in detail["events"]]
    assert kinds == ["click", "open"]
    for event in detail["events"]:
        assert event["recipient"] == "peter@initech.example"
        assert event["classification"] and event["reason"]
        assert set(event) >= {
            "id",
            "kind",
            "at",
            "recipient",
            "classification",
            "reason",
            "country",
            "device",
        }
    kpis = detail["kpis"]
    assert kpis["human_opens"] == 1 and kpis["opens_through_proxy"] == 1
    assert kpis["unique_openers"] == 1
    assert [link["clicks"] for link in kpis["clicks_per_link"]] == [1, 0]
    assert kpis["last_activity_at"] is not None


def test_anonymous_events_have_no_recipient(api, recipient, world, record):
    sent = compose(api, ["peter@initech.example", "milton@initech.example"])
    hit(recipient, pixel_path(sent["html"]))
    record()
    [event] = api.get(f"/messages/{sent['message_id']}").json["events"]
    assert event["recipient"] == "anonymous"


def test_messages_list_has_kpis(api, world):
    compose(api, ["peter@initech.example"], item_id="a")
    compose(api, ["milton@initech.example"], item_id="b")
    page = api.get("/messages").json
    assert len(page["items"]) == 2 and page["next_cursor"] is None
    assert all("kpis" in item for item in page["items"])


def test_users_see_only_their_own_messages_and_admins_their_accounts(api, world):
    sent = compose(api, ["peter@initech.example"])
    as_user = api.as_token(world.user_token)
    assert as_user.get(f"/messages/{sent['message_id']}").status_code == 404
    assert as_user.get("/messages").json["items"] == []
    mine = compose(as_user, ["milton@initech.example"], item_id="bob-draft")
    assert api.get(f"/messages/{mine['message_id']}").status_code == 200
    other = api.as_token(world.other_token)
    assert other.get(f"/messages/{sent['message_id']}").status_code == 404


def test_message_page_shows_the_history_with_reasons(api, client, recipient, world, record):
    sent = compose(api, ["peter@initech.example"])
    hit(recipient, pixel_path(sent["html"]), agent=GMAIL_PROXY, ip="66.249.84.1")
    record()
    signed_in = client.post(
        "/sign-in", data={"email": "alice@acme.example", "password": "correct horse battery"}
    )
    sender_cookie = [
        c for c in signed_in.headers.getlist("Set-Cookie") if c.startswith("tl_sender=")
    ]
    assert sender_cookie and "Path=/t/" in sender_cookie[0] and "HttpOnly" in sender_cookie[0]
    page = client.get(f"/messages/{sent['message_id']}")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "image proxy" in text
    assert "peter@initech.example" in text
    listing = client.get("/messages").get_data(as_text=True)
    assert sent["message_id"] in listing


def test_counts_say_they_are_approximate_and_an_unopened_mail_is_not_unread(api, client, world):
    sent = compose(api, ["peter@initech.example"])
    sign_in(client, "alice@acme.example")

    detail = client.get(f"/messages/{sent['message_id']}").get_data(as_text=True)
    listing = client.get("/messages").get_data(as_text=True)

    for html in (detail, listing):
        assert "Counts are approximate: mail clients that block images hide opens" in html
    assert "No open seen yet." in detail and "Nobody has opened" not in detail
