"""The CRM's record pages: lists, record pages with timelines, property forms, CSV in and out."""

from __future__ import annotations

import csv
import html as html_lib
import io
import re
from decimal import Decimal
from urllib.parse import parse_qs, unquote

import pytest

from tests import factories
from tests.crm.test_timeline import activity_at
from tests.web.test_sign_in import sign_in
from tracklog.extensions import db
from tracklog.maillog.parse import parse_mail
from tracklog.models import (
    Activity,
    ActivityAssociation,
    Company,
    Contact,
    Deal,
    EngagementEvent,
    Message,
    Task,
    Ticket,
    utcnow,
)


def page(response) -> str:
    """A response's HTML, after checking it succeeded."""
    assert response.status_code == 200, response.get_data(as_text=True)[:2000]
    return response.get_data(as_text=True)


def row_names(html: str) -> list[str]:
    """The record links of a list table's rows, in order."""
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return re.findall(
        r"<tr>\s*(?:<td><input[^>]*></td>\s*)?<td><a href=\"/\w+/\d+\">([^<]+)</a>", body
    )


def test_contact_list_searches_filters_sorts_and_pages(alice, world):
    initech = factories.make_company(world.account)
    for number in range(30):
        factories.make_contact(
            world.account,
            f"person{number:02d}@example.com",
            first_name=f"Person {number:02d}",
            owner_id=world.user.id if number % 3 == 0 else None,
            company_id=initech.id if number < 5 else None,
            legal_basis="consent" if number == 7 else None,
        )
    factories.make_contact(world.other_account, "person99@example.com", first_name="Hidden")

    first = page(alice.get("/contacts?sort=email&dir=asc"))
    assert row_names(first)[:2] == ["Person 00", "Person 01"]
    assert len(row_names(first)) == 25 and "Page 1 of 2" in first
    assert 'aria-sort="ascending"' in first and "Hidden" not in first
    second = page(alice.get("/contacts?sort=email&dir=asc&page=2"))
    assert row_names(second) == [f"Person {n}" for n in range(25, 30)]
    descending = page(alice.get("/contacts?sort=name&dir=desc"))
    assert row_names(descending)[0] == "Person 29"

    searched = row_names(page(alice.get("/contacts?q=PERSON1&sort=name&dir=asc")))
    assert searched == [f"Person {n}" for n in range(10, 20)]
    owned = row_names(page(alice.get(f"/contacts?owner={world.user.id}&sort=name&dir=asc")))
    assert owned == [f"Person {n:02d}" for n in range(0, 30, 3)]
    at_initech = row_names(page(alice.get(f"/contacts?company={initech.id}&sort=name&dir=asc")))
    assert at_initech == [f"Person {n:02d}" for n in range(5)]
    assert row_names(page(alice.get("/contacts?legal_basis=yes"))) == ["Person 07"]
    assert len(row_names(page(alice.get("/contacts?legal_basis=no&page=2")))) == 4


def test_deal_and_ticket_lists_filter_by_stage_and_status(alice, world):
    pipeline = factories.pipeline_of(world.account)
    won = next(stage for stage in pipeline.stages if stage.kind == "won")
    factories.make_deal(world.account, "Small", amount=Decimal("100"))
    factories.make_deal(world.account, "Large", amount=Decimal("9000"), owner_id=world.user.id)
    factories.make_deal(world.account, "Closed one", stage_index=pipeline.stages.index(won))
    by_amount = row_names(page(alice.get("/deals?sort=amount&dir=desc")))
    assert by_amount == ["Large", "Small", "Closed one"]
    assert row_names(page(alice.get("/deals?status=won"))) == ["Closed one"]
    assert row_names(page(alice.get(f"/deals?stage={won.id}"))) == ["Closed one"]
    assert row_names(page(alice.get(f"/deals?owner={world.user.id}"))) == ["Large"]
    assert set(row_names(page(alice.get("/deals?status=open")))) == {"Small", "Large"}
    assert row_names(page(alice.get("/deals?q=larg"))) == ["Large"]

    tickets = factories.pipeline_of(world.account, "ticket")
    closing = next(i for i, stage in enumerate(tickets.stages) if stage.kind != "open")
    factories.make_ticket(world.account, "Printer on fire")
    factories.make_ticket(world.account, "Fixed already", stage_index=closing)
    assert row_names(page(alice.get("/tickets?status=closed"))) == ["Fixed already"]
    assert row_names(page(alice.get("/tickets?status=open"))) == ["Printer on fire"]


