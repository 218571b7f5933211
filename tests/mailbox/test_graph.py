"""The Microsoft Graph connector, against a fake Graph over real HTTP and the stub Entra ID with
MSAL used for real: connecting (pane and settings), the delta sync, throttling, refresh, revoked
consent, Sent Items and BCC copies, replies, change notifications and disconnecting."""

from __future__ import annotations

import json
import time
from datetime import timedelta
from email.utils import format_datetime
from urllib.parse import urlsplit

import jwt
import pytest
import requests

from tests import factories
from tests.auth.conftest import AUDIENCE, TENANT_ID
from tests.crm.test_board_pages import sign_in
from tests.graph_stub import FakeGraph, Mailbox
from tests.idp_stub import JWT_BEARER, StubIdentityProvider
from tests.maillog.mail import outgoing, raw
from tests.maillog.test_ingest import timeline_of
from tracklog.extensions import db
from tracklog.mailbox import graph as graph_sync
from tracklog.mailbox.connections import connection_of, secret_of
from tracklog.mailbox.schedule import run_due_syncs
from tracklog.maillog.ingest import process_inbound
from tracklog.maillog.store import store_inbound
from tracklog.models import Activity, utcnow
from tracklog.models.mailbox import MailboxConnection

ALICE_OID = "oid-of-alice"
NOTIFICATIONS = "/hooks/graph/notifications"


@pytest.fixture
def app_config(app_config, entra_settings, graph):
    """Entra ID against the stub, Graph against the fake."""
    return {**app_config, **entra_settings, "GRAPH_URL": graph.url}


@pytest.fixture
def mailbox(world, graph: FakeGraph) -> Mailbox:
    """Alice's Microsoft 365 mailbox; her account is linked to the stub's tenant."""
    world.account.entra_tenant_id = TENANT_ID
    db.session.commit()
    return graph.mailbox(ALICE_OID, "alice@acme.example")


@pytest.fixture
def deal(world):
    """Peter, of the deal Initech renewal."""
    peter = factories.make_contact(world.account, "peter@initech.example", first_name="Peter")
    deal = factories.make_deal(world.account, "Initech renewal")
    factories.link_contact(world.account, peter, "deal", deal.id)
    return deal


def pane_token(idp: StubIdentityProvider, oid: str = ALICE_OID, email: str = "alice@acme.example"):
    """The add-in's single sign-on token of a user of the tenant."""
    return idp.token(TENANT_ID, AUDIENCE, oid=oid, preferred_username=email)


def connect_from_pane(client, idp: StubIdentityProvider, **user: str):
    """POST /api/v1/me/mailbox/graph with the pane's token."""
    token = pane_token(idp, **user)
    return client.post("/api/v1/me/mailbox/graph", headers={"Authorization": f"Bearer {token}"})


@pytest.fixture
def connected(client, idp, mailbox, world) -> MailboxConnection:
    """Alice's mailbox, connected from the pane two hours ago."""
    assert connect_from_pane(client, idp).status_code == 200
    connection = connection_of(world.admin)
    connection.connected_at = utcnow() - timedelta(hours=2)
    db.session.commit()
    return connection


def mail(sender: str, to: str, minutes_ago: float = 30, **fields) -> bytes:
    """A mail sent some minutes ago."""
    message = outgoing(sender=sender, to=(to,), **fields)
    del message["Date"]
    message["Date"] = format_datetime(utcnow() - timedelta(minutes=minutes_ago))
    return raw(message)


def from_peter(**fields) -> bytes:
    """Peter's mail to Alice."""
    return mail("Peter Gibbons <peter@initech.example>", "alice@acme.example", **fields)


def to_peter(**fields) -> bytes:
    """Alice's mail to Peter."""
    return mail("alice@acme.example", "Peter Gibbons <peter@initech.example>", **fields)


def sync_now(connection: MailboxConnection) -> MailboxConnection:
    """Make the mailbox due and run the scheduler's pass; the connection as it stands after."""
    connection = db.session.get(MailboxConnection, connection.id, populate_existing=True)
    connection.next_sync_at = utcnow()
    db.session.commit()
    run_due_syncs()
    return db.session.get(MailboxConnection, connection.id, populate_existing=True)


def activity(message_id: str) -> Activity | None:
    """The logged mail with this Message-ID."""
    return db.session.scalar(db.select(Activity).filter_by(message_id=message_id))


def activity_count() -> int:
    """How many activities are logged."""
    return db.session.scalar(db.select(db.func.count(Activity.id)))


