"""The deal and ticket boards and the pipeline settings, as pages and services."""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal

import pytest

from tests import factories
from tests.api.test_records import assert_error
from tracklog.crm.board import board_columns, create_pipeline, delete_stage, move_stage_records
from tracklog.errors import Forbidden, ValidationFailed
from tracklog.extensions import db
from tracklog.models import Deal, Pipeline, Stage, Task


def sign_in(client, user) -> None:
    """Sign the browser-like client in with the user's password."""
    response = client.post("/sign-in", data={"email": user.email, "password": factories.PASSWORD})
    assert response.status_code == 302


def csrf_token(client) -> str:
    """The CSRF token a page gives its scripts for calls to /api/v1."""
    page = client.get("/tasks").get_data(as_text=True)
    return re.search(r'<meta name="csrf-token" content="([^"]+)"', page).group(1)


def session_api(client, method: str, path: str, json=None):
    """Call /api/v1 the way tracklog's pages do: session cookie plus X-CSRFToken."""
    return client.open(
        f"/api/v1{path}", method=method, json=json, headers={"X-CSRFToken": csrf_token(client)}
    )


def stage_named(account, name: str, object_type: str = "deal") -> Stage:
    """A stage of the account's default pipeline by name."""
    pipeline = factories.pipeline_of(account, object_type)
    return next(stage for stage in pipeline.stages if stage.name == name)


def summary_of(html: str, stage: Stage) -> dict[str, str]:
    """The data attributes of a board column's summary."""
    column = html[html.index(f'id="column-{stage.id}"') :]
    tag = re.search(r'<p class="column-summary"([^>]*)>', column).group(1)
    return dict(re.findall(r'data-(\w+)="([^"]*)"', tag))


def test_board_shows_each_stage_with_its_count_total_and_weighted_amount(client, world):
    factories.make_deal(world.account, "Initech renewal", 0, amount=Decimal("1000"))
    factories.make_deal(world.account, "Initech add-on", 0, amount=Decimal("500.50"))
    factories.make_deal(world.account, "No amount yet", 0)
    factories.make_deal(world.account, "Globex pilot", 2, amount=Decimal("250"))
    factories.make_deal(world.other_account, "Not ours", 0, amount=Decimal("99999"))
    sign_in(client, world.user)
    html = client.get("/deals/board").get_data(as_text=True)
    first = stage_named(world.account, "Appointment scheduled")
    third = stage_named(world.account, "Presentation scheduled")
    assert summary_of(html, first) == {"count": "3", "total": "1500.50", "weighted": "300.10"}
    assert summary_of(html, third) == {"count": "1", "total": "250.00", "weighted": "150.00"}
    assert "Total $1,500.50" in html and "Weighted (20 %) $300.10" in html
    assert html.count('class="board-column"') == 7
    assert "Not ours" not in html
    assert 'aria-current="page">Board</a>' in html and 'href="/deals"' in html
    assert 'for="move-' in html and "Move Initech renewal to" in html


def test_board_columns_service_weighs_amounts_by_probability(app, world):
    factories.make_deal(world.account, "Won", 5, amount=Decimal("120.00"))
    factories.make_deal(world.account, "Lost", 6, amount=Decimal("80.00"))
    factories.make_deal(world.account, "Sent", 4, amount=Decimal("33.33"))
    columns = board_columns(factories.pipeline_of(world.account))
    by_name = {column.stage.name: column for column in columns}
    assert by_name["Closed won"].weighted == Decimal("120.00")
    assert by_name["Closed lost"].weighted == Decimal("0.00")
    assert by_name["Contract sent"].weighted == Decimal("30.00")
    assert [column.stage.name for column in columns][:2] == [
        "Appointment scheduled",
        "Qualified to buy",
    ]