def test_record_page_shows_properties_associations_and_timeline(alice, world):
    company = factories.make_company(world.account)
    contact = factories.make_contact(world.account, first_name="Peter", company_id=company.id)
    deal = factories.make_deal(world.account)
    alice_api = factories.ApiClient(alice, world.admin_token)
    alice_api.post(f"/records/contact/{contact.id}/associations", {"type": "deal", "id": deal.id})
    older = activity_at(world.account, [("contact", contact.id)], 3, "note", "Older note")
    newer = activity_at(world.account, [("contact", contact.id), ("deal", deal.id)], 1, "call")
    alice_api.call("PUT", f"/records/contact/{contact.id}/pin", json={"activity_id": older.id})

    html = page(alice.get(f"/contacts/{contact.id}"))
    assert 'value="peter@initech.example"' in html and 'value="Peter"' in html
    assert 'name="marketing_status"' in html and 'name="owner_id"' in html
    assert "Initech renewal" in html and "Initech" in html
    cards = re.findall(r'data-activity-id="(\d+)" data-pinned="(\w+)"', html)
    assert cards == [(str(older.id), "true"), (str(newer.id), "false")]
    assert 'aria-expanded="false"' in html and "Load more" not in html
    assert "Create deal" in html and 'name="bring_activities_days" value="30"' in html

    fragment = page(alice.get(f"/contacts/{contact.id}/timeline"))
    assert re.findall(r'data-activity-id="(\d+)"', fragment) == [str(older.id), str(newer.id)]
    deal_page = page(alice.get(f"/deals/{deal.id}"))
    assert re.findall(r'data-activity-id="(\d+)"', deal_page) == [str(newer.id)]
    assert 'name="stage_id"' in deal_page and "Peter" in deal_page


def test_timeline_pages_with_load_more(alice, world):
    contact = factories.make_contact(world.account)
    activities = [activity_at(world.account, [("contact", contact.id)], day) for day in range(25)]
    html = page(alice.get(f"/contacts/{contact.id}"))
    assert len(re.findall(r"data-activity-id=", html)) == 20
    cursor = re.search(r'data-cursor="([^"]+)"', html).group(1)
    more = page(alice.get(f"/contacts/{contact.id}/timeline?cursor={cursor}"))
    assert re.findall(r'data-activity-id="(\d+)"', more) == [str(a.id) for a in activities[20:]]
    assert "data-load-more" not in more


def test_saved_filter_hides_types_on_every_timeline_of_that_type(alice, world):
    first = factories.make_contact(world.account)
    second = factories.make_contact(world.account, "x@y.example")
    company = factories.make_company(world.account)
    for record in (("contact", first.id), ("contact", second.id), ("company", company.id)):
        activity_at(world.account, [record], 1, "note", "A note")
    factories.ApiClient(alice, world.admin_token).call(
        "PUT", "/timeline-filters/contact", json={"types": ["email", "call"]}
    )
    assert "A note" not in page(alice.get(f"/contacts/{second.id}"))
    assert "A note" in page(alice.get(f"/companies/{company.id}"))
    bob = alice.application.test_client()
    sign_in(bob, "bob@acme.example")
    assert "A note" in page(bob.get(f"/contacts/{first.id}"))


def test_editing_properties_shows_each_fields_error_and_saves_valid_changes(alice, world):
    contact = factories.make_contact(world.account, first_name="Peter")
    factories.make_contact(world.account, "taken@initech.example")
    form = {"email": "not an address", "first_name": "Pete", "owner_id": "999999"}
    response = alice.post(f"/contacts/{contact.id}", data=form)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'id="field-email-error"' in html and "not a valid email address" in html
    assert 'id="field-owner_id-error"' in html and "no user with id 999999" in html
    assert 'value="Pete"' in html and 'aria-invalid="true"' in html
    db.session.expire_all()
    assert db.session.get(Contact, contact.id).first_name == "Peter"

    taken = alice.post(f"/contacts/{contact.id}", data={"email": "taken@initech.example"})
    assert taken.status_code == 422 and "already used by another contact" in taken.get_data(
        as_text=True
    )
    saved = alice.post(
        f"/contacts/{contact.id}",
        data={"email": "peter@initech.example", "first_name": "Pete", "legal_basis": "consent"},
    )
    assert saved.status_code == 302
    db.session.expire_all()
    changed = db.session.get(Contact, contact.id)
    assert (changed.first_name, changed.legal_basis) == ("Pete", "consent")


