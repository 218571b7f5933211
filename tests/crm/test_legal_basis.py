"""Setting contacts' legal basis in bulk: the API, the contacts list's action and CSV import."""

from __future__ import annotations

import re

import pytest

from tests import factories
from tests.crm.test_pages import page, upload
from tracklog.extensions import db
from tracklog.models import Contact


@pytest.fixture
def three(world) -> list[Contact]:
    """Three contacts of Acme without a legal basis."""
    return [factories.make_contact(world.account, f"person{n}@initech.example") for n in range(3)]


def bases(*contacts: Contact) -> list[str | None]:
    """The contacts' legal basis as stored now."""
    db.session.expire_all()
    return [db.session.get(Contact, contact.id).legal_basis for contact in contacts]


def test_the_api_sets_a_basis_on_many_contacts_and_answers_the_count(api, three):
    ids = [contact.id for contact in three[:2]]

    answer = api.post("/contacts/legal-basis", {"ids": [*ids, ids[0]], "legal_basis": "consent"})

    assert answer.status_code == 200, answer.json
    assert answer.json == {"updated": 2, "legal_basis": "consent"}
    assert bases(*three) == ["consent", "consent", None]
    cleared = api.post("/contacts/legal-basis", {"ids": ids, "legal_basis": None})
    assert cleared.json == {"updated": 2, "legal_basis": None}
    assert bases(*three) == [None, None, None]


def test_the_api_takes_only_a_basis_the_account_offers(api, three):
    answer = api.post(
        "/contacts/legal-basis", {"ids": [three[0].id], "legal_basis": "vital_interests"}
    )

    assert answer.status_code == 422
    assert answer.json["error"]["details"]["fields"]["legal_basis"]
    assert bases(three[0]) == [None]


@pytest.mark.parametrize(
    "payload",
    [{"ids": [], "legal_basis": "consent"}, {"ids": ["x"], "legal_basis": None}, {"ids": [1]}],
)
def test_the_api_refuses_a_malformed_request(api, three, payload):
    answer = api.post("/contacts/legal-basis", payload)

    assert answer.status_code == 422
    assert answer.json["error"]["code"] == "validation_failed"


def test_another_accounts_contact_is_a_missing_one_and_nothing_changes(api, world, three):
    theirs = factories.make_contact(world.other_account, "hank@globex.example")
    body = {"ids": [three[0].id, theirs.id], "legal_basis": "consent"}

    answer = api.post("/contacts/legal-basis", body)
    missing = api.post("/contacts/legal-basis", {**body, "ids": [three[0].id, 999999]})

    assert answer.status_code == missing.status_code == 404
    assert answer.json["error"] == missing.json["error"]
    assert bases(three[0], theirs) == [None, None]


def test_the_contacts_list_sets_a_basis_on_the_selected_contacts(alice, three):
    listed = page(alice.get("/contacts"))
    assert listed.count('name="ids"') == 3
    assert re.search(r'<option value="legitimate_interest">Legitimate interest</option>', listed)
    assert 'value="vital_interests"' not in listed

    done = alice.post(
        "/contacts/legal-basis",
        data={"ids": [str(three[0].id), str(three[2].id)], "legal_basis": "contract"},
    )

    assert done.status_code == 302
    assert "Legal basis set on 2 contacts." in page(alice.get(done.headers["Location"]))
    assert bases(*three) == ["contract", None, "contract"]
    alice.post("/contacts/legal-basis", data={"ids": [str(three[0].id)], "legal_basis": "none"})
    assert bases(three[0]) == [None]


def test_the_contacts_list_refuses_an_unoffered_basis_or_no_selection(alice, three):
    for data in (
        {"ids": [str(three[0].id)], "legal_basis": "public_task"},
        {"legal_basis": "contract"},
    ):
        answer = alice.post("/contacts/legal-basis", data=data, follow_redirects=True)
        assert 'class="flash flash-error"' in page(answer)
    assert bases(three[0]) == [None]


def test_csv_import_takes_only_a_legal_basis_the_account_offers(alice, world):
    text = (
        "email,legal_basis\npeter@initech.example,consent\nmilton@initech.example,vital_interests\n"
    )

    html = page(upload(alice, "/contacts/import", text))

    assert re.search(r"data-created>1<", html) and re.search(r"data-skipped>1<", html)
    assert re.search(r"<td>3</td><td>legal_basis: ", html)
    stored = {c.email: c.legal_basis for c in db.session.scalars(db.select(Contact))}
    assert stored == {"peter@initech.example": "consent"}
