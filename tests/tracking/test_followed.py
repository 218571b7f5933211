"""Followed mail: the filters, sorts and CSV export of the tracked-mail list, API and page."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest

from tests.factories import link_contact, make_company, make_contact, make_deal
from tests.tracking.helpers import CHROME_WINDOWS, click_paths, compose, pixel_path
from tests.tracking.test_hits import hit
from tests.web.test_sign_in import sign_in
from tracklog.extensions import db
from tracklog.models import Message, utcnow


def sent_days_ago(message_id: str, days: float) -> None:
    """Move a message's send time back by some days."""
    message = db.session.scalar(db.select(Message).filter_by(public_id=message_id))
    message.sent_at = utcnow() - timedelta(days=days)
    db.session.commit()


def mark_replied(message_id: str) -> None:
    """Record that a message was answered, as the reply detector does."""
    message = db.session.scalar(db.select(Message).filter_by(public_id=message_id))
    message.replied_at = utcnow()
    db.session.commit()


@pytest.fixture
def mail(api, world, recipient, record):
    """Four messages of Alice's: unopened for five days, opened, opened and clicked, answered.
    The clicked one is opened twice: the second open is a repeat, collapsed, not counted."""
    initech = make_company(world.account)
    peter = make_contact(world.account, "peter@initech.example", company_id=initech.id)
    make_contact(world.account, "milton@initech.example", company_id=initech.id)
    make_contact(world.account, "samir@globo.example")
    deal = make_deal(world.account)
    link_contact(world.account, peter, "deal", deal.id)
    unopened = compose(api, ["peter@initech.example"], item_id="a", subject="Unopened")
    opened = compose(api, ["milton@initech.example"], item_id="b", subject="Opened")
    clicked = compose(api, ["peter@initech.example"], item_id="c", subject="Clicked")
    answered = compose(api, ["samir@globo.example"], item_id="d", subject="Answered")
    for sent, days in ((unopened, 5), (opened, 5), (clicked, 2), (answered, 1)):
        sent_days_ago(sent["message_id"], days)
    for sent in (opened, clicked, clicked, answered):
        hit(recipient, pixel_path(sent["html"]))
    hit(recipient, click_paths(clicked["html"])[0], agent=CHROME_WINDOWS)
    record()
    mark_replied(answered["message_id"])
    ids = {name: sent["message_id"] for name, sent in locals().items() if name in NAMES}
    return ids | {"company": initech.id, "deal": deal.id}


NAMES = ("unopened", "opened", "clicked", "answered")


def listed(api, query: str = "") -> list[str]:
    """The ids GET /messages answers for a query string, in order."""
    response = api.get(f"/messages?{query}")
    assert response.status_code == 200, response.get_data(as_text=True)
    return [item["id"] for item in response.json["items"]]


def test_filters_answer_the_follow_up_questions(api, mail):
    assert listed(api, "no_open_days=3") == [mail["unopened"]]
    assert listed(api, "no_open_days=10") == []
    assert set(listed(api, "opened_no_reply=true")) == {mail["opened"], mail["clicked"]}
    assert listed(api, "clicked=true") == [mail["clicked"]]
    assert listed(api, "recipient=MILTON") == [mail["opened"]]
    assert set(listed(api, f"company={mail['company']}")) == {
        mail["unopened"],
        mail["opened"],
        mail["clicked"],
    }
    assert set(listed(api, f"deal={mail['deal']}")) == {mail["unopened"], mail["clicked"]}
    assert listed(api, "clicked=true&recipient=milton") == []
    assert listed(api, "q=answer") == [mail["answered"]]


def test_sorts_by_what_people_did(api, mail):
    assert listed(api) == [mail[name] for name in ("answered", "clicked", "opened", "unopened")]
    assert listed(api, "sort=opens")[-1] == mail["unopened"]
    assert listed(api, "sort=opens&order=asc")[0] == mail["unopened"]
    assert listed(api, "sort=last_opened")[-1] == mail["unopened"]
    assert listed(api, "sort=replies")[0] == mail["answered"]
    assert listed(api, "sort=clicks")[0] == mail["clicked"]


def test_items_carry_last_open_sender_and_names(api, mail):
    items = {item["id"]: item for item in api.get("/messages").json["items"]}
    assert items[mail["unopened"]]["kpis"]["last_opened_at"] is None
    assert items[mail["clicked"]]["kpis"]["last_opened_at"] is not None
    assert items[mail["clicked"]]["kpis"]["human_opens"] == 1
    assert items[mail["clicked"]]["kpis"]["repeat_opens_collapsed"] == 1
    assert items[mail["answered"]]["sender"]
    assert items[mail["opened"]]["recipients"][0]["name"] == "milton@initech.example"


def test_pages_of_a_sorted_list_follow_each_other(api, mail):
    first = api.get("/messages?sort=opens&limit=3").json
    second = api.get(f"/messages?sort=opens&limit=3&cursor={first['next_cursor']}").json
    ids = [item["id"] for item in first["items"] + second["items"]]
    assert sorted(ids) == sorted(mail[name] for name in NAMES)
    assert second["next_cursor"] is None


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("no_open_days=-1", "no_open_days"),
        ("no_open_days=soon", "no_open_days"),
        ("clicked=maybe", "clicked"),
        ("sort=subject", "sort"),
        ("order=up", "order"),
        ("company=x", "company"),
    ],
)
def test_bad_filters_are_named(api, world, query, field):
    response = api.get(f"/messages?{query}")
    assert response.status_code == 400
    assert response.json["error"]["code"] == "invalid_filter"
    assert field in response.json["error"]["details"]["fields"]


def test_filters_stay_within_the_callers_mail(api, world, mail):
    as_bob = api.as_token(world.user_token)
    assert listed(as_bob, "opened_no_reply=true") == []
    other = api.as_token(world.other_token)
    assert listed(other, f"company={mail['company']}") == []


def test_csv_export_has_the_same_filters(client, mail):
    sign_in(client, "alice@acme.example")
    response = client.get("/messages/export.csv?opened_no_reply=true&sort=opens")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert [row["id"] for row in rows] == [mail["clicked"], mail["opened"]]
    assert rows[0]["human_opens"] == "1" and rows[0]["clicks"] == "1"
    assert rows[1]["recipients"] == "milton@initech.example"
    assert client.get("/messages/export.csv?no_open_days=x").status_code == 400


def test_csv_export_cannot_run_formulas(api, client, world):
    compose(api, ["peter@initech.example"], subject='=HYPERLINK("http://evil")')
    sign_in(client, "alice@acme.example")
    rows = list(csv.DictReader(io.StringIO(client.get("/messages/export.csv").get_data(True))))
    assert rows[0]["subject"].startswith("'=")


def test_page_filters_sorts_and_links_the_export(client, mail):
    sign_in(client, "alice@acme.example")
    page = client.get("/messages?clicked=true").get_data(as_text=True)
    assert "Clicked" in page and "Unopened" not in page
    assert "/messages/export.csv?clicked=true" in page
    assert 'aria-sort="descending"' in page
    sorted_page = client.get("/messages?sort=last_opened&order=asc").get_data(as_text=True)
    assert sorted_page.index("Opened") < sorted_page.index("Unopened")
    bad = client.get("/messages?no_open_days=soon")
    assert bad.status_code == 400 and "Some filters are not valid." in bad.get_data(True)