def test_ticket_board_shows_statuses_without_amounts(client, world):
    factories.make_ticket(world.account, "Printer on fire", 1)
    sign_in(client, world.user)
    html = client.get("/tickets/board").get_data(as_text=True)
    names = re.findall(r'<h2 id="stage-\d+-title">([^<]+)</h2>', html)
    assert names == ["New", "Waiting on contact", "Waiting on us", "Closed"]
    assert "Printer on fire" in html and "/api/v1/tickets/" in html
    waiting = stage_named(world.account, "Waiting on contact", "ticket")
    assert summary_of(html, waiting) == {"count": "1"}
    assert "Weighted" not in html and 'href="/tickets"' in html


def test_several_pipelines_switch_and_other_accounts_pipelines_are_not_found(client, world):
    second = create_pipeline(world.admin, "Partners", "deal")
    sign_in(client, world.user)
    html = client.get(f"/deals/board/{second.id}").get_data(as_text=True)
    assert "Partners" in html and 'aria-label="Pipelines"' in html
    assert f'href="/deals/board/{second.id}" aria-current="page"' in html
    other = factories.pipeline_of(world.other_account)
    tickets = factories.pipeline_of(world.account, "ticket")
    assert client.get(f"/deals/board/{other.id}").status_code == 404
    assert client.get(f"/deals/board/{tickets.id}").status_code == 404
    assert client.get(f"/settings/pipelines/{other.id}").status_code == 404
    deleted = client.post(
        f"/settings/pipelines/{other.id}/stages/{other.stages[0].id}/delete", json={}
    )
    assert deleted.status_code == 404


def test_moving_a_stages_deals_then_deleting_the_stage(client, world):
    presentation = stage_named(world.account, "Presentation scheduled")
    qualified = stage_named(world.account, "Qualified to buy")
    presentation.tasks = []
    qualified.required_properties = ["amount"]
    qualified.tasks = [{"title": "Call back", "due_in_days": 1}]
    db.session.commit()
    deals = [factories.make_deal(world.account, f"Deal {n}", 2).id for n in range(3)]
    earlier = Task(account_id=world.account.id, title="Earlier", stage_id=presentation.id)
    db.session.add(earlier)
    db.session.commit()
    earlier_id = earlier.id
    kept = factories.make_deal(world.account, "Elsewhere", 0).id
    pipeline = factories.pipeline_of(world.account)
    sign_in(client, world.admin)
    url = f"/settings/pipelines/{pipeline.id}/stages/{presentation.id}/delete"

    assert_error(client.post(url, json={}), 422, "validation_failed")
    other_stage = factories.pipeline_of(world.other_account).stages[0]
    assert_error(client.post(url, json={"move_to": other_stage.id}), 422, "validation_failed")
    assert_error(client.post(url, json={"move_to": presentation.id}), 422, "validation_failed")
    response = client.post(url, json={"move_to": qualified.id})
    assert response.status_code == 200, response.json
    assert response.json["moved"] == 3
    assert response.json["counts"][str(qualified.id)] == 3

    db.session.expire_all()
    stages = db.session.scalars(
        db.select(Stage).where(Stage.pipeline_id == pipeline.id).order_by(Stage.order)
    ).all()
    assert [stage.order for stage in stages] == list(range(6))
    assert "Presentation scheduled" not in [stage.name for stage in stages]
    assert {db.session.get(Deal, deal_id).stage_id for deal_id in deals} == {qualified.id}
    assert db.session.get(Deal, kept).stage.name == "Appointment scheduled"
    # An admin's reorganisation: no required-property check and no stage tasks.
    [task] = db.session.scalars(db.select(Task)).all()
    assert task.id == earlier_id and task.stage_id is None
    html = client.get(f"/settings/pipelines/{pipeline.id}").get_data(as_text=True)
    assert "3 records in this stage" in html


