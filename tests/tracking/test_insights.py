"""Insights: opens by weekday and hour in the recipients' local time, the funnel beside the machine
hits, each user's rates — through GET /api/v1/insights and the SVG charts of the /insights page."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta
from xml.etree import ElementTree

import pytest

from tests.factories import make_contact
from tests.tracking.helpers import compose
from tests.web.test_sign_in import sign_in
from tracklog.extensions import db
from tracklog.models import EngagementEvent, Message, User, utcnow

SVG = "{http://www.w3.org/2000/svg}"
MONDAY = datetime(2026, 11, 30, tzinfo=UTC)


def sent(api, to: str, sender: str = "alice@acme.example", **extra) -> Message:
    """A message composed through the API, as stored."""
    answer = compose(api, [to], item_id=str(uuid.uuid4()), **{"from": sender}, **extra)
    return db.session.scalar(db.select(Message).filter_by(public_id=answer["message_id"]))


def event(message: Message, kind: str, at: datetime, classification: str = "human", **fields):
    """A hit on a message's first recipient, as the recorder would store it."""
    db.session.add(
        EngagementEvent(
            account_id=message.account_id,
            hit_id=str(uuid.uuid4()),
            message_id=message.id,
            kind=kind,
            recipient_id=message.recipients[0].id,
            occurred_at=at,
            classification=classification,
            reason="seeded",
            **fields,
        )
    )


def seed_insights(api, world) -> dict[str, int]:
    """Alice's and Bob's mail of the last month, an older mail, and another account's mail.

    Opens by people, in UTC and in the recipient's local time:
    Kenji (Asia/Tokyo, opens from the US): Mon 00:30 → Mon 09:30, Mon 20:00 → Tue 05:00;
    Peter (Europe/Stockholm): Mon 07:30 → Mon 08:30 (through a proxy), Bob's Tue 08:15 → 09:15;
    no contact zone, from the US: Mon 15:10 → Mon 10:10 New York; nothing known: Tue 23:00 UTC.
    """
    make_contact(world.account, "kenji@example.jp", time_zone="Asia/Tokyo")
    make_contact(world.account, "peter@initech.example", time_zone="Europe/Stockholm")
    as_bob = api.as_token(world.user_token)
    kenji = sent(api, "kenji@example.jp")
    peter = sent(api, "peter@initech.example")
    us = sent(api, "someone@us.example")
    unknown = sent(api, "nobody@else.example")
    untracked = sent(api, "kenji@example.jp", track=False)
    unopened = sent(api, "peter@initech.example")
    bobs = sent(as_bob, "peter@initech.example", sender="bob@acme.example")
    old = sent(api, "nobody@else.example")
    theirs = sent(api.as_token(world.other_token), "x@y.example", sender="hank@globex.example")
    event(kenji, "open", MONDAY + timedelta(minutes=30), country="US")
    event(kenji, "open", MONDAY + timedelta(minutes=31), country="US", counted=False)
    event(kenji, "open", MONDAY + timedelta(hours=20), country="US")
    event(kenji, "open", MONDAY, "prefetch")
    event(kenji, "click", MONDAY + timedelta(hours=1))
    event(kenji, "reply", MONDAY + timedelta(hours=2))
    event(peter, "open", MONDAY + timedelta(hours=7, minutes=30), "proxy", country="SE")
    event(peter, "click", MONDAY + timedelta(hours=7), "scanner")
    event(us, "open", MONDAY + timedelta(hours=15, minutes=10), country="US")
    event(us, "open", MONDAY + timedelta(hours=15), "sender")
    event(unknown, "open", MONDAY + timedelta(days=1, hours=23))
    event(bobs, "open", MONDAY + timedelta(days=1, hours=8, minutes=15))
    event(old, "open", MONDAY + timedelta(days=2, hours=12))
    event(theirs, "open", MONDAY + timedelta(hours=9))
    for message in (untracked, bobs):
        message.replied_at = utcnow()
    old.sent_at = utcnow() - timedelta(days=40)
    db.session.commit()
    assert untracked.tracking == "off" and unopened.tracking == "individual"
    return {"alice": world.admin.id, "bob": world.user.id, "hank": world.other_admin.id}


@pytest.fixture
def seeded(api, world) -> dict[str, int]:
    """The seeded mail; the users' ids."""
    return seed_insights(api, world)


def numbers(api, query: str = "") -> dict:
    """GET /insights for a query string, asserting success."""
    response = api.get(f"/insights?{query}")
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.json


def test_opens_land_in_the_recipients_local_weekday_and_hour(api, seeded):
    opens = numbers(api)["opens_by_hour"]
    found = {
        (day, hour): count
        for day, row in enumerate(opens["cells"])
        for hour, count in enumerate(row)
        if count
    }
    assert found == {(0, 9): 1, (1, 5): 1, (0, 8): 1, (1, 9): 1, (0, 10): 1, (1, 23): 1}
    assert opens["total"] == 6
    assert opens["time_zones"] == {"contact": 4, "country": 1, "utc": 1}


def test_the_funnel_counts_each_message_once_and_machines_apart(api, seeded):
    answer = numbers(api)
    assert answer["funnel"] == {
        "sent": 7,
        "tracked": 6,
        "opened": 5,
        "clicked": 1,
        "replied": 3,
    }
    assert answer["machine_hits"] == {"sender": 1, "prefetch": 1, "scanner": 1, "bot": 0}


