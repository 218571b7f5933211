"""The webhooks page in Chromium, in English, Japanese and Swedish: an admin adds a webhook and
sees its secret once, then its deliveries with each attempt."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from tests.browser import app, base_url, live, port, screenshots  # noqa: F401
from tests.crm.test_e2e_timeline import app_config  # noqa: F401
from tracklog.extensions import db
from tracklog.models import Webhook, utcnow
from tracklog.webhooks.dispatch import deliver_due
from tracklog.webhooks.outbox import enqueue

SECRET_SHOWN = {
    "en": "Copy its secret now",
    "ja": "シークレットを今すぐコピーしてください",
    "sv": "Kopiera dess hemlighet nu",
}
DELIVERED = {"en": "Delivered", "ja": "配信済み", "sv": "Levererad"}
WAITING = {"en": "Waiting", "ja": "待機中", "sv": "Väntar"}


@pytest.mark.parametrize("locale", ["en", "ja", "sv"])
def test_an_admin_adds_a_webhook_and_reads_its_deliveries(
    sign_in_as: Any,
    live: Any,  # noqa: F811
    world: Any,
    receiver: Any,
    screenshots: Any,  # noqa: F811
    locale: str,
) -> None:
    world.admin.locale = locale
    db.session.commit()
    page = sign_in_as(world.admin.email)
    page.goto(f"{live.url}/settings/webhooks")
    page.fill("#webhook-url", receiver.url)
    page.check("#add-webhook input[value=open]")
    page.click("#add-webhook button[type=submit]")
    page.wait_for_selector("#webhook-secret")
    webhook = db.session.scalar(db.select(Webhook))
    assert SECRET_SHOWN[locale] in page.inner_text("#webhook-secret")
    assert webhook.secret in page.inner_text("#webhook-secret")
    assert receiver.url in page.inner_text("#webhooks")
    screenshots(page, f"webhooks-added-{locale}")

    receiver.statuses.append(500)
    enqueue(world.account.id, "open", utcnow(), {"subject": "Pricing"})
    db.session.commit()
    assert deliver_due() == 1
    page.reload()
    assert webhook.secret not in page.content()  # shown once only
    page.click(f"#webhooks a[href$='/settings/webhooks/{webhook.id}']")
    page.wait_for_selector("#deliveries")
    assert WAITING[locale] in page.inner_text("#deliveries")
    assert "500" in page.inner_text("#deliveries .attempts")
    screenshots(page, f"webhook-deliveries-{locale}")

    assert deliver_due(utcnow() + timedelta(minutes=2)) == 1
    page.reload()
    assert DELIVERED[locale] in page.inner_text("#deliveries")
    assert page.locator("#deliveries .attempts li").count() == 2


def test_a_user_who_is_no_admin_cannot_open_the_page(
    sign_in_as: Any,
    live: Any,  # noqa: F811
    world: Any,
) -> None:
    page = sign_in_as(world.user.email)
    assert page.goto(f"{live.url}/settings/webhooks").status == 403
    page.goto(f"{live.url}/settings/never-log")
    assert page.locator("nav.settings-nav a[href$='/settings/webhooks']").count() == 0