def test_connecting_from_the_pane_seals_a_token_cache_with_a_refresh_token(
    client, idp, mailbox, world
):
    response = connect_from_pane(client, idp)
    assert response.status_code == 200, response.get_json()
    answer = response.get_json()
    assert (answer["connected"], answer["provider"]) == (True, "graph")
    assert answer["address"] == "alice@acme.example"
    connection = connection_of(world.admin)
    cache = json.loads(secret_of(connection))
    assert cache["RefreshToken"] and b"RefreshToken" not in connection.sealed_secret
    assert connection.settings == {"tenant": TENANT_ID}
    assert idp.token_requests[-1]["grant_type"] == JWT_BEARER


def test_connecting_needs_the_pane_token_and_entra_configuration(app, api, client, idp, mailbox):
    refused = api.post("/me/mailbox/graph")
    assert (refused.status_code, refused.get_json()["error"]["code"]) == (422, "sso_token_required")
    app.config["ENTRA_CLIENT_SECRET"] = None
    unconfigured = connect_from_pane(client, idp)
    assert (unconfigured.status_code, unconfigured.get_json()["error"]["code"]) == (
        503,
        "entra_not_configured",
    )


def test_a_refused_exchange_asks_the_pane_for_interaction(client, idp, mailbox, world):
    idp.token_error = {"error": "consent_required", "error_description": "AADSTS65001: no consent"}
    refused = connect_from_pane(client, idp)
    assert (refused.status_code, refused.get_json()["error"]["code"]) == (
        403,
        "interaction_required",
    )
    assert connection_of(world.admin) is None


def test_settings_say_when_entra_is_not_configured(app, client, world):
    app.config["ENTRA_CLIENT_SECRET"] = None
    sign_in(client, world.admin)
    refused = client.post("/settings/mailbox/graph/connect")
    assert refused.status_code == 302 and refused.location.endswith("/settings/mailbox")
    page = client.get("/settings/mailbox").get_data(as_text=True)
    assert "needs a client id and a client secret" in page


def test_connecting_from_settings_runs_the_authorization_code_flow(client, idp, mailbox, world):
    sign_in(client, world.admin)
    page = client.get("/settings/mailbox").get_data(as_text=True)
    assert "Connect Microsoft 365" in page
    started = client.post("/settings/mailbox/graph/connect")
    assert started.status_code == 302 and started.location.startswith(idp.url)
    signed_in = requests.get(started.location, verify=str(idp.ca_file), allow_redirects=False)
    back = urlsplit(signed_in.headers["Location"])
    assert back.path == "/settings/mailbox/graph/callback"
    forged = client.get(f"{back.path}?code=x&state=forged")
    assert forged.status_code == 302 and connection_of(world.admin) is None

    started = client.post("/settings/mailbox/graph/connect")
    signed_in = requests.get(started.location, verify=str(idp.ca_file), allow_redirects=False)
    back = urlsplit(signed_in.headers["Location"])
    finished = client.get(f"{back.path}?{back.query}")
    assert finished.status_code == 302 and finished.location.endswith("/settings/mailbox")
    connection = connection_of(world.admin)
    assert connection.provider == "graph" and connection.address == "alice@acme.example"
    assert idp.token_requests[-1]["grant_type"] == "authorization_code"
    assert "alice@acme.example" in client.get("/settings/mailbox").get_data(as_text=True)


def test_first_sync_logs_inbox_mail_as_incoming_and_sent_items_as_outgoing(
    connected, mailbox, graph, deal, world
):
    mailbox.add("inbox", from_peter(message_id="<in-1@initech.example>"))
    mailbox.add("sentitems", to_peter(message_id="<out-1@acme.example>"))
    old = from_peter(message_id="<old@initech.example>", minutes_ago=40 * 24 * 60)
    mailbox.add("inbox", old, received=utcnow() - timedelta(days=40))

    connection = sync_now(connected)

    incoming, sent = activity("<in-1@initech.example>"), activity("<out-1@acme.example>")
    assert incoming.direction == "incoming" and incoming.owner_id == world.admin.id
    assert ("deal", deal.id) in timeline_of(incoming)
    assert sent.direction == "outgoing" and ("deal", deal.id) in timeline_of(sent)
    assert activity("<old@initech.example>") is None  # older than the first round asks
    first_rounds = graph.made("GET", "/messages/delta")
    assert {r.path.split("/")[4] for r in first_rounds} == {"inbox", "sentitems"}
    assert all("receivedDateTime ge" in r.query["$filter"] for r in first_rounds)
    assert all('IdType="ImmutableId"' in r.headers["Prefer"] for r in graph.requests)
    assert all(folder["caught_up"] for folder in connection.state["folders"].values())
    assert connection.error is None and connection.last_sync_at is not None
    assert connection.next_sync_at > utcnow() + timedelta(minutes=4)


