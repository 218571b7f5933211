"""Every /api/v1 operation, called for real, answers what /openapi.json documents for it."""

from __future__ import annotations

import io
import json
from datetime import timedelta
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker
from werkzeug.test import TestResponse

from tests import factories
from tests.auth.conftest import AUDIENCE, TENANT_ID, entra_settings, idp, idp_server  # noqa: F401
from tests.imap_server import ImapUser
from tests.mailbox.conftest import graph, graph_pane, graph_server  # noqa: F401 - fixtures
from tests.maillog.mail import outgoing, raw
from tests.tracking.conftest import app_config, recipient, record  # noqa: F401
from tests.tracking.helpers import CHROME_WINDOWS, pixel_path, sent_an_hour_ago
from tests.tracking.test_hits import hit
from tracklog.audit.log import record_audit
from tracklog.extensions import db
from tracklog.mailbox.schedule import run_due_syncs
from tracklog.models import Account, Activity, Task, Webhook, utcnow
from tracklog.tracking.reminders import run_due_reminders
from tracklog.webhooks.dispatch import deliver_due

JSON = "application/json"
NOT_CALLED_HINT = "call them in walk_every_operation (tests/api/test_openapi_answers.py)"


class DocumentedApi:
    """Calls /api/v1 and checks each request and answer against the operation's schemas."""

    def __init__(self, app: Any, api: factories.ApiClient) -> None:
        self.api = api
        self.document = app.test_client().get("/openapi.json").json
        self.adapter = app.url_map.bind("tracklog.test")
        self.operations = {
            operation["operationId"]: operation
            for item in self.document["paths"].values()
            for operation in item.values()
        }
        self.called: set[str] = set()

    def schema_check(self, schema: dict[str, Any], value: Any, what: str) -> None:
        """Fail with every place where value breaks schema (refs resolve in the document)."""
        root = {**schema, "components": self.document["components"]}
        validator = Draft202012Validator(root, format_checker=FormatChecker())
        errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(value)]
        assert errors == [], f"{what} breaks its documented schema: {errors}"

    def operation_for(self, method: str, path: str) -> tuple[str, dict[str, Any]]:
        """The documented operation that serves a concrete request."""
        endpoint, _args = self.adapter.match(f"/api/v1{path.split('?')[0]}", method=method)
        for name in (f"{endpoint}_{method.lower()}", endpoint):
            if name in self.operations and self._serves(name, endpoint, method):
                return name, self.operations[name]
        raise AssertionError(f"{method} {path} ({endpoint}) is not documented")

    def _serves(self, name: str, endpoint: str, method: str) -> bool:
        """Whether operationId name is the one for this method of the endpoint."""
        for item in self.document["paths"].values():
            operation = item.get(method.lower())
            if operation and operation["operationId"] == name:
                return name.startswith(endpoint)
        return False

    def call(self, method: str, path: str, json: Any = None, **kwargs: Any) -> TestResponse:
        """One request; its JSON body and its answer must match the documented schemas."""
        name, operation = self.operation_for(method, path)
        if json is not None:
            content = operation["requestBody"]["content"]
            self.schema_check(content[JSON]["schema"], json, f"the request body of {name}")
        response = self.api.call(method, path, json=json, **kwargs)
        status = str(response.status_code)
        assert status.startswith("2"), (name, status, response.get_data(as_text=True))
        documented = operation["responses"].get(status)
        assert documented is not None, f"{name} answered {status}, not documented"
        content = documented.get("content") or {}
        if not content:
            assert response.get_data() == b"", f"{name} answers a body it does not document"
        elif JSON in content:
            self.schema_check(
                content[JSON]["schema"], response.json, f"the {status} answer of {name}"
            )
        else:
            served = {response.mimetype, "*/*"} & set(content)
            assert served, f"{name} answered {response.mimetype}, not documented"
        self.called.add(name)
        return response


