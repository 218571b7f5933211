"""The tracking endpoints: exact answers, no open redirects, classified and explained events."""

from __future__ import annotations

import pytest

from tests.tracking.helpers import (
    CHROME_WINDOWS,
    GMAIL_PROXY,
    OUTLOOK_DESKTOP,
    click_paths,
    compose,
    pixel_path,
    sent_an_hour_ago,
)
from tracklog.extensions import db
from tracklog.models import EngagementEvent
from tracklog.tracking.hits import hit_journal

APPLE_MPP = "Mozilla/5.0"  # Apple Mail Privacy Protection's prefetch agent


def events() -> list[EngagementEvent]:
    """Every recorded event, oldest first."""
    db.session.expire_all()
    return list(db.session.scalars(db.select(EngagementEvent).order_by(EngagementEvent.id)))


def hit(recipient, path: str, agent: str = OUTLOOK_DESKTOP, ip: str = "81.2.69.142", **kwargs):
    """A request from a recipient's mail client."""
    return recipient.get(
        path, headers={"User-Agent": agent}, environ_base={"REMOTE_ADDR": ip}, **kwargs
    )


@pytest.fixture
def sent(api, world):
    """A mail to one external recipient, as prepared by compose."""
    return compose(api, ["peter@initech.example"])


def test_pixel_answers_a_transparent_gif_and_records_an_open(recipient, sent, record):
    response = hit(recipient, pixel_path(sent["html"]))
    assert response.status_code == 200
    assert response.mimetype == "image/gif"
    assert len(response.data) == 43
    assert "no-store" in response.headers["Cache-Control"]
    assert record() == 1
    [event] = events()
    assert event.kind == "open" and event.classification == "human"
    assert event.country == "GB" and event.reason
    assert event.first_human_open is True


@pytest.mark.parametrize(
    "path",
    [
        "/t/o/AAAAAAAAAAAAAAAAAAAAAA.gif",
        "/t/o/garbage.gif",
        "/t/o/%00%ff.gif",
        "/t/o/" + "A" * 500 + ".gif",
    ],
)
def test_forged_pixel_gets_the_same_gif_and_records_nothing(recipient, sent, record, path):
    genuine = hit(recipient, pixel_path(sent["html"]))
    forged = hit(recipient, path)
    assert forged.status_code == 200
    assert forged.data == genuine.data
    assert forged.headers["Cache-Control"] == genuine.headers["Cache-Control"]
    assert record() == 1


def test_tampered_pixel_token_records_nothing(recipient, sent, record):
    path = pixel_path(sent["html"])
    token = path.removeprefix("/t/o/").removesuffix(".gif")
    tampered = token[:-1] + ("A" if token[-1] != "A" else "B")
    assert hit(recipient, f"/t/o/{tampered}.gif").status_code == 200
    assert record() == 0


def test_click_redirects_to_the_recorded_url_only(recipient, sent, record):
    pricing, demo = click_paths(sent["html"])
    first = hit(recipient, pricing)
    assert first.status_code == 302
    assert first.headers["Location"] == "https://initech.example/pricing"
    assert hit(recipient, demo).headers["Location"] == "https://initech.example/demo?x=1&y=2"
    assert record() == 2
    assert [e.kind for e in events()] == ["click", "click"]


@pytest.mark.parametrize("url", ["http://[::1", "https://[initech.example/pricing"])
def test_a_link_whose_url_cannot_be_parsed_answers_a_page_and_is_not_a_click(
    api, recipient, record, url
):
    sent = compose(api, ["peter@initech.example"], html=f'<p><a href="{url}">pricing</a></p>')
    [broken] = click_paths(sent["html"])
    response = hit(recipient, broken)
    assert response.status_code == 400
    assert response.mimetype == "text/html" and "Location" not in response.headers
    assert "address of this link is not valid" in response.get_data(as_text=True)
    assert record() == 0
    assert events() == []


@pytest.mark.parametrize("suffix", ["x", "?next=https://evil.example", "/../../evil"])
def test_altered_click_token_is_a_404_page(recipient, sent, record, suffix):
    pricing = click_paths(sent["html"])[0]
    response = hit(recipient, pricing[:-2] + suffix)
    assert response.status_code == 404
    assert "Location" not in response.headers
    assert response.mimetype == "text/html"
    assert record() == 0


def test_unknown_click_token_is_a_404_page(recipient, sent):
    assert hit(recipient, "/t/c/AAAAAAAAAAAAAAAAAAAAAA").status_code == 404


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH"])
def test_other_methods_are_refused(recipient, sent, method):
    assert recipient.open(pixel_path(sent["html"]), method=method).status_code == 405
    assert recipient.open(click_paths(sent["html"])[0], method=method).status_code == 405


def test_image_proxy_is_a_real_open_with_unknown_location(recipient, sent, record):
    hit(recipient, pixel_path(sent["html"]), agent=GMAIL_PROXY, ip="66.249.84.1")
    record()
    [event] = events()
    assert event.classification == "proxy" and event.country is None
    assert event.first_human_open is True and event.counted


def test_apple_privacy_prefetch_is_not_an_open(api, recipient, sent, record):
    hit(recipient, pixel_path(sent["html"]), agent=APPLE_MPP, ip="17.58.0.1")
    record()
    [event] = events()
    assert event.classification == "prefetch"
    assert event.first_human_open is False
    kpis = api.get(f"/messages/{sent['message_id']}").json["kpis"]
    assert kpis["human_opens"] == 0 and kpis["machine_hits"]["prefetch"] == 1