def test_the_next_sync_asks_from_the_delta_link_and_logs_only_new_mail(
    connected, mailbox, graph, deal
):
    mailbox.add("inbox", from_peter(message_id="<in-1@initech.example>"))
    sync_now(connected)
    graph.requests.clear()
    mailbox.add("inbox", from_peter(message_id="<in-2@initech.example>"))

    sync_now(connected)

    rounds = graph.made("GET", "/messages/delta")
    assert all("$deltatoken" in r.query and "$filter" not in r.query for r in rounds)
    assert len(graph.made("GET", "/$value")) == 1
    assert activity("<in-2@initech.example>") is not None and activity_count() == 2


def test_pages_are_followed_and_a_pass_stops_after_its_share(
    connected, mailbox, graph, deal, monkeypatch
):
    monkeypatch.setattr(graph_sync, "MAX_MESSAGES_PER_PASS", 3)
    graph.page_size = 2
    for number in range(5):
        mailbox.add("inbox", from_peter(message_id=f"<page-{number}@initech.example>"))

    connection = sync_now(connected)

    assert activity_count() == 4  # two whole pages, then the pass stops
    assert connection.state["folders"]["inbox"]["caught_up"] is False
    assert connection.next_sync_at <= utcnow()  # due again at once
    assert run_due_syncs() == 1
    assert activity_count() == 5


def test_throttling_stops_the_pass_until_retry_after(connected, mailbox, graph, deal):
    mailbox.add("inbox", from_peter(message_id="<in-1@initech.example>"))
    graph.fail_next(429, path="/$value", headers={"Retry-After": "120"}, code="TooManyRequests")
    started = time.monotonic()

    connection = sync_now(connected)

    assert time.monotonic() - started < 10  # never slept for it
    assert connection.next_sync_at >= utcnow() + timedelta(seconds=110)
    assert connection.error is None and activity_count() == 0
    connection.next_sync_at = utcnow()
    db.session.commit()
    run_due_syncs()
    assert activity("<in-1@initech.example>") is not None


def test_an_outage_is_shown_and_tried_again_later(connected, mailbox, graph, api):
    graph.fail_next(503, path="/messages/delta")
    connection = sync_now(connected)
    assert connection.error_code == "graph_unavailable"
    assert connection.next_sync_at >= utcnow() + timedelta(seconds=25)


def test_a_refused_token_is_refreshed_once_and_the_new_cache_sealed(
    connected, mailbox, graph, idp, deal
):
    before = json.loads(secret_of(connected))["RefreshToken"]
    mailbox.add("inbox", from_peter(message_id="<in-1@initech.example>"))
    graph.fail_next(401, path="/messages/delta", code="InvalidAuthenticationToken")

    connection = sync_now(connected)

    assert connection.error is None and activity("<in-1@initech.example>") is not None
    assert idp.token_requests[-1]["grant_type"] == "refresh_token"
    after = json.loads(secret_of(connection))["RefreshToken"]
    old_tokens = {entry["secret"] for entry in before.values()}
    assert old_tokens.isdisjoint(entry["secret"] for entry in after.values())


def test_revoked_consent_is_shown_to_the_user(connected, graph, idp, api, client, world):
    idp.token_error = {
        "error": "invalid_grant",
        "error_description": "AADSTS50173: The provided grant has expired due to it being revoked.",
    }
    graph.fail_next(401, path="/messages/delta", code="InvalidAuthenticationToken")

    connection = sync_now(connected)

    answer = api.get("/me/mailbox").get_json()
    assert answer["error_code"] == "consent_revoked" and "Connect it again" in answer["error"]
    assert connection.next_sync_at > utcnow() + timedelta(hours=5)
    sign_in(client, world.admin)
    assert "Connect it again" in client.get("/settings/mailbox").get_data(as_text=True)


def test_a_sent_mail_from_sent_items_is_logged_once_even_when_its_bcc_copy_comes_later(
    connected, mailbox, deal, world
):
    sent = to_peter(message_id="<bypassed@acme.example>")
    mailbox.add("sentitems", sent)
    sync_now(connected)
    assert activity("<bypassed@acme.example>").direction == "outgoing"

    copy = store_inbound(
        world.account.id, "smtp", sent, envelope_to=f"log+{world.account.bcc_key}@x"
    )
    assert process_inbound(copy.id).status == "duplicate"
    assert activity_count() == 1