def test_a_stage_asks_for_its_required_properties_on_the_deal_page(alice, world):
    pipeline = factories.pipeline_of(world.account)
    stage = pipeline.stages[2]
    stage.required_properties = ["amount", "decision_maker"]
    db.session.commit()
    deal = factories.make_deal(world.account)
    refused = alice.post(f"/deals/{deal.id}", data={"stage_id": str(stage.id)})
    assert refused.status_code == 422
    html = refused.get_data(as_text=True)
    assert 'id="field-amount-error"' in html and 'name="properties.decision_maker"' in html
    moved = alice.post(
        f"/deals/{deal.id}",
        data={"stage_id": str(stage.id), "amount": "1200.50", "properties.decision_maker": "Bill"},
    )
    assert moved.status_code == 302
    db.session.expire_all()
    saved = db.session.get(Deal, deal.id)
    assert saved.stage_id == stage.id and saved.properties == {"decision_maker": "Bill"}


def test_new_forms_validate_and_create(alice, world):
    refused = alice.post("/companies/new", data={"name": "", "domain": "initech.example"})
    assert refused.status_code == 422 and 'id="field-name-error"' in refused.get_data(as_text=True)
    created = alice.post(
        "/companies/new", data={"name": "Initech", "domain": "WWW.Initech.example"}
    )
    assert created.status_code == 302
    company = db.session.scalar(db.select(Company))
    assert company.domain == "initech.example" and created.headers["Location"].endswith(
        f"/companies/{company.id}"
    )
    assert alice.post("/tickets/new", data={"subject": "Printer on fire"}).status_code == 302
    assert db.session.scalar(db.select(Ticket)).stage_id is not None


def test_create_deal_from_a_contact_brings_in_its_recent_activities(alice, world):
    contact = factories.make_contact(world.account)
    recent = activity_at(world.account, [("contact", contact.id)], 3)
    activity_at(world.account, [("contact", contact.id)], 12)
    response = alice.post(
        "/deals/new",
        data={
            "name": "From Peter",
            "from_type": "contact",
            "from_id": str(contact.id),
            "bring_activities_days": "7",
        },
    )
    assert response.status_code == 302
    deal = db.session.scalar(db.select(Deal).filter_by(name="From Peter"))
    on_deal = db.session.scalars(
        db.select(ActivityAssociation.activity_id).filter_by(record_type="deal", record_id=deal.id)
    ).all()
    assert on_deal == [recent.id]
    assert "peter@initech.example" in page(alice.get(f"/deals/{deal.id}"))


def test_another_accounts_records_are_not_found(alice, world):
    theirs = factories.make_contact(world.other_account, "secret@globex.example")
    company = factories.make_company(world.other_account, "Globex", "globex.example")
    assert alice.get(f"/contacts/{theirs.id}").status_code == 404
    assert alice.get(f"/companies/{company.id}").status_code == 404
    assert alice.get(f"/contacts/{theirs.id}/timeline").status_code == 404
    assert alice.post(f"/contacts/{theirs.id}", data={"first_name": "X"}).status_code == 404
    assert alice.post(f"/contacts/{theirs.id}/notes", data={"body": "hi"}).status_code == 404
    assert db.session.scalar(db.select(db.func.count()).select_from(Activity)) == 0
    assert "secret@globex.example" not in page(alice.get("/contacts"))


def test_mail_bodies_are_sanitised_and_everything_else_escaped(alice, world):
    raw = (
        b"From: Peter <peter@initech.example>\r\nTo: alice@acme.example\r\n"
        b"Subject: <script>alert('subject')</script>\r\nMessage-ID: <m1@initech.example>\r\n"
        b"Content-Type: text/html; charset=utf-8\r\n\r\n"
        b"<p onclick=\"alert(2)\">Hello <b>there</b></p><script>alert('body')</script>"
        b'<img src="x" onerror="alert(3)">'
    )
    parsed = parse_mail(raw)
    contact = factories.make_contact(world.account)
    activity = activity_at(world.account, [("contact", contact.id)], 1, "email")
    activity.subject, activity.body_html, activity.body_text = parsed.subject, parsed.html, "Hi"
    activity.sender, activity.thread_key, activity.direction = (
        "peter@initech.example",
        "<m1@initech.example>",
        "incoming",
    )
    db.session.commit()
    html = page(alice.get(f"/contacts/{contact.id}"))
    assert "<b>there</b>" in html
    assert "alert('body')" not in html and "onerror" not in html and "onclick" not in html
    assert "<script>alert(" not in html
    assert "&lt;script&gt;alert(" in html
    reply = re.search(r'href="(mailto:[^"]+)">Reply<', html).group(1)
    assert reply.startswith("mailto:peter@initech.example?subject=Re%3A")
    assert "%3E%20Hi" in reply
    thread = page(alice.get(f"/activities/{activity.id}/thread"))
    assert "1 message in this thread" in thread and "<script>alert(" not in thread