def test_move_stage_records_refuses_a_stage_of_another_pipeline(app, world):
    pipeline = factories.pipeline_of(world.account)
    tickets = factories.pipeline_of(world.account, "ticket")
    with pytest.raises(ValidationFailed):
        move_stage_records(pipeline, pipeline.stages[0], tickets.stages[0])
    with pytest.raises(Forbidden):
        delete_stage(world.user, pipeline, pipeline.stages[0].id, pipeline.stages[1].id)
    only = create_pipeline(world.admin, "Tiny", "ticket")
    for stage in only.stages[1:]:
        delete_stage(world.admin, only, stage.id, None)
    with pytest.raises(ValidationFailed):
        delete_stage(world.admin, only, only.stages[0].id, None)


def test_pipeline_settings_save_renames_reorders_adds_and_sets_probability(client, world):
    pipeline = factories.pipeline_of(world.account)
    sign_in(client, world.admin)
    html = client.get(f"/settings/pipelines/{pipeline.id}").get_data(as_text=True)
    assert 'id="pipeline-form"' in html and f'data-api="/api/v1/pipelines/{pipeline.id}"' in html
    assert html.count('class="stage-row"') == 7 + 1  # the seven stages and the template
    stages = [
        {"id": s.id, "name": s.name, "probability": s.probability, "kind": s.kind}
        for s in pipeline.stages
    ]
    stages[0]["name"] = "Demo booked"
    stages[1], stages[2] = stages[2], stages[1]
    stages[3]["probability"] = 75
    stages.insert(5, {"name": "Legal review", "probability": 95, "kind": "open"})
    stages[5]["required_properties"] = ["amount", "legal_contact"]
    stages[5]["tasks"] = [{"title": "Send to legal", "due_in_days": 2}]
    response = session_api(
        client, "PATCH", f"/pipelines/{pipeline.id}", {"name": "New sales", "stages": stages}
    )
    assert response.status_code == 200, response.json
    saved = response.json["stages"]
    assert [s["name"] for s in saved] == [
        "Demo booked",
        "Presentation scheduled",
        "Qualified to buy",
        "Decision maker bought-in",
        "Contract sent",
        "Legal review",
        "Closed won",
        "Closed lost",
    ]
    assert saved[3]["probability"] == 75 and saved[5]["tasks"][0]["title"] == "Send to legal"
    html = client.get(f"/settings/pipelines/{pipeline.id}").get_data(as_text=True)
    assert 'value="Demo booked"' in html and 'value="New sales"' in html
    assert html.index('value="Presentation scheduled"') < html.index('value="Qualified to buy"')
    assert 'value="Send to legal"' in html and 'value="legal_contact"' in html

    bad = [dict(stage) for stage in saved]
    bad[2]["probability"] = 150
    response = session_api(client, "PATCH", f"/pipelines/{pipeline.id}", {"stages": bad})
    assert_error(response, 422, "validation_failed")
    assert "stages[2].probability" in response.json["error"]["details"]["fields"]
    bad[2]["probability"] = 40
    bad[0]["tasks"] = [{"title": "", "due_in_days": 2}]
    response = session_api(client, "PATCH", f"/pipelines/{pipeline.id}", {"stages": bad})
    assert "stages[0].tasks[0]" in response.json["error"]["details"]["fields"]


def test_non_admins_see_pipelines_read_only_and_cannot_change_them(client, world):
    pipeline = factories.pipeline_of(world.account)
    stage = pipeline.stages[0]
    sign_in(client, world.user)
    html = client.get(f"/settings/pipelines/{pipeline.id}").get_data(as_text=True)
    assert 'id="pipeline-form"' not in html
    assert "Only an admin of the account can change pipelines." in html
    assert "<td>Appointment scheduled</td>" in html
    stages = [{"id": s.id, "name": "x"} for s in pipeline.stages]
    response = session_api(client, "PATCH", f"/pipelines/{pipeline.id}", {"stages": stages})
    assert_error(response, 403, "forbidden")
    url = f"/settings/pipelines/{pipeline.id}/stages/{stage.id}/delete"
    assert_error(client.post(url, json={"move_to": pipeline.stages[1].id}), 403, "forbidden")
    assert client.post(
        "/settings/pipelines", data={"name": "Mine", "object": "deal"}
    ).status_code == (403)
    assert "New pipeline" not in client.get("/settings/pipelines").get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Stage, stage.id).name == "Appointment scheduled"
    assert db.session.scalar(db.select(db.func.count()).select_from(Pipeline)) == 4