def test_a_reply_is_sent_through_graph_and_logged_on_the_same_thread(
    connected, mailbox, graph, deal, api
):
    mailbox.add("inbox", from_peter(message_id="<question@initech.example>"))
    sync_now(connected)
    question = activity("<question@initech.example>")

    response = api.post(f"/activities/{question.id}/reply", {"body": "Yes, Tuesday works."})

    assert response.status_code == 202, response.get_json()
    drafted = graph.made("POST", "/createReply")
    assert len(drafted) == 1 and drafted[0].body == {"comment": "Yes, Tuesday works."}
    assert len(graph.made("POST", "/send")) == 1
    answer = db.session.get(Activity, response.get_json()["activity_id"])
    assert answer.direction == "outgoing" and answer.thread_key == question.thread_key
    assert ("deal", deal.id) in timeline_of(answer)
    sync_now(connected)  # the reply, now in Sent Items, is not logged again
    assert activity_count() == 2

    everyone = api.post(f"/activities/{question.id}/reply", {"body": "Hi", "reply_all": True})
    assert everyone.status_code == 202 and len(graph.made("POST", "/createReplyAll")) == 1


def test_a_reply_needs_a_connected_mailbox_holding_the_mail(connected, mailbox, world, api):
    logged = factories.make_activity(world.account, [], "email", "Elsewhere")
    logged.message_id = "<elsewhere@x.example>"
    db.session.commit()
    not_in_mailbox = api.post(f"/activities/{logged.id}/reply", {"body": "Hi"})
    assert (not_in_mailbox.status_code, not_in_mailbox.get_json()["error"]["code"]) == (
        404,
        "mail_not_in_mailbox",
    )
    bob = api.as_token(world.user_token).post(f"/activities/{logged.id}/reply", {"body": "Hi"})
    assert (bob.status_code, bob.get_json()["error"]["code"]) == (409, "mailbox_not_connected")
    other = api.as_token(world.other_token).post(f"/activities/{logged.id}/reply", {"body": "x"})
    assert other.status_code == 404


def test_a_user_never_reaches_another_users_mailbox(client, connected, graph, idp, world, api):
    graph.mailbox("oid-of-bob", "bob@acme.example")
    assert connect_from_pane(client, idp, oid="oid-of-bob", email="bob@acme.example").status_code
    bobs = connection_of(world.user)
    assert bobs.address == "bob@acme.example" and bobs.id != connected.id
    assert secret_of(bobs) != secret_of(connection_of(world.admin))
    sync_now(connected)
    graph.requests.clear()
    sync_now(bobs)
    assert {r.path for r in graph.made("GET", "/$value")} == set()
    assert all("oid-of-bob" in _token_oid(r.headers) for r in graph.requests)
    api.as_token(world.user_token).delete("/me/mailbox")
    assert connection_of(world.admin) is not None


def _token_oid(headers: dict[str, str]) -> str:
    """The oid of a recorded request's bearer token."""
    token = headers["Authorization"].removeprefix("Bearer ")
    return jwt.decode(token, options={"verify_signature": False})["oid"]


def test_change_notifications_make_the_mailbox_due_only_with_the_right_client_state(
    app, client, connected, graph
):
    app.config["BASE_URL"] = "https://crm.example.com"
    connection = sync_now(connected)
    subscribed = graph.made("POST", "/subscriptions")[0].body
    assert subscribed["notificationUrl"] == "https://crm.example.com" + NOTIFICATIONS
    assert subscribed["changeType"] == "created" and subscribed["resource"] == "me/messages"
    assert connection.next_sync_at > utcnow() + timedelta(minutes=20)
    subscription_id = connection.state["subscription"]["id"]
    assert subscribed["clientState"] not in json.dumps(connection.state)

    app.config["WTF_CSRF_ENABLED"] = True  # Graph sends no CSRF token: the endpoint is exempt
    validation = client.post(f"{NOTIFICATIONS}?validationToken=Validation%3A+abc")
    assert validation.status_code == 200 and validation.mimetype == "text/plain"
    assert validation.get_data(as_text=True) == "Validation: abc"

    def notify(client_state: str):
        note = {"subscriptionId": subscription_id, "clientState": client_state}
        return client.post(NOTIFICATIONS, json={"value": [note, "junk"]})

    assert notify("forged").status_code == 202
    assert db.session.get(MailboxConnection, connection.id, populate_existing=True).next_sync_at > (
        utcnow() + timedelta(minutes=20)
    )
    assert notify(subscribed["clientState"]).status_code == 202
    due = db.session.get(MailboxConnection, connection.id, populate_existing=True)
    assert due.next_sync_at <= utcnow()
    assert client.post(NOTIFICATIONS, data="nonsense").status_code == 422


