"""/api/v1/webhooks: admins only, tenant-scoped, the secret shown once, URLs checked, audited."""

from __future__ import annotations

import pytest

from tracklog.extensions import db
from tracklog.models import AuditEntry

REFUSED_URLS = [
    "http://hooks.example.com/tracklog",
    "https://127.0.0.1/hook",
    "https://10.1.2.3/hook",
    "https://192.168.1.10/hook",
    "https://169.254.169.254/latest/meta-data",
    "https://[::1]/hook",
    "https://[::ffff:127.0.0.1]/hook",
    "https://[fe80::1]/hook",
    "https://0.0.0.0/hook",
    "https://224.0.0.1/hook",
    "https://localhost/hook",
    "https://user:pass@8.8.8.8/hook",
    "ftp://8.8.8.8/hook",
    "not a url",
    "https://exa\x00mple.com/hook",
    "https://8.8.8.8:99999/hook",
]


@pytest.fixture
def app_config(app_config):
    """The installation's rule as shipped: https on public addresses only."""
    return {**app_config, "WEBHOOK_ALLOW_HTTP": False}


@pytest.mark.parametrize("url", REFUSED_URLS)
def test_private_loopback_and_http_urls_are_refused(api, url):
    answer = api.post("/webhooks", {"url": url, "events": ["open"]})
    assert answer.status_code == 422, answer.json
    assert "url" in answer.json["error"]["details"]["fields"]


def test_a_public_address_is_accepted_and_its_secret_shown_once(api, world):
    created = api.post("/webhooks", {"url": "https://8.8.8.8/hook", "events": ["open", "reply"]})
    assert created.status_code == 201, created.json
    assert created.json["secret"] and created.json["events"] == ["open", "reply"]
    listed = api.get("/webhooks").json["items"]
    assert [item["url"] for item in listed] == ["https://8.8.8.8/hook"]
    assert "secret" not in listed[0] and listed[0]["created_by"] == world.admin.id


@pytest.mark.parametrize("events", [[], ["opened"], "open", None, ["open", 3]])
def test_unknown_events_are_named(api, events):
    answer = api.post("/webhooks", {"url": "https://8.8.8.8/hook", "events": events})
    assert answer.status_code == 422
    assert "events" in answer.json["error"]["details"]["fields"]


def test_only_admins_manage_webhooks(api, world):
    created = api.post("/webhooks", {"url": "https://8.8.8.8/hook", "events": ["*"]}).json
    as_user = api.as_token(world.user_token)
    assert as_user.get("/webhooks").status_code == 403
    assert (
        as_user.post("/webhooks", {"url": "https://8.8.8.8/", "events": ["*"]}).status_code == 403
    )
    assert as_user.delete(f"/webhooks/{created['id']}").status_code == 403
    assert as_user.get(f"/webhooks/{created['id']}/deliveries").status_code == 403


def test_another_accounts_webhook_is_not_found(api, world):
    theirs = api.as_token(world.other_token).post(
        "/webhooks", {"url": "https://8.8.8.8/hook", "events": ["*"]}
    )
    assert theirs.status_code == 201
    webhook_id = theirs.json["id"]
    assert api.get(f"/webhooks/{webhook_id}/deliveries").status_code == 404
    assert api.delete(f"/webhooks/{webhook_id}").status_code == 404
    assert api.get("/webhooks").json["items"] == []


def test_adding_and_deleting_are_audited_without_the_secret(api):
    created = api.post("/webhooks", {"url": "https://8.8.8.8/hook", "events": ["*"]}).json
    assert api.delete(f"/webhooks/{created['id']}").status_code == 204
    query = db.select(AuditEntry).where(AuditEntry.action.like("webhook%"))
    entries = db.session.scalars(query.order_by(AuditEntry.id)).all()
    assert [entry.action for entry in entries] == ["webhook_created", "webhook_deleted"]
    assert entries[0].target_type == "webhook" and entries[0].target_id == created["id"]
    assert created["secret"] not in str([entry.changes for entry in entries])