def test_admin_creates_a_pipeline_with_the_default_stages_of_its_kind(client, world):
    sign_in(client, world.admin)
    response = client.post("/settings/pipelines", data={"name": "Escalations", "object": "ticket"})
    assert response.status_code == 302
    created = db.session.scalar(db.select(Pipeline).filter_by(name="Escalations"))
    assert response.headers["Location"].endswith(f"/settings/pipelines/{created.id}")
    assert created.object == "ticket" and created.account_id == world.account.id
    assert [stage.name for stage in created.stages] == [
        "New",
        "Waiting on contact",
        "Waiting on us",
        "Closed",
    ]
    html = client.get("/settings/pipelines").get_data(as_text=True)
    assert "Escalations" in html and "Support Pipeline" in html and "Sales Pipeline" in html
    empty = client.post("/settings/pipelines", data={"name": "", "object": "deal"})
    assert empty.status_code == 200 and 'aria-invalid="true"' in empty.get_data(as_text=True)


def test_required_properties_preview_shows_the_form_a_move_will_ask_for(client, world):
    contract = stage_named(world.account, "Contract sent")
    contract.required_properties = ["amount", "owner_id", "decision_maker"]
    db.session.commit()
    sign_in(client, world.admin)
    html = client.get(f"/settings/pipelines/{contract.pipeline_id}").get_data(as_text=True)
    row = html[html.index(f'data-stage-id="{contract.id}"') :]
    preview = row[row.index('class="preview-fields"') : row.index("</section>")]
    labels = re.findall(r"<label for=\"preview-[^\"]+\">([^<]+)</label>", preview)
    assert labels == ["Amount", "Owner", "decision_maker"]
    assert 'type="number"' in preview and 'name="decision_maker" type="text"' in preview
    assert "alice" in preview and "bob" in preview and "hank" not in preview
    assert re.search(r'value="amount"\s+checked', row) and 'value="decision_maker"' in row
    first = html[html.index('data-stage-id="') :]
    assert "Nothing is asked" in first[: first.index("</li>")]
    board = client.get("/deals/board").get_data(as_text=True)
    assert "Needs: Amount, Owner, decision_maker" in board


@pytest.mark.parametrize("locale", ["ja", "sv"])
def test_boards_settings_and_tasks_are_in_the_users_language(client, world, locale):
    world.admin.locale = locale
    db.session.commit()
    factories.make_deal(world.account, "Initech renewal", 0, amount=Decimal("1234.5"))
    deals = factories.pipeline_of(world.account)
    tickets = factories.pipeline_of(world.account, "ticket")
    sign_in(client, world.admin)
    for path in (
        "/deals/board",
        "/tickets/board",
        "/settings/pipelines",
        f"/settings/pipelines/{deals.id}",
        f"/settings/pipelines/{tickets.id}",
        "/tasks",
    ):
        response = client.get(path)
        assert response.status_code == 200, path
        assert f'<html lang="{locale}"' in response.get_data(as_text=True)
    board = client.get("/deals/board").get_data(as_text=True)
    assert {"ja": "$1,234.50", "sv": "1\u00a0234,50\u00a0US$"}[locale] in board


def test_deleting_a_stage_needs_the_pages_csrf_token(app, client, world):
    pipeline = factories.pipeline_of(world.account)
    first, second = pipeline.stages[0].id, pipeline.stages[1].id
    sign_in(client, world.admin)
    app.config["WTF_CSRF_ENABLED"] = True
    url = f"/settings/pipelines/{pipeline.id}/stages/{first}/delete"
    assert client.post(url, json={"move_to": second}).status_code == 400
    assert db.session.get(Stage, first) is not None
    headers = {"X-CSRFToken": csrf_token(client)}
    assert client.post(url, json={"move_to": second}, headers=headers).status_code == 200
    db.session.expire_all()
    assert db.session.get(Stage, first) is None


