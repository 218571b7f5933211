"""The tracking rules page in Chromium, in English, Japanese and Swedish: an admin adds a rule for
their mail gateway (after a refused one), and classifying the stored hits again turns an open
recorded as a person's into a proxy's."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.browser import app  # noqa: F401 - the live server's app, on SQLite
from tests.crm.test_e2e_timeline import app_config  # noqa: F401
from tests.factories import ApiClient
from tests.tracking.helpers import compose
from tracklog.extensions import db
from tracklog.models import EngagementEvent, TrackingRule
from tracklog.tracking.hits import hit_journal

GATEWAY = "Mozilla/5.0 (Windows NT 10.0) AcmeMailGateway/2.1"
HEADING = {"en": "Tracking rules", "ja": "追跡ルール", "sv": "Spårningsregler"}
ADDED = {
    "en": "The rule was added.",
    "ja": "ルールを追加しました。",
    "sv": "Regeln lades till.",
}
RESULT = {
    "en": "Hits examined: 1. Changed: 1.",
    "ja": "確認したアクセス：1件。変更：1件。",
    "sv": "Granskade träffar: 1. Ändrade: 1.",
}


@pytest.mark.parametrize("locale", ["en", "ja", "sv"])
def test_an_admin_adds_a_rule_and_classifies_the_stored_hits_again(
    app: Any,  # noqa: F811 - the fixture imported above
    sign_in_as: Any,
    live: Any,
    world: Any,
    screenshots: Any,
    locale: str,
) -> None:
    world.admin.locale = locale
    db.session.commit()
    sent = compose(ApiClient(app.test_client(), world.admin_token), ["peter@initech.example"])
    [pixel] = re.findall(r'src="[^"]*(/t/o/[^"]+\.gif)"', sent["html"])
    app.test_client().get(
        pixel,
        headers={"User-Agent": GATEWAY},
        environ_base={"REMOTE_ADDR": "81.2.69.142"},
    )
    hit_journal(app).record_pending()
    assert db.session.scalars(db.select(EngagementEvent.classification)).all() == ["human"]

    page = sign_in_as(world.admin.email)
    page.goto(f"{live.url}/settings")
    page.click(".settings-nav a[href='/settings/tracking-rules']")
    assert page.inner_text("h1") == HEADING[locale]
    page.select_option("#input-classification", "proxy")
    page.fill("#input-ip_networks", "10.0.0.0/33")
    page.fill("#input-note", "Our mail gateway fetches images when a mail is opened.")
    page.click("#add-tracking-rule button[type=submit]")
    page.wait_for_selector("#rule-ip_networks .flash-error")
    assert "10.0.0.0/33" in page.inner_text("#rule-ip_networks .flash-error")
    page.fill("#input-ip_networks", "")
    page.fill("#input-user_agent_contains", "AcmeMailGateway")
    page.click("#add-tracking-rule button[type=submit]")
    page.wait_for_selector(".flash-info")
    assert ADDED[locale] in page.inner_text(".flash-info")
    assert "AcmeMailGateway" in page.inner_text("#tracking-rules-own")
    assert world.admin.email in page.inner_text("#tracking-rules-own")

    page.click("#reclassify button[type=submit]")
    page.wait_for_selector("#reclassified")
    assert RESULT[locale] in page.inner_text("#reclassified")
    screenshots(page, f"settings-tracking-rules-{locale}")
    db.session.expire_all()
    assert db.session.scalars(db.select(EngagementEvent.classification)).all() == ["proxy"]
    [rule] = db.session.scalars(db.select(TrackingRule)).all()
    assert rule.added_by_id == world.admin.id
