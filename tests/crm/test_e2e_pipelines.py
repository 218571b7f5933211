"""Pipelines in Chromium against a live server: deleting a stage that holds deals, and the form a
stage's required properties put between a deal and the stage."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.browser import app  # noqa: F401 - the live server's app, on SQLite
from tests.factories import PASSWORD, make_deal, make_ticket, pipeline_of
from tracklog.extensions import db
from tracklog.models import Deal, Ticket

TIMEOUT_MS = 10000


@pytest.fixture
def page(browser: Any, live: Any, world: Any) -> Iterator[Any]:
    """A page signed in as Alice (an admin) through the sign-in form."""
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    signed_in = context.new_page()
    signed_in.goto(f"{live.url}/sign-in")
    signed_in.get_by_label("Email").fill(world.admin.email)
    signed_in.get_by_label("Password").fill(PASSWORD)
    signed_in.get_by_role("button", name="Sign in").click()
    signed_in.wait_for_url(f"{live.url}/")
    yield signed_in
    context.close()


def column(page: Any, name: str) -> Any:
    """The board column of the stage with this name."""
    return page.locator(f'.board-column[data-stage-name="{name}"]')


def card_names(page: Any, stage: str) -> list[str]:
    """The names on the cards of a board column."""
    return column(page, stage).locator(".card-title").all_inner_texts()


def test_deleting_a_stage_moves_its_deals_first(page, live, world, screenshots):
    for name in ("Initech renewal", "Globex expansion"):
        make_deal(world.account, name, stage_index=2, amount=1000)
    make_deal(world.account, "Umbrella pilot", stage_index=0)
    pipeline = pipeline_of(world.account)
    page.goto(f"{live.url}/settings/pipelines/{pipeline.id}")
    row = page.locator(".stage-row").filter(
        has=page.locator('input[name="name"][value="Presentation scheduled"]')
    )
    row.get_by_role("button", name="Delete").click()
    dialog = page.get_by_role("dialog")
    assert "Delete the stage Presentation scheduled" in dialog.inner_text()
    assert "2 records are in this stage" in dialog.inner_text()
    dialog.get_by_label("Move them to").select_option(label="Qualified to buy")
    screenshots(page, "delete-stage-asks-where")
    dialog.get_by_role("button", name="Move and delete").click()
    row.wait_for(state="detached")
    assert not dialog.is_visible()
    status = page.locator("#settings-status")
    status.filter(has_text="2 records moved to Qualified to buy").wait_for()
    screenshots(page, "delete-stage-done")

    page.goto(f"{live.url}/deals/board")
    assert page.locator(".board-column").count() == 6
    assert column(page, "Presentation scheduled").count() == 0
    assert sorted(card_names(page, "Qualified to buy")) == ["Globex expansion", "Initech renewal"]
    summary = column(page, "Qualified to buy").locator(".column-summary")
    assert summary.get_attribute("data-weighted") == "800.00"

    # The keyboard way: the card's "Move to" menu and its Move button.
    card = page.locator(".board-card", has_text="Umbrella pilot")
    card.get_by_label("Move Umbrella pilot to").select_option(label="Qualified to buy")
    card.get_by_role("button", name="Move").focus()
    page.keyboard.press("Enter")
    column(page, "Qualified to buy").locator(".card-title", has_text="Umbrella pilot").wait_for()
    page.locator("#board-status").filter(has_text="Moved Umbrella pilot").wait_for()
    screenshots(page, "delete-stage-board")
    db.session.expire_all()
    stages = {deal.name: deal.stage.name for deal in db.session.scalars(db.select(Deal))}
    assert set(stages.values()) == {"Qualified to buy"}


def test_a_stage_asks_for_its_required_properties_and_creates_its_task(
    page, live, world, screenshots
):
    deal = make_deal(world.account, "Initech renewal", stage_index=0)
    pipeline = pipeline_of(world.account)
    page.goto(f"{live.url}/settings/pipelines/{pipeline.id}")
    row = page.locator(".stage-row").filter(
        has=page.locator('input[name="name"][value="Contract sent"]')
    )
    row.locator("summary").click()
    row.get_by_label("Amount").check()
    row.get_by_label("Custom properties").fill("decision_maker")
    preview = row.locator(".preview-fields")
    assert preview.locator("label").all_inner_texts() == ["Amount", "decision_maker"]
    row.get_by_role("button", name="Add a task").click()
    row.get_by_label("Task title").fill("Chase the signature")
    row.get_by_label("Due in days").fill("3")
    screenshots(page, "required-properties-settings")
    page.get_by_role("button", name="Save", exact=True).click()
    page.locator("#settings-status").filter(has_text="The pipeline was saved.").wait_for()

    page.goto(f"{live.url}/deals/board")
    page.drag_and_drop(f"#card-{deal.id}", '.board-column[data-stage-name="Contract sent"]')
    dialog = page.get_by_role("dialog")
    dialog.wait_for()
    assert dialog.locator("label").all_inner_texts() == ["Amount", "decision_maker"]
    assert "Initech renewal needs more to enter Contract sent" in dialog.inner_text()
    screenshots(page, "required-properties-prompt")
    dialog.get_by_label("Amount").fill("5000")
    dialog.get_by_label("decision_maker").fill("Bill Lumbergh")
    dialog.get_by_role("button", name="Save and move").click()
    column(page, "Contract sent").locator(f"#card-{deal.id}").wait_for()
    page.locator("#board-tasks li", has_text="Chase the signature").wait_for()
    summary = column(page, "Contract sent").locator(".column-summary")
    summary.filter(has_text="4,500.00").wait_for()
    screenshots(page, "required-properties-moved")
    db.session.expire_all()
    moved = db.session.get(Deal, deal.id)
    assert moved.stage.name == "Contract sent" and moved.amount == 5000
    assert moved.properties == {"decision_maker": "Bill Lumbergh"}

    page.goto(f"{live.url}/tasks")
    task_row = page.locator("tr", has_text="Chase the signature")
    assert task_row.get_by_role("link", name="Initech renewal").get_attribute("href") == (
        f"/deals/{deal.id}"
    )
    screenshots(page, "required-properties-task")
    task_row.get_by_label("Done: Chase the signature").check()
    page.locator("#tasks-status").filter(has_text="Marked Chase the signature as done.").wait_for()
    page.reload()
    assert page.locator("tr", has_text="Chase the signature").count() == 0


def test_stages_are_renamed_reordered_added_and_saved_from_the_keyboard(
    page, live, world, screenshots
):
    pipeline = pipeline_of(world.account)
    page.goto(f"{live.url}/settings/pipelines/{pipeline.id}")
    rows = page.locator(".stage-list > .stage-row")
    rows.nth(0).get_by_label("Stage name").fill("Demo booked")
    rows.nth(2).get_by_role("button", name="Move up").focus()
    page.keyboard.press("Enter")
    focused = page.evaluate("document.activeElement.closest('.stage-row').dataset.key")
    assert focused == rows.nth(1).get_attribute("data-key")
    page.locator("#settings-status").filter(has_text="position 2 of 7").wait_for()
    page.get_by_role("button", name="Add a stage").click()
    added = page.locator(".stage-list > .stage-row").nth(5)
    assert page.evaluate("document.activeElement.id") == added.get_by_label(
        "Stage name"
    ).get_attribute("id")
    page.keyboard.type("Legal review")
    added.get_by_label("Probability (%)").fill("95")
    rows.nth(4).get_by_label("Probability (%)").fill("150")
    page.get_by_role("button", name="Save", exact=True).click()
    errors = page.locator("#settings-errors")
    errors.filter(has_text="Stage 5 (Contract sent)").wait_for()
    assert rows.nth(4).get_by_label("Probability (%)").get_attribute("aria-invalid") == "true"
    screenshots(page, "settings-validation")
    rows.nth(4).get_by_label("Probability (%)").fill("92")
    page.get_by_role("button", name="Save", exact=True).click()
    page.locator("#settings-status").filter(has_text="The pipeline was saved.").wait_for()
    db.session.expire_all()
    saved = db.session.get(type(pipeline), pipeline.id)
    assert [(s.name, s.probability) for s in saved.stages] == [
        ("Demo booked", 20),
        ("Presentation scheduled", 60),
        ("Qualified to buy", 40),
        ("Decision maker bought-in", 80),
        ("Contract sent", 92),
        ("Legal review", 95),
        ("Closed won", 100),
        ("Closed lost", 0),
    ]
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live.url}/deals/board")
    screenshots(page, "board-narrow")


def test_tickets_move_between_statuses_on_their_own_board(page, live, world, screenshots):
    ticket = make_ticket(world.account, "Printer on fire", stage_index=0)
    page.goto(f"{live.url}/tickets/board")
    assert page.locator(".board-column h2").all_inner_texts() == [
        "New",
        "Waiting on contact",
        "Waiting on us",
        "Closed",
    ]
    page.drag_and_drop(f"#card-{ticket.id}", '.board-column[data-stage-name="Waiting on us"]')
    column(page, "Waiting on us").locator(f"#card-{ticket.id}").wait_for()
    column(page, "Waiting on us").locator(".column-summary", has_text="1 ticket").wait_for()
    screenshots(page, "ticket-board")
    db.session.expire_all()
    assert db.session.get(Ticket, ticket.id).stage.name == "Waiting on us"