def test_deal_and_ticket_lists_link_to_their_boards(client, world):
    client.post(
        "/sign-in", data={"email": "alice@acme.example", "password": "correct horse battery"}
    )
    for path, board in (("/deals", "/deals/board"), ("/tickets", "/tickets/board")):
        page = client.get(path).get_data(as_text=True)
        assert f'href="{board}"' in page and 'aria-current="page">List' in page.replace("\n", "")


HUBSPOT_JAPANESE_STAGES = [
    ("アポイントメント獲得", 20),
    ("購入見込みあり", 40),
    ("プレゼンテーション予定設定済み", 60),
    ("意思決定者の賛同", 80),
    ("契約書送付済み", 90),
    ("クローズ済みの獲得商談", 100),
    ("クローズ済みの失敗商談", 0),
]


def test_the_default_stages_read_as_japanese_hubspot_users_know_them(client, api, world):
    world.admin.locale = "ja"
    db.session.commit()
    deal = factories.make_deal(world.account, "Initech renewal", 5)
    sign_in(client, world.admin)

    board = client.get("/deals/board").get_data(as_text=True)
    record = client.get(f"/deals/{deal.id}").get_data(as_text=True)
    listing = client.get("/deals").get_data(as_text=True)
    [sales] = [p for p in api.get("/pipelines").json["items"] if p["object"] == "deal"]

    assert all(name in board for name, _probability in HUBSPOT_JAPANESE_STAGES)
    assert "クローズ済みの獲得商談" in record and "Closed won" not in record
    assert "クローズ済みの獲得商談" in listing and "Closed won" not in listing
    assert [(s["label"], s["probability"]) for s in sales["stages"]] == HUBSPOT_JAPANESE_STAGES
    assert sales["stages"][0]["name"] == "Appointment scheduled"


def test_board_filters_by_owner_and_close_date_and_offers_a_new_deal_per_column(client, world):
    today = date.today()
    factories.make_deal(world.account, "Mine soon", 0, owner_id=world.user.id, close_date=today)
    factories.make_deal(
        world.account, "Mine late", 0, owner_id=world.user.id, close_date=today - timedelta(days=3)
    )
    factories.make_deal(world.account, "Admin deal", 0, owner_id=world.admin.id, close_date=today)
    factories.make_deal(world.account, "Unowned deal", 1)
    sign_in(client, world.user)
    mine = client.get("/deals/board?owner=me").get_data(as_text=True)
    assert "Mine soon" in mine and "Mine late" in mine and "Admin deal" not in mine
    late = client.get("/deals/board?owner=me&close=overdue").get_data(as_text=True)
    assert "Mine late" in late and "Mine soon" not in late
    nobody = client.get("/deals/board?owner=none&close=bogus").get_data(as_text=True)
    assert "Unowned deal" in nobody and "Mine soon" not in nobody
    first = stage_named(world.account, "Appointment scheduled")
    pipeline = factories.pipeline_of(world.account)
    new_in_first = f"/deals/new?pipeline_id={pipeline.id}&amp;stage_id={first.id}"
    assert new_in_first in mine and mine.count('class="button subtle small add-card"') == 7
    form = client.get(new_in_first.replace("&amp;", "&")).get_data(as_text=True)
    assert f'<option value="{first.id}" selected>' in form


def test_built_in_pipeline_names_are_translated_like_their_stages(client, world):
    sign_in(client, world.user)
    html = client.get("/deals/board?lang=ja").get_data(as_text=True)
    assert "セールスパイプライン" in html and "アポイントメント獲得" in html