def test_admins_compare_users_rates(api, seeded):
    rows = {row["user_id"]: row for row in numbers(api)["per_user"]}
    assert set(rows) == {seeded["alice"], seeded["bob"]}
    alice, bob = rows[seeded["alice"]], rows[seeded["bob"]]
    assert (alice["sent"], alice["tracked"], alice["opened"]) == (6, 5, 4)
    assert (alice["open_rate"], alice["click_rate"], alice["reply_rate"]) == (0.8, 0.2, 0.3333)
    assert (bob["open_rate"], bob["click_rate"], bob["reply_rate"]) == (1.0, 0.0, 1.0)
    only_bob = numbers(api, f"user={seeded['bob']}")
    assert only_bob["funnel"]["sent"] == 1 and [r["user_id"] for r in only_bob["per_user"]] == [
        seeded["bob"]
    ]


def test_the_period_leaves_older_mail_out(api, seeded):
    assert numbers(api, "days=30")["funnel"]["sent"] == 7
    longer = numbers(api, "days=90")
    assert longer["funnel"]["sent"] == 8 and longer["opens_by_hour"]["cells"][2][12] == 1
    response = api.get("/insights?days=14")
    assert response.status_code == 400
    assert "days" in response.json["error"]["details"]["fields"]


def test_users_see_their_own_numbers_and_other_accounts_nothing(api, world, seeded):
    as_bob = api.as_token(world.user_token)
    own = numbers(as_bob)
    assert own["user_id"] == seeded["bob"] and own["funnel"]["sent"] == 1
    assert own["per_user"] == [] and own["opens_by_hour"]["cells"][1][9] == 1
    assert numbers(as_bob, f"user={seeded['bob']}")["funnel"]["replied"] == 1
    assert as_bob.get(f"/insights?user={seeded['alice']}").status_code == 403
    assert api.get(f"/insights?user={seeded['hank']}").status_code == 404
    theirs = numbers(api.as_token(world.other_token))
    assert theirs["funnel"]["sent"] == 1 and theirs["opens_by_hour"]["total"] == 1
    assert {row["user_id"] for row in theirs["per_user"]} == {seeded["hank"]}


def charts(page: str) -> dict[str, ElementTree.Element]:
    """Every SVG chart of a page, parsed as XML, by id (the icons are SVG too, hidden glyphs)."""
    parsed = [ElementTree.fromstring(svg) for svg in re.findall(r"<svg.*?</svg>", page, re.S)]
    return {svg.get("id"): svg for svg in parsed if svg.get("class") != "icon"}


def test_the_charts_are_valid_svg_carrying_the_apis_numbers(api, client, seeded):
    answer = numbers(api)
    sign_in(client, "alice@acme.example")
    page = client.get("/insights").get_data(as_text=True)
    found = charts(page)
    assert set(found) == {"opens-heat-map", "funnel", "user-rates"}
    for svg in found.values():
        assert svg.get("role") == "img"
        assert svg.find(f"{SVG}title").text and svg.find(f"{SVG}desc").text
    cells = found["opens-heat-map"].findall(f"{SVG}rect[@data-count]")
    assert len(cells) == 7 * 24
    for cell in cells:
        day, hour = int(cell.get("data-weekday")), int(cell.get("data-hour"))
        assert int(cell.get("data-count")) == answer["opens_by_hour"]["cells"][day][hour]
    monday_nine = found["opens-heat-map"].find(f"{SVG}rect[@data-weekday='0'][@data-hour='9']")
    assert monday_nine.find(f"{SVG}title").text == "Monday 09:00–10:00: 1 open"
    for step in ("sent", "opened", "clicked", "replied"):
        label = found["funnel"].find(f"{SVG}text[@data-step='{step}']")
        assert label.text == str(answer["funnel"][step])
    for row in answer["per_user"]:
        for rate in ("open_rate", "click_rate", "reply_rate"):
            bar = found["user-rates"].find(
                f"{SVG}rect[@data-user-id='{row['user_id']}'][@data-rate='{rate}']"
            )
            assert float(bar.get("data-value")) == row[rate]
    assert "3 machine hits" in page and "1 by a link scanner" in page
    assert "data-counts-note" in page and 'id="opens-table"' in page


def test_the_page_in_japanese_and_swedish_names_the_days(client, world, seeded):
    for locale, monday in (("ja", "月曜日"), ("sv", "måndag")):
        user = db.session.get(User, world.admin.id)
        user.locale = locale
        db.session.commit()
        sign_in(client, "alice@acme.example")
        found = charts(client.get("/insights?days=90").get_data(as_text=True))
        title = found["opens-heat-map"].find(f"{SVG}rect[@data-weekday='0'][@data-hour='9']")
        assert title.find(f"{SVG}title").text.startswith(f"{monday} 09:00")


def test_a_user_sees_no_comparison_and_cannot_ask_for_another(client, world, seeded):
    sign_in(client, "bob@acme.example")
    page = client.get("/insights").get_data(as_text=True)
    assert set(charts(page)) == {"opens-heat-map", "funnel"}
    assert client.get(f"/insights?user={seeded['alice']}").status_code == 403
    bad_period = client.get("/insights?days=14")
    assert bad_period.status_code == 400 and bad_period.mimetype == "text/html"
