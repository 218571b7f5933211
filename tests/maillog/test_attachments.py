"""Files of logged mail: listed on the timeline card, downloaded only by users of the account the
mail's records belong to, never rendered by the browser; a file left out for size says so."""

from __future__ import annotations

import re

import pytest

from tests.maillog.mail import outgoing, raw
from tests.web.test_sign_in import sign_in
from tracklog.extensions import db
from tracklog.models import Activity, ActivityAssociation, Contact

HOSTILE = b"<html><script>alert(document.cookie)</script></html>"


@pytest.fixture
def logged(deliver, world) -> Activity:
    """A sent mail logged with a kept HTML file and a PDF over the account's limit."""
    world.account.attachment_size_limit = 1000
    db.session.commit()
    mail = outgoing()
    mail.add_attachment(HOSTILE, maintype="text", subtype="html", filename="page.html")
    mail.add_attachment(b"x" * 5000, maintype="application", subtype="pdf", filename="big.pdf")
    inbound = deliver(raw(mail))
    assert inbound.status == "logged"
    return db.session.get(Activity, inbound.activity_id)


def contact_id() -> int:
    """The contact the test mail was logged on."""
    return db.session.scalar(db.select(Contact.id).filter_by(email="peter@initech.example"))


def download_path(api) -> str:
    """The API path of the kept file, as the contact's timeline gives it."""
    [item] = api.get(f"/records/contact/{contact_id()}/timeline").json["items"]
    [kept] = item["attachments"]
    assert kept["filename"] == "page.html"
    return kept["url"].removeprefix("/api/v1")


def test_the_card_lists_the_kept_file_and_says_why_the_other_was_left_out(client, world, logged):
    sign_in(client, "bob@acme.example")

    html = client.get(f"/contacts/{contact_id()}").get_data(as_text=True)

    [link] = re.findall(r'<a href="([^"]+)" download="page.html">page.html</a>', html)
    assert link == f"/api/v1/activities/{logged.id}/attachments/{link.rsplit('/', 1)[1]}"
    assert "big.pdf</a>" not in html
    [note] = re.findall(r'<p class="activity-warning">([^<]*)</p>', html)
    assert "big.pdf" in note and "left out" in note
    assert client.get(link).data == HOSTILE


def test_a_file_downloads_for_the_accounts_users_and_is_never_rendered(api, world, logged):
    path = download_path(api)

    response = api.as_token(world.user_token).get(path)

    assert response.status_code == 200 and response.data == HOSTILE
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert "page.html" in response.headers["Content-Disposition"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response.headers["Content-Security-Policy"]


def test_another_account_or_another_mail_never_gets_the_file(api, world, logged):
    path = download_path(api)
    attachment_id = path.rsplit("/", 1)[1]
    other_mail = Activity(account_id=world.account.id, type="email", subject="other")
    db.session.add(other_mail)
    db.session.commit()

    theirs = api.as_token(world.other_token).get(path)
    wrong_mail = api.get(f"/activities/{other_mail.id}/attachments/{attachment_id}")

    assert theirs.status_code == 404 and theirs.json["error"]["code"] == "not_found"
    assert HOSTILE not in theirs.data
    assert wrong_mail.status_code == 404


def test_a_mail_taken_off_every_record_no_longer_serves_its_files(api, world, logged):
    path = download_path(api)
    db.session.execute(db.delete(ActivityAssociation).filter_by(activity_id=logged.id))
    db.session.commit()

    assert api.get(path).status_code == 404