def walk_records(api: DocumentedApi, world: factories.World) -> dict[str, int]:
    """Every operation of the six record resources; answers the ids of records that stay."""
    pipeline = factories.pipeline_of(world.account)
    stage = pipeline.stages[0]
    bodies = {
        "companies": ({"name": "Initech", "domain": "initech.example"}, {"name": "Initech AB"}),
        "contacts": ({"email": "peter@initech.example"}, {"first_name": "Peter"}),
        "deals": (
            {"name": "Initech renewal", "pipeline_id": pipeline.id, "stage_id": stage.id},
            {"amount": 1200},
        ),
        "tickets": ({"subject": "Printer on fire"}, {"subject": "Printer still on fire"}),
        "pipelines": ({"name": "Partners", "stages": [{"name": "New"}]}, {"name": "Resellers"}),
        "users": ({"email": "carol@acme.example", "password": "long enough pw"}, {"locale": "sv"}),
    }
    kept = {}
    for resource, (create, change) in bodies.items():
        record_id = api.call("POST", f"/{resource}", create).json["id"]
        api.call("GET", f"/{resource}")
        api.call("GET", f"/{resource}?q=i&limit=1")
        api.call("GET", f"/{resource}/{record_id}")
        api.call("PATCH", f"/{resource}/{record_id}", change)
        api.call("PUT", f"/{resource}/{record_id}", change)
        spare = api.call("POST", f"/{resource}", _another(resource, create)).json["id"]
        api.call("DELETE", f"/{resource}/{spare}")
        kept[resource] = record_id
    return kept


def _another(resource: str, create: dict[str, Any]) -> dict[str, Any]:
    """A second record like create, that does not clash with it."""
    unique = {"contacts": "email", "users": "email", "companies": "name"}.get(resource)
    if unique is None:
        return create
    return {**create, unique: "spare-" + create[unique]}


def walk_mail(api: DocumentedApi, mail_client: Any, record_hits: Any, kept: dict[str, int]) -> str:
    """Compose, tracked hits, messages, attachments, logging, notifications; the message id."""
    draft = {
        "subject": "Pricing",
        "from": "alice@acme.example",
        "to": ["peter@initech.example"],
        "html": '<p>Hi, our <a href="https://initech.example/pricing">pricing</a>.</p>',
        "associations": [{"type": "deal", "id": kept["deals"]}],
        "client": {"host": "outlook-web", "item_id": "draft-1"},
    }
    api.call("POST", "/compose/preview", {**draft, "associations": []})
    composed = api.call("POST", "/compose", draft).json
    message_id = composed["message_id"]
    sent_an_hour_ago(message_id)
    hit(mail_client, pixel_path(composed["html"]), agent=CHROME_WINDOWS)
    record_hits()
    api.call("GET", "/messages?q=Pricing")
    api.call("GET", "/insights?days=7")
    api.call("GET", f"/contacts/{kept['contacts']}/send-time")
    api.call("GET", f"/messages/{message_id}")
    api.call("GET", f"/messages/{message_id}/why")
    api.call("PUT", f"/messages/{message_id}/mute", {"muted": False})
    upload = {"file": (io.BytesIO(b"%PDF-1.4 price list"), "prices.pdf", "application/pdf")}
    attachment = api.call("POST", "/attachments", data={**upload, "message_id": message_id})
    api.call("DELETE", f"/attachments/{attachment.json['id']}")
    reply = outgoing(sender="Peter <peter@initech.example>", to=("alice@acme.example",))
    reply.add_attachment(
        b"%PDF-1.4 signed", maintype="application", subtype="pdf", filename="ok.pdf"
    )
    logged = api.call("POST", "/log", data=raw(reply), content_type="message/rfc822").json
    [attachment] = api.call("GET", f"/records/contact/{kept['contacts']}/timeline").json["items"][
        0
    ]["attachments"]
    api.call("GET", attachment["url"].removeprefix("/api/v1"))
    assert logged["status"] == "logged"
    api.call("GET", "/logging/why?recipient=alice")
    api.call("POST", f"/records/contact/{kept['contacts']}/reassociate")
    walk_reminders(api, message_id)
    notifications = api.call("GET", "/notifications").json
    assert notifications["items"], "the open should have notified"
    api.call("POST", "/notifications/read", {"up_to": notifications["items"][0]["id"]})
    api.call("GET", "/me/notification-preferences")
    quiet = {"start": "22:00", "end": "07:00"}
    api.call("PUT", "/me/notification-preferences", {"opens": "every", "quiet_hours": quiet})
    return message_id


def walk_reminders(api: DocumentedApi, message_id: str) -> None:
    """A reminder that fires (a follow-up notification), the list, one cancelled."""
    reminders = f"/messages/{message_id}/reminders"
    api.call("POST", reminders, {"in_days": 1, "unless": "click"})
    run_due_reminders(utcnow() + timedelta(days=2))
    spare = api.call("POST", reminders, {"due_at": (utcnow() + timedelta(days=3)).isoformat()})
    api.call("GET", reminders)
    api.call("DELETE", f"{reminders}/{spare.json['id']}")