def test_a_subscription_is_renewed_before_it_ends(app, connected, graph):
    app.config["BASE_URL"] = "https://crm.example.com"
    connection = sync_now(connected)
    subscription = dict(connection.state["subscription"])
    subscription["expires"] = (utcnow() + timedelta(hours=1)).isoformat()
    connection.state = {**connection.state, "subscription": subscription}
    db.session.commit()
    sync_now(connection)
    assert len(graph.made("PATCH", "/subscriptions/")) == 1
    assert len(graph.made("POST", "/subscriptions")) == 1


def test_disconnecting_deletes_the_subscription_and_the_token_cache(
    app, connected, graph, api, world
):
    app.config["BASE_URL"] = "https://crm.example.com"
    sync_now(connected)
    assert len(graph.subscriptions) == 1
    assert api.delete("/me/mailbox").status_code == 200
    assert graph.subscriptions == {} and connection_of(world.admin) is None
    assert db.session.scalar(db.select(db.func.count(MailboxConnection.id))) == 0


def test_the_reply_form_shows_on_mail_cards_of_a_graph_mailbox_user(
    client, connected, mailbox, graph, deal, world
):
    mailbox.add("inbox", from_peter(message_id="<question@initech.example>"))
    sync_now(connected)
    question = activity("<question@initech.example>")
    sign_in(client, world.admin)
    page = client.get(f"/deals/{deal.id}").get_data(as_text=True)
    assert "data-graph-reply" in page and f'value="/deals/{deal.id}#timeline"' in page
    sent = client.post(
        f"/activities/{question.id}/reply",
        data={"body": "On my way", "reply_all": "1", "next": f"/deals/{deal.id}#timeline"},
    )
    assert sent.status_code == 302 and sent.location.endswith(f"/deals/{deal.id}#timeline")
    fragment = client.get(f"/deals/{deal.id}/timeline").get_data(as_text=True)
    assert f'value="/deals/{deal.id}#timeline"' in fragment
    assert graph.made("POST", "/createReplyAll")[0].body == {"comment": "On my way"}


def test_a_forgotten_delta_link_starts_the_folder_again_without_logging_twice(
    connected, mailbox, graph, deal
):
    mailbox.add("inbox", from_peter(message_id="<in-1@initech.example>"))
    sync_now(connected)
    graph.requests.clear()
    graph.fail_next(410, path="/inbox/messages/delta", code="syncStateNotFound")

    connection = sync_now(connected)

    inbox_rounds = graph.made("GET", "/inbox/messages/delta")
    assert "$deltatoken" in inbox_rounds[0].query and "$filter" in inbox_rounds[1].query
    assert connection.error is None and activity_count() == 1


def test_a_removed_subscription_is_made_anew_by_the_next_sync(app, client, connected, graph):
    app.config["BASE_URL"] = "https://crm.example.com"
    connection = sync_now(connected)
    client_state = graph.made("POST", "/subscriptions")[0].body["clientState"]
    removed = {
        "subscriptionId": connection.state["subscription"]["id"],
        "clientState": client_state,
        "lifecycleEvent": "subscriptionRemoved",
    }
    assert client.post(NOTIFICATIONS, json={"value": [removed]}).status_code == 202
    graph.subscriptions.clear()
    run_due_syncs()
    assert len(graph.made("POST", "/subscriptions")) == 2 and len(graph.subscriptions) == 1


def test_a_message_deleted_before_its_mime_is_fetched_is_passed_over(
    connected, mailbox, graph, deal
):
    gone = mailbox.add("inbox", from_peter(message_id="<gone@initech.example>"))
    mailbox.add("inbox", from_peter(message_id="<kept@initech.example>"))
    graph.fail_next(404, path=f"/{gone.id}/$value", code="ErrorItemNotFound")
    connection = sync_now(connected)
    assert connection.error is None and activity("<kept@initech.example>") is not None


def test_a_reply_refuses_bad_input_without_failing(connected, api, world):
    assert api.post("/activities/99999999999/reply", {"body": "Hi"}).status_code == 404
    assert api.post("/activities/1/reply", ["not", "an", "object"]).status_code == 422
    logged = factories.make_activity(world.account, [], "email", "Mail")
    logged.message_id = "<m@x.example>"
    db.session.commit()
    for body in ({"body": 5}, {"body": "   "}, {}, {"body": "x" * 100_001}):
        assert api.post(f"/activities/{logged.id}/reply", body).status_code == 422
    note = factories.make_activity(world.account, [], "note", "Call notes")
    assert api.post(f"/activities/{note.id}/reply", {"body": "Hi"}).status_code == 422
