"""The read pane's mailbox card in Chromium against a live server: offered where the server has an
Entra app, showing a connected mailbox, and the server's reason when it cannot connect one."""

from __future__ import annotations

from typing import Any

from tests.addin.test_pane_e2e import READ, READ_OFFICE, TIMEOUT_MS, ready
from tracklog.extensions import db
from tracklog.mailbox.connections import connect

ENTRA_APP = {"ENTRA_CLIENT_ID": "c6c1f32b-5e55-4997-881a-753cc1d563b7", "ENTRA_CLIENT_SECRET": "s"}


def test_the_mailbox_card_is_offered_only_with_an_entra_app(open_pane, app, world):
    page = ready(open_pane(READ, READ_OFFICE, world.admin_token))
    assert page.is_hidden("#mailbox")
    app.config.update(ENTRA_APP)
    page = ready(open_pane(READ, READ_OFFICE, world.admin_token))
    assert "Connect your Microsoft 365 mailbox" in page.inner_text("#mailbox-state")
    # Without Outlook's single sign-on the pane holds a personal token: the server says why not.
    page.click("#mailbox-button")
    error = page.wait_for_selector("#error:not([hidden])", timeout=TIMEOUT_MS)
    assert "Settings → Mailbox" in error.inner_text()


def test_a_connected_mailbox_is_shown_without_the_button(open_pane, app, world: Any):
    app.config.update(ENTRA_APP)
    connect(world.admin, "graph", "alice@acme.example", b"{}")
    db.session.commit()
    page = ready(open_pane(READ, READ_OFFICE, world.admin_token))
    assert "Connected: alice@acme.example" in page.inner_text("#mailbox-state")
    assert page.is_hidden("#mailbox-button")