def walk_timeline(api: DocumentedApi, world: factories.World, kept: dict[str, int]) -> None:
    """Notes, timeline, pins, activity associations, filters, record associations, tasks."""
    contact, deal = kept["contacts"], kept["deals"]
    note = api.call("POST", f"/records/contact/{contact}/notes", {"body": "<p>Called.</p>"})
    activity_id = note.json["id"]
    api.call("GET", f"/records/contact/{contact}/timeline?types=email,note")
    api.call("PUT", f"/records/contact/{contact}/pin", {"activity_id": activity_id})
    api.call("DELETE", f"/records/contact/{contact}/pin")
    places = {"associations": [{"type": "contact", "id": contact}, {"type": "deal", "id": deal}]}
    api.call("PUT", f"/activities/{activity_id}/associations", places)
    api.call("GET", f"/records/deal/{deal}/contact-mail")
    api.call("POST", f"/activities/{activity_id}/move", {"from_deal": deal, "to_deal": None})
    api.call("GET", "/timeline-filters/contact")
    api.call("PUT", "/timeline-filters/contact", {"types": ["email", "note"]})
    api.call("DELETE", f"/activities/{activity_id}")
    api.call("POST", f"/records/contact/{contact}/associations", {"type": "deal", "id": deal})
    api.call("GET", f"/records/contact/{contact}/associations")
    api.call("DELETE", f"/records/contact/{contact}/associations/deal/{deal}")
    task = Task(account_id=world.account.id, title="Send the quote", owner_id=world.admin.id)
    db.session.add(task)
    db.session.commit()
    api.call("GET", "/tasks?all=1")
    api.call("PATCH", f"/tasks/{task.id}", {"done": True})
    api.call(
        "POST", f"/records/deal/{deal}/tasks", {"title": "Call back", "due_at": "2027-01-05T09:00"}
    )
    api.call("POST", f"/records/contact/{contact}/calls", {"outcome": "connected"})
    meeting = {"title": "Demo", "starts_at": "2027-01-06T10:00", "ends_at": "2027-01-06T11:00"}
    api.call("POST", f"/records/contact/{contact}/meetings", meeting)


def walk_templates(api: DocumentedApi) -> None:
    """The template library, and a mail composed from a template."""
    body = {"name": "Intro", "subject": "Hello", "html": "<p>Hi</p>", "shared": True}
    template_id = api.call("POST", "/templates", body).json["id"]
    api.call("GET", "/templates")
    api.call("GET", f"/templates/{template_id}")
    api.call("PATCH", f"/templates/{template_id}", {"shared": False})
    draft = {"to": ["peter@initech.example"], "html": "<p>Hi</p>", "template_id": template_id}
    api.call("POST", "/compose", {**draft, "client": {"item_id": "from-template"}})
    api.call("DELETE", f"/templates/{template_id}")


def walk_partners(api: DocumentedApi, world: factories.World) -> None:
    """A partnership between the two accounts, a registration, a conversion, the sync."""
    invited = api.call("POST", "/partnerships", {"note": "Reseller"}).json
    acme = api.api
    api.api = acme.as_token(world.other_token)
    partnership = api.call("POST", "/partnerships/accept", {"invite_code": invited["invite_code"]})
    contact = factories.make_contact(world.other_account, "ceo@initech.example")
    registration = {
        "partnership_id": partnership.json["id"],
        "from": {"type": "contact", "id": contact.id},
        "name": "Initech via Globex",
        "amount": 1000,
    }
    shared = api.call("POST", "/shared-deals", registration).json
    api.call("PATCH", f"/deals/{shared['deal_id']}/shared", {"product_interest": "Widgets"})
    api.call("GET", "/companies?min_active_deal_registrations=1")
    api.api = acme
    api.call("GET", "/partnerships")
    api.call("GET", f"/partnerships/{invited['id']}")
    api.call("PATCH", f"/partnerships/{invited['id']}", {"notify_user_ids": [world.admin.id]})
    api.call("GET", "/shared-deals")
    api.call("GET", f"/shared-deals/{shared['id']}")
    deal = factories.make_deal(world.account, "Renewal")
    share = {"partnership_id": invited["id"], "partner_contact": "hank@globex.example"}
    api.call("POST", f"/deals/{deal.id}/share", {**share, "confirmed": True})
    walk_shared_deal(api, deal.id)
    api.call("POST", f"/partnerships/{invited['id']}/end")


