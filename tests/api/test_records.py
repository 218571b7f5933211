"""CRUD of contacts, companies, deals, tickets, pipelines and users over /api/v1."""

from __future__ import annotations

import pytest

from tests import factories
from tracklog.extensions import db
from tracklog.models import ActivityAssociation, Pin, RecordAssociation


def assert_error(response, status: int, code: str) -> dict:
    """The response is the contract's JSON error with this status and code."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.is_json
    error = response.json["error"]
    assert error["code"] == code
    assert isinstance(error["message"], str) and error["message"]
    assert isinstance(error["details"], dict)
    return error


def test_contact_lifecycle(api, world):
    company = api.post("/companies", {"name": "Initech", "domain": "WWW.Initech.Example"}).json
    assert company["domain"] == "initech.example"
    created = api.post(
        "/contacts",
        {"email": " Peter@Initech.example ", "first_name": "Peter", "company_id": company["id"]},
    )
    assert created.status_code == 201
    contact = created.json
    assert contact["email"] == "peter@initech.example"
    assert contact["legal_basis"] is None
    for field in ("id", "first_name", "last_name", "company_id", "owner_id", "created_at"):
        assert field in contact
    changed = api.patch(f"/contacts/{contact['id']}", {"legal_basis": "consent"})
    assert changed.json["legal_basis"] == "consent"
    assert api.get(f"/contacts/{contact['id']}").json["legal_basis"] == "consent"
    assert api.delete(f"/contacts/{contact['id']}").status_code == 204
    assert_error(api.get(f"/contacts/{contact['id']}"), 404, "not_found")


def test_duplicate_contact_email_conflicts(api, world):
    api.post("/contacts", {"email": "peter@initech.example"})
    error = assert_error(api.post("/contacts", {"email": "PETER@initech.example"}), 409, "conflict")
    assert "email" in error["details"]["fields"]


def test_validation_errors_name_each_field(api, world):
    response = api.post(
        "/contacts", {"email": "not-an-address", "company_id": "x", "nickname": "Pete"}
    )
    fields = assert_error(response, 422, "validation_failed")["details"]["fields"]
    assert set(fields) == {"email", "company_id", "nickname"}


def test_missing_required_field(api, world):
    fields = assert_error(api.post("/deals", {}), 422, "validation_failed")["details"]["fields"]
    assert "name" in fields


def test_body_that_is_not_json(api, world):
    response = api.call("POST", "/contacts", data="email=x", headers={"Content-Type": "text/plain"})
    assert_error(response, 422, "invalid_json")


def test_deal_defaults_to_first_stage_and_status_follows_stage(api, world):
    deal = api.post("/deals", {"name": "Big one", "amount": "12500.50"}).json
    pipeline = api.get(f"/pipelines/{deal['pipeline_id']}").json
    assert pipeline["name"] == "Sales Pipeline"
    assert deal["stage_id"] == pipeline["stages"][0]["id"]
    assert deal["status"] == "open" and deal["amount"] == 12500.5
    won = next(stage for stage in pipeline["stages"] if stage["kind"] == "won")
    lost = next(stage for stage in pipeline["stages"] if stage["kind"] == "lost")
    assert api.patch(f"/deals/{deal['id']}", {"stage_id": won["id"]}).json["status"] == "won"
    assert api.patch(f"/deals/{deal['id']}", {"stage_id": lost["id"]}).json["status"] == "lost"


def test_deal_stage_must_belong_to_its_pipeline(api, world):
    tickets = factories.pipeline_of(world.account, "ticket")
    response = api.post("/deals", {"name": "Odd", "stage_id": tickets.stages[0].id})
    assert_error(response, 422, "validation_failed")


def test_ticket_status_follows_its_stage(api, world):
    ticket = api.post("/tickets", {"subject": "Cannot log in"}).json
    assert ticket["status"] == "open"
    pipeline = api.get(f"/pipelines/{ticket['pipeline_id']}").json
    assert [s["name"] for s in pipeline["stages"]] == [
        "New",
        "Waiting on contact",
        "Waiting on us",
        "Closed",
    ]
    closed = pipeline["stages"][-1]["id"]
    assert api.patch(f"/tickets/{ticket['id']}", {"stage_id": closed}).json["status"] == "closed"


def test_default_sales_pipeline(api, world):
    pipelines = api.get("/pipelines").json["items"]
    sales = next(p for p in pipelines if p["object"] == "deal")
    stages = [(s["name"], s["probability"], s["kind"]) for s in sales["stages"]]
    assert stages == [
        ("Appointment scheduled", 20, "open"),
        ("Qualified to buy", 40, "open"),
        ("Presentation scheduled", 60, "open"),
        ("Decision maker bought-in", 80, "open"),
        ("Contract sent", 90, "open"),
        ("Closed won", 100, "won"),
        ("Closed lost", 0, "lost"),
    ]
    assert [s["order"] for s in sales["stages"]] == list(range(7))


def test_pipeline_stages_are_renamed_reordered_added_and_removed(api, world):
    created = api.post(
        "/pipelines",
        {"name": "Partners", "object": "deal", "stages": [{"name": "Intro"}, {"name": "Signed"}]},
    )
    assert created.status_code == 201, created.json
    intro, signed = created.json["stages"]
    changed = api.patch(
        f"/pipelines/{created.json['id']}",
        {
            "stages": [
                {"id": signed["id"], "name": "Signed", "kind": "won", "probability": 100},
                {"name": "Lost", "kind": "lost"},
            ]
        },
    ).json
    assert [(s["name"], s["order"], s["kind"]) for s in changed["stages"]] == [
        ("Signed", 0, "won"),
        ("Lost", 1, "lost"),
    ]
    assert intro["id"] not in [s["id"] for s in changed["stages"]]


def test_removing_a_stage_that_holds_deals_is_refused(api, world):
    deal = factories.make_deal(world.account)
    pipeline = api.get(f"/pipelines/{deal.pipeline_id}").json
    remaining = [{"id": s["id"]} for s in pipeline["stages"] if s["id"] != deal.stage_id]
    response = api.patch(f"/pipelines/{pipeline['id']}", {"stages": remaining})
    error = assert_error(response, 409, "stage_in_use")
    assert error["details"]["records"] == 1
    assert_error(api.delete(f"/pipelines/{pipeline['id']}"), 409, "pipeline_in_use")


def test_probability_is_a_percentage(api, world):
    response = api.post(
        "/pipelines", {"name": "X", "object": "deal", "stages": [{"name": "A", "probability": 150}]}
    )
    assert_error(response, 422, "validation_failed")


def test_only_admins_change_pipelines_and_users(api, world):
    as_user = api.as_token(world.user_token)
    assert as_user.get("/pipelines").status_code == 200
    assert_error(as_user.post("/pipelines", {"name": "Mine", "stages": []}), 403, "forbidden")
    assert_error(as_user.post("/users", {"email": "eve@acme.example"}), 403, "forbidden")


def test_user_management(api, world):
    created = api.post(
        "/users", {"email": "carol@acme.example", "password": "long enough pw", "role": "user"}
    )
    assert created.status_code == 201, created.json
    assert "password" not in created.json and "password_hash" not in created.json
    assert_error(api.post("/users", {"email": "carol@acme.example"}), 422, "validation_failed")
    assert_error(
        api.post("/users", {"email": "dave@acme.example", "password": "short"}),
        422,
        "validation_failed",
    )
    assert_error(api.delete(f"/users/{world.admin.id}"), 409, "cannot_delete_self")


def test_an_address_of_another_account_answers_like_any_used_address(api, world):
    """An admin cannot learn from the answer whether another account has a user."""
    other_account = api.post("/users", {"email": "HANK@globex.example"})
    same_account = api.post("/users", {"email": "bob@acme.example"})
    changed = api.patch(f"/users/{world.user.id}", {"email": "hank@globex.example"})
    error = assert_error(other_account, 422, "validation_failed")
    assert same_account.status_code == changed.status_code == 422
    assert same_account.json == changed.json == other_account.json
    assert "globex" not in str(error).lower() and "exists" not in error["message"]


def test_search_with_q(api, world):
    for email in ("peter@initech.example", "milton@initech.example", "bill@globex.example"):
        factories.make_contact(world.account, email)
    found = api.get("/contacts?q=INITECH").json["items"]
    assert sorted(c["email"] for c in found) == ["milton@initech.example", "peter@initech.example"]


def test_cursor_pagination_visits_every_record_once(api, world):
    for index in range(7):
        factories.make_contact(world.account, f"person{index}@example.com")
    seen, cursor = [], None
    while True:
        page = api.get("/contacts?limit=3" + (f"&cursor={cursor}" if cursor else "")).json
        assert len(page["items"]) <= 3
        seen += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == 7 == len(set(seen))
    assert seen == sorted(seen, reverse=True)


@pytest.mark.parametrize("query", ["cursor=%%%", "cursor=bm90LWpzb24", "limit=0", "limit=abc"])
def test_bad_paging_parameters(api, world, query):
    response = api.get(f"/contacts?{query}")
    assert response.status_code == 400
    assert response.json["error"]["code"] in {"invalid_cursor", "invalid_limit"}


def test_deleting_a_deal_removes_its_associations(api, world):
    deal = factories.make_deal(world.account)
    contact = factories.make_contact(world.account)
    activity = factories.make_activity(
        world.account, on=[("deal", deal.id), ("contact", contact.id)]
    )
    db.session.add_all(
        [
            RecordAssociation(
                account_id=world.account.id,
                from_type="contact",
                from_id=contact.id,
                to_type="deal",
                to_id=deal.id,
            ),
            Pin(
                account_id=world.account.id,
                record_type="deal",
                record_id=deal.id,
                activity_id=activity.id,
            ),
        ]
    )
    db.session.commit()
    assert api.delete(f"/deals/{deal.id}").status_code == 204
    left = db.session.scalars(db.select(ActivityAssociation)).all()
    assert [(a.record_type, a.record_id) for a in left] == [("contact", contact.id)]
    assert db.session.scalars(db.select(RecordAssociation)).all() == []
    assert db.session.scalars(db.select(Pin)).all() == []


RESOURCE_PATHS = ["contacts", "companies", "deals", "tickets", "pipelines", "users"]


def other_accounts_records(world: factories.World) -> dict[str, int]:
    """One record of each resource in the second account."""
    other = world.other_account
    return {
        "contacts": factories.make_contact(other, "secret@globex.example").id,
        "companies": factories.make_company(other, "Globex", "globex.example").id,
        "deals": factories.make_deal(other, "Globex deal").id,
        "tickets": factories.make_ticket(other, "Globex ticket").id,
        "pipelines": factories.pipeline_of(other, "deal").id,
        "users": world.other_admin.id,
    }


@pytest.mark.parametrize("resource", RESOURCE_PATHS)
def test_other_accounts_records_are_not_found(api, world, resource):
    record_id = other_accounts_records(world)[resource]
    assert_error(api.get(f"/{resource}/{record_id}"), 404, "not_found")
    assert_error(api.patch(f"/{resource}/{record_id}", {}), 404, "not_found")
    assert_error(api.delete(f"/{resource}/{record_id}"), 404, "not_found")
    listed = api.get(f"/{resource}?limit=200").json["items"]
    assert record_id not in [item["id"] for item in listed]


def test_references_to_other_accounts_are_refused(api, world):
    records = other_accounts_records(world)
    response = api.post(
        "/contacts", {"email": "x@acme.example", "company_id": records["companies"]}
    )
    assert "company_id" in assert_error(response, 422, "validation_failed")["details"]["fields"]
    response = api.post("/deals", {"name": "Sneaky", "pipeline_id": records["pipelines"]})
    assert "pipeline_id" in assert_error(response, 422, "validation_failed")["details"]["fields"]