def test_head_request_on_a_link_is_a_scanner(recipient, sent, record):
    response = recipient.head(click_paths(sent["html"])[0], headers={"User-Agent": CHROME_WINDOWS})
    assert response.status_code == 302
    record()
    assert events()[0].classification == "scanner"


def test_honeypot_click_is_a_scanner(recipient, sent, record):
    honeypot = (
        sent["html"].split('style="display:none')[0].rsplit('href="https://tracklog.test', 1)[1]
    )
    honeypot = honeypot.split('"')[0]
    response = hit(recipient, honeypot, agent=CHROME_WINDOWS)
    assert response.status_code == 204
    record()
    [event] = events()
    assert event.classification == "scanner" and "hidden link" in event.reason


def test_senders_own_client_is_told_apart(api, recipient, world, sent, record):
    api.get(
        "/contacts",
        headers={"User-Agent": OUTLOOK_DESKTOP},
        environ_base={"REMOTE_ADDR": "81.2.69.142"},
    )
    hit(recipient, pixel_path(sent["html"]))
    record()
    [event] = events()
    assert event.classification == "sender"
    assert event.first_human_open is False


def test_repeat_opens_from_the_same_client_collapse(api, recipient, sent, record):
    for _ in range(3):
        hit(recipient, pixel_path(sent["html"]))
    hit(recipient, pixel_path(sent["html"]), agent=CHROME_WINDOWS, ip="185.1.2.3")
    record()
    first, second, third, other = events()
    assert first.counted and first.first_human_open
    assert not second.counted and second.repeat_of_id == first.id
    assert not third.counted
    assert other.counted and not other.first_human_open
    kpis = api.get(f"/messages/{sent['message_id']}").json["kpis"]
    assert kpis["human_opens"] == 2 and kpis["repeat_opens_collapsed"] == 2


def test_replaying_the_journal_records_each_hit_once(app, recipient, sent, record):
    hit(recipient, pixel_path(sent["html"]))
    assert record() == 1
    journal = hit_journal(app)
    journal._file.save_offset(0)
    assert record() == 1
    assert len(events()) == 1


@pytest.fixture
def app_config(app_config):
    """One trusted proxy in front of these tests' app."""
    return {**app_config, "PROXY_HOPS": 1}


def test_client_address_comes_from_the_trusted_proxy(recipient, sent, record):
    recipient.get(
        pixel_path(sent["html"]),
        headers={"User-Agent": OUTLOOK_DESKTOP, "X-Forwarded-For": "1.2.3.4, 133.242.0.3"},
        environ_base={"REMOTE_ADDR": "10.0.0.2"},
    )
    record()
    [event] = events()
    assert event.ip == "133.242.0.3" and event.country == "JP"


def test_click_seconds_after_sending_is_a_scanner_and_later_a_person(recipient, sent, record):
    pricing = click_paths(sent["html"])[0]
    hit(recipient, pricing, agent=CHROME_WINDOWS)
    record()
    sent_an_hour_ago(sent["message_id"])
    hit(recipient, pricing, agent=CHROME_WINDOWS, ip="185.1.2.3")
    record()
    early, late = events()
    assert early.classification == "scanner" and "seconds" in early.reason
    assert late.classification == "human"


def test_every_link_hit_at_once_is_a_scanner_burst(api, recipient, world, record):
    links = "".join(f'<a href="https://initech.example/{n}">{n}</a>' for n in range(4))
    sent = compose(api, ["peter@initech.example"], html=f"<body>{links}</body>", item_id="burst")
    sent_an_hour_ago(sent["message_id"])
    for path in click_paths(sent["html"]):
        hit(recipient, path, agent=CHROME_WINDOWS)
    record()
    assert [e.classification for e in events()] == ["scanner"] * 4


def journaled_open(message_id: int, at, agent: str = OUTLOOK_DESKTOP) -> dict:
    """A journal entry for an open, as the pixel endpoint writes it."""
    import uuid

    return {
        "hit_id": str(uuid.uuid4()),
        "kind": "open",
        "target_id": message_id,
        "link_slot": 0,
        "recipient_slot": 1,
        "at": at.isoformat(),
        "method": "GET",
        "ip": "81.2.69.142",
        "ua": agent,
        "headers": {},
        "sender_cookie_user": None,
    }


def test_repeat_window_slides_while_the_client_keeps_reloading(sent, world):
    from datetime import timedelta

    from tracklog.models import Message, utcnow
    from tracklog.tracking.recording import record_hits

    message = db.session.scalar(db.select(Message).filter_by(public_id=sent["message_id"]))
    start = utcnow()
    minutes = [0, 2, 4, 6, 10]
    record_hits([journaled_open(message.id, start + timedelta(minutes=m)) for m in minutes])
    counted = [e.counted for e in events()]
    assert counted == [True, False, False, False, True]
    assert {e.repeat_of_id for e in events()[1:4]} == {events()[0].id}


def test_tokens_signed_with_an_older_key_keep_working_after_rotation(app, sent, recipient, record):
    pixel = pixel_path(sent["html"])
    app.config["SECRET_KEY_FALLBACKS"] = [app.config["SECRET_KEY"]]
    app.config["SECRET_KEY"] = "a-brand-new-secret-key"
    assert hit(recipient, click_paths(sent["html"])[0]).status_code == 302
    hit(recipient, pixel)
    assert record() == 2
    app.config["SECRET_KEY_FALLBACKS"] = []
    assert hit(recipient, click_paths(sent["html"])[0]).status_code == 404
    hit(recipient, pixel)
    assert record() == 0