def walk_mailbox(api: DocumentedApi, app: Any, mailbox: ImapUser) -> None:
    """Connect an IMAP mailbox of the test Dovecot, read its status, disconnect it."""
    assert api.call("GET", "/me/mailbox").json["connected"] is False
    app.config["IMAP_CA_BUNDLE"] = str(mailbox.server.ca)
    assert api.call("POST", "/me/mailbox/imap", mailbox.settings()).json["provider"] == "imap"
    assert api.call("DELETE", "/me/mailbox").json["associations_removed"] == 0


def walk_shared_deal(api: DocumentedApi, deal_id: int) -> None:
    """A shared note with a comment and a file, product lines and quotes, the Shared tab."""
    note = api.call("POST", f"/records/deal/{deal_id}/notes", {"body": "Hi", "shared": True}).json
    api.call("PATCH", f"/activities/{note['id']}", {"body": "<p>Hello</p>"})
    comment = api.call("POST", f"/activities/{note['id']}/comments", {"body": "Agreed."}).json
    api.call("GET", f"/activities/{note['id']}/comments")
    upload = {"file": (io.BytesIO(b"quote"), "quote.txt", "text/plain")}
    stored = api.call(
        "POST", f"/activities/{note['id']}/files", data=upload, content_type="multipart/form-data"
    ).json
    api.call("GET", f"/files/{stored['id']}")
    api.call("GET", f"/records/deal/{deal_id}/shared-timeline")
    api.call("DELETE", f"/files/{stored['id']}")
    api.call("DELETE", f"/comments/{comment['id']}")
    line = {"name": "Widgets", "quantity": 2, "unit_price": "10.50", "discount_percent": 5}
    item = api.call("POST", f"/deals/{deal_id}/line-items", line).json
    api.call("PATCH", f"/line-items/{item['id']}", {"quantity": 3})
    api.call("GET", f"/deals/{deal_id}/line-items")
    quote = api.call("POST", f"/deals/{deal_id}/quotes", {"title": "Q-1"}).json
    api.call("PATCH", f"/quotes/{quote['id']}", {"status": "sent", "amount": 30})
    api.call("GET", f"/deals/{deal_id}/quotes")
    api.call("DELETE", f"/quotes/{quote['id']}")
    api.call("DELETE", f"/line-items/{item['id']}")


def walk_settings(api: DocumentedApi) -> None:
    """The account's settings, your own, the never-log lists and the tokens."""
    api.call("GET", "/account/settings")
    api.call("PATCH", "/account/settings", {"currency": "EUR", "tracked_attachment_days": None})
    api.call("GET", "/me/settings")
    assert api.call("PATCH", "/me/settings", {"locale": "sv", "track_by_default": None}).json
    entry = api.call("POST", "/never-log", {"pattern": "initech.example", "scope": "account"}).json
    assert api.call("GET", "/never-log").json["items"]
    api.call("DELETE", f"/never-log/{entry['id']}")
    api.call("GET", "/account/logging-address")
    assert api.call("POST", "/account/logging-address/rotate", {"grace_days": 3}).json["address"]
    newest = api.call("GET", "/tokens").json["items"][0]
    api.call("DELETE", f"/tokens/{newest['id']}")
    rule = api.call(
        "POST",
        "/tracking-rules",
        {"classification": "proxy", "user_agent_contains": "AcmeGateway", "note": "Our gateway."},
    ).json
    assert api.call("GET", "/tracking-rules").json["built_in"]
    assert api.call("POST", "/tracking-rules/reclassify").json["examined"] >= 0
    api.call("DELETE", f"/tracking-rules/{rule['id']}")


def walk_users(api: DocumentedApi) -> None:
    """Invitations and the caller's own addresses."""
    invited = api.call("POST", "/invitations", {"email": "dora@acme.example", "role": "user"})
    assert api.call("GET", "/invitations").json["items"]
    api.call("DELETE", f"/invitations/{invited.json['id']}")
    alias = api.call("POST", "/me/addresses", {"email": "alice.sales@acme.example"}).json
    assert api.call("GET", "/me/addresses").json["items"]
    api.call("DELETE", f"/me/addresses/{alias['id']}")