def reply_targets(html: str, label: str) -> tuple[list[str], list[str]]:
    """The (to, cc) addresses of a card's Reply or Reply all link."""
    link = html_lib.unescape(re.search(rf'href="(mailto:[^"]+)">{label}<', html).group(1))
    address, _sep, query = link.removeprefix("mailto:").partition("?")
    cc = parse_qs(query).get("cc", [""])[0]
    return unquote(address).split(","), [a for a in cc.split(",") if a]


def logged_mail(world, contact, direction: str, sender: str, recipients: list[str]) -> None:
    """A logged mail on the contact's timeline."""
    activity = activity_at(world.account, [("contact", contact.id)], 1, "email")
    activity.direction, activity.sender, activity.recipients = direction, sender, recipients
    db.session.commit()


@pytest.mark.parametrize(
    ("direction", "sender", "recipients", "reply_all"),
    [
        (
            "outgoing",
            "alice@acme.example",
            ["peter@initech.example", "bob@acme.example", "milton@initech.example"],
            (["peter@initech.example"], ["milton@initech.example"]),
        ),
        (
            "incoming",
            "peter@initech.example",
            ["alice.sales@acme.example", "bob@acme.example", "milton@initech.example"],
            (["peter@initech.example"], ["milton@initech.example"]),
        ),
    ],
    ids=["sent by a colleague", "received by a colleague"],
)
def test_reply_addresses_the_contact_side_whoever_of_the_team_opens_it(
    client, world, direction, sender, recipients, reply_all
):
    alias = "alice.sales@acme.example"
    factories.make_alias(world.admin, alias)
    contact = factories.make_contact(world.account, "peter@initech.example")
    logged_mail(world, contact, direction, sender, recipients)
    sign_in(client, "bob@acme.example")

    html = page(client.get(f"/contacts/{contact.id}"))

    assert reply_targets(html, "Reply") == (["peter@initech.example"], [])
    assert reply_targets(html, "Reply all") == reply_all


def test_notes_are_added_from_the_page_as_plain_text(alice, world):
    contact = factories.make_contact(world.account)
    response = alice.post(
        f"/contacts/{contact.id}/notes", data={"body": "Call back <script>x</script>\nTuesday"}
    )
    assert response.status_code == 302
    note = db.session.scalar(db.select(Activity))
    assert note.body_html == "Call back &lt;script&gt;x&lt;/script&gt;<br>Tuesday"
    assert "<script>x" not in page(alice.get(f"/contacts/{contact.id}"))


