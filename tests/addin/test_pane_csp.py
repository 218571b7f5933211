"""The panes run in Chromium under the add-in's Content-Security-Policy: nothing is refused while
the compose pane prepares a mail or the read pane shows a tracked mail's opens live."""

from __future__ import annotations

from typing import Any

from tests.addin.test_pane_e2e import CUSTOMER, READ, compose_office, ready, tracked_mail_office
from tests.tracking.helpers import compose

TIMEOUT_MS = 10000


def refused(page: Any) -> list[str]:
    """What the policy refused on the page so far."""
    page.wait_for_load_state("networkidle")
    return page.evaluate("window.__violations")


def test_the_compose_pane_runs_under_its_policy(open_pane, world):
    page = ready(open_pane("/taskpane/compose.html", compose_office(), world.admin_token))

    page.wait_for_selector("#recipients li", timeout=TIMEOUT_MS)

    assert refused(page) == []


def test_the_read_pane_runs_under_its_policy_with_its_websocket(open_pane, api, world):
    sent = compose(api, [CUSTOMER])
    office = tracked_mail_office(sent["message_id"])
    page = ready(open_pane(READ, office, world.admin_token))

    page.wait_for_selector("body[data-live=true]", timeout=TIMEOUT_MS)

    assert refused(page) == []