def walk_webhooks(api: DocumentedApi, webhook_id: int) -> None:
    """The deliveries of the mail walked (each payload as documented, an attempt made), then the
    webhook's deletion."""
    db.session.execute(
        db.update(Webhook).where(Webhook.id == webhook_id).values(url="https://127.0.0.1/")
    )
    db.session.commit()
    assert deliver_due() >= 2  # refused by the URL rule: attempts without any network
    deliveries = api.call("GET", f"/webhooks/{webhook_id}/deliveries").json["items"]
    assert {"open", "logged"} <= {delivery["event"] for delivery in deliveries}
    payload_schema = api.document["components"]["schemas"]["WebhookPayload"]
    for delivery in deliveries:
        assert delivery["attempts"]
        api.schema_check(payload_schema, json.loads(delivery["payload"]), "a webhook payload")
    assert api.call("GET", "/webhooks").json["items"]
    api.call("DELETE", f"/webhooks/{webhook_id}")


def walk_data_rights(api: DocumentedApi) -> None:
    """A contact's legal basis set in bulk, its export, then its erasure."""
    contact = api.call("POST", "/contacts", {"email": "milton@initech.example"}).json["id"]
    api.call("POST", "/contacts/legal-basis", {"ids": [contact], "legal_basis": "consent"})
    api.call("GET", f"/contacts/{contact}/export")
    api.call("POST", f"/contacts/{contact}/erase")


def walk_graph_mailbox(api: DocumentedApi, app: Any, pane: tuple[Any, Any, Any]) -> None:
    """Connecting a Microsoft 365 mailbox from the pane, and replying to a mail it synced."""
    stub, fake, settings = pane
    app.config.update(settings)
    account = db.session.scalar(db.select(Account).filter_by(name="Acme Sales"))
    account.entra_tenant_id = TENANT_ID
    db.session.commit()
    mailbox = fake.mailbox("oid-of-alice", "alice@acme.example")
    token = stub.token(TENANT_ID, AUDIENCE, oid="oid-of-alice", preferred_username=mailbox.address)
    sso = {"Authorization": f"Bearer {token}"}
    assert api.call("POST", "/me/mailbox/graph", headers=sso).json["provider"] == "graph"
    question = outgoing(sender="peter@initech.example", to=(mailbox.address,))
    mailbox.add("inbox", raw(question))
    run_due_syncs()
    logged = db.session.scalar(db.select(Activity).filter_by(message_id=question["Message-ID"]))
    api.call("POST", f"/activities/{logged.id}/reply", {"body": "Yes.", "reply_all": True})


def test_every_operation_answers_what_the_document_says(
    app,
    api,
    world,
    recipient,  # noqa: F811 - the fixtures imported above
    record,  # noqa: F811
    request,
    graph_pane,  # noqa: F811 - the fixture
):
    documented = DocumentedApi(app, api)
    documented.call("GET", "/me")
    documented.call("POST", "/me/addin-token", {"name": "Outlook add-in"})
    kept = walk_records(documented, world)
    webhook = documented.call("POST", "/webhooks", {"url": "https://8.8.8.8/", "events": ["*"]})
    walk_mail(documented, recipient, record, kept)
    walk_timeline(documented, world, kept)
    record_audit(
        world.admin, world.account.id, "token_created", ("token", 1), {"name": [None, "x"]}
    )
    db.session.commit()
    assert documented.call("GET", "/audit-log?action=token_created").json["items"]
    walk_settings(documented)
    walk_mailbox(documented, app, request.getfixturevalue("imap_user"))
    walk_templates(documented)
    walk_partners(documented, world)
    walk_users(documented)
    walk_webhooks(documented, webhook.json["id"])
    walk_data_rights(documented)
    walk_graph_mailbox(documented, app, graph_pane)

    not_called = sorted(set(documented.operations) - documented.called)
    assert not_called == [], f"operations never checked against a real answer; {NOT_CALLED_HINT}"


def test_every_operation_documents_its_request_and_its_answer(client):
    document = client.get("/openapi.json").json
    vague = []
    for path, item in document["paths"].items():
        for method, operation in item.items():
            name = f"{method.upper()} {path}"
            successes = [status for status in operation["responses"] if status.startswith("2")]
            if "2XX" in successes:
                vague.append(f"{name}: no success status")
            for status in successes:
                content = operation["responses"][status].get("content")
                if status != "204" and not (content and content[next(iter(content))]["schema"]):
                    vague.append(f"{name}: no schema for {status}")
            if method in {"post", "put", "patch"} and "requestBody" in operation:
                for media in operation["requestBody"]["content"].values():
                    if media["schema"] in ({}, {"type": "object"}):
                        vague.append(f"{name}: an open request body")
    assert vague == []