def test_csv_export_streams_the_accounts_contacts_escaping_formulas(alice, world):
    factories.make_contact(world.account, "a@example.com", first_name="=HYPERLINK(1)")
    factories.make_contact(world.account, "b@example.com", last_name="+1", legal_basis="@SUM")
    factories.make_contact(world.other_account, "hidden@example.com")
    response = alice.get("/contacts/export.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.is_streamed
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert [row["email"] for row in rows] == ["a@example.com", "b@example.com"]
    assert rows[0]["first_name"] == "'=HYPERLINK(1)"
    assert rows[1]["last_name"] == "'+1" and rows[1]["legal_basis"] == "'@SUM"
    companies = alice.get("/companies/export.csv").get_data(as_text=True)
    assert companies.splitlines()[0].startswith("id,name,domain,owner_id")


def upload(client, path: str, text: str):
    """Post a CSV file to an import form."""
    data = {"file": (io.BytesIO(text.encode()), "import.csv")}
    return client.post(path, data=data, content_type="multipart/form-data")


def test_csv_import_creates_updates_and_skips_rows_with_reasons(alice, world):
    factories.make_contact(world.account, "peter@initech.example", first_name="Peter")
    text = (
        "E-mail,First name,Last name,owner_id,Shoe size,created_at\n"
        "PETER@initech.example,Pete,Gibbons,,44,2020-01-01\n"
        "milton@initech.example,Milton,'=1+1,,,\n"
        "not-an-address,Bill,,,,\n"
        f"samir@initech.example,Samir,,{world.other_admin.id},,\n"
        ",Nobody,,,,\n"
    )
    html = page(upload(alice, "/contacts/import", text))
    assert re.search(r"data-created>1<", html) and re.search(r"data-updated>1<", html)
    assert re.search(r"data-skipped>3<", html)
    assert "not a field; ignored" in html and "read-only; ignored" in html
    assert re.search(r"<td>4</td><td>email: not a valid email address</td>", html)
    assert re.search(rf"<td>5</td><td>owner_id: no user with id {world.other_admin.id}</td>", html)
    assert re.search(r"<td>6</td><td>email: is required</td>", html)
    contacts = {c.email: c for c in db.session.scalars(db.select(Contact))}
    assert set(contacts) == {"peter@initech.example", "milton@initech.example"}
    assert contacts["peter@initech.example"].first_name == "Pete"
    assert contacts["milton@initech.example"].last_name == "=1+1"


def test_csv_import_skips_a_row_with_a_nul_byte_naming_its_column(alice, world):
    text = (
        "email,first_name,last_name\n"
        "peter@initech.example,Pe\x00ter,Gibbons\n"
        "milton@initech.example,Milton,\udcff\n"
        "samir@initech.example,Samir,Nagheenanajar\n"
    )
    data = {"file": (io.BytesIO(text.encode("utf-8", "surrogatepass")), "import.csv")}
    response = alice.post("/contacts/import", data=data, content_type="multipart/form-data")
    assert response.status_code == 422  # the file is not UTF-8: nothing imported
    html = page(upload(alice, "/contacts/import", text.replace("\udcff", "Waddams")))
    assert re.search(r"data-created>2<", html) and re.search(r"data-skipped>1<", html)
    assert re.search(r"<td>2</td><td>first_name: must not contain NUL bytes", html)
    emails = set(db.session.scalars(db.select(Contact.email)))
    assert emails == {"milton@initech.example", "samir@initech.example"}


def test_csv_import_of_companies_matches_by_domain(alice, world):
    factories.make_company(world.account, "Initech", "initech.example")
    text = "name;domain\nInitech Corp;WWW.INITECH.example\nGlobex;globex.example\n;\n"
    html = page(upload(alice, "/companies/import", text))
    assert re.search(r"data-created>1<", html) and re.search(r"data-updated>1<", html)
    names = sorted(c.name for c in db.session.scalars(db.select(Company)))
    assert names == ["Globex", "Initech Corp"]
    refused = upload(alice, "/companies/import", "colour\nblue\n")
    assert refused.status_code == 422 and "needs a name or domain column" in refused.get_data(
        as_text=True
    )


class TestWithCsrf:
    """The record pages' forms refuse posts without the page's CSRF token."""

    @pytest.fixture
    def app_config(self, app_config):
        """CSRF protection on, as in production."""
        return {**app_config, "WTF_CSRF_ENABLED": True}

    def test_forms_need_the_csrf_token(self, client, world):
        token = re.search(
            r'name="csrf_token" type="hidden" value="([^"]+)"',
            client.get("/sign-in").get_data(as_text=True),
        ).group(1)
        client.post(
            "/sign-in",
            data={
                "email": "alice@acme.example",
                "password": factories.PASSWORD,
                "csrf_token": token,
            },
        )
        contact = factories.make_contact(world.account)
        html = page(client.get(f"/contacts/{contact.id}"))
        assert client.post(f"/contacts/{contact.id}", data={"first_name": "X"}).status_code == 400
        form_token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
        saved = client.post(
            f"/contacts/{contact.id}", data={"first_name": "X", "csrf_token": form_token}
        )
        assert saved.status_code == 302


def test_a_deal_opens_with_its_highlights_and_mail_cards_show_opens_and_clicks(alice, world):
    deal = factories.make_deal(world.account, owner_id=world.admin.id, amount=Decimal("1200"))
    mail = activity_at(world.account, [("deal", deal.id)], 2, "email", "Pricing")
    account_id = world.account.id
    message = Message(
        account_id=account_id, public_id="tl_badges", user_id=world.admin.id, activity_id=mail.id
    )
    db.session.add(message)
    db.session.flush()
    hits = [("open", "human"), ("open", "proxy"), ("open", "bot"), ("click", "human")]
    db.session.add_all(
        EngagementEvent(
            account_id=account_id,
            hit_id=f"hit-{number}",
            message_id=message.id,
            kind=kind,
            occurred_at=utcnow(),
            classification=classification,
            reason="a test hit",
        )
        for number, (kind, classification) in enumerate(hits)
    )
    task = Task(account_id=account_id, title="Send the contract", record_type="deal")
    task.record_id = deal.id
    db.session.add(task)
    db.session.commit()

    html = page(alice.get(f"/deals/{deal.id}"))
    highlights = html[html.index('aria-label="Highlights"') : html.index('class="record-layout"')]
    assert world.admin.display_name in highlights and "$1,200.00" in highlights
    assert "Appointment scheduled" in highlights and "Send the contract" in highlights
    assert "None yet" not in highlights  # the mail is the last activity
    assert "2 opens" in html and "1 click" in html  # the bot's open is not a person's
