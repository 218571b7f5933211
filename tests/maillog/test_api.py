"""Uploading mail, reading a mail's why, searching the whys; and recovery after a crash."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import textwrap
import time

import pytest

from tests.conftest import app_environment
from tests.maillog.mail import outgoing, raw
from tests.services import free_port
from tests.tracking.helpers import compose
from tracklog.extensions import db
from tracklog.maillog.ingest import process_batch
from tracklog.maillog.smtpd import SmtpReceiver
from tracklog.maillog.store import store_inbound
from tracklog.models import Activity, InboundMessage


def upload(api, mail_bytes: bytes):
    """POST /api/v1/log with a mail as the request body."""
    return api.call("POST", "/log", data=mail_bytes, content_type="message/rfc822")


def test_uploaded_reply_is_logged_and_explained(api, world):
    reply = outgoing(sender="Peter <peter@initech.example>", to=("alice@acme.example",))
    response = upload(api, raw(reply))
    assert response.status_code == 201, response.json
    assert response.json["status"] == "logged"
    texts = [step["text"] for step in response.json["why"]]
    assert any("Received by alice" in text for text in texts)


def test_upload_as_multipart_file(api, world):
    response = api.call(
        "POST",
        "/log",
        data={"file": (io.BytesIO(raw(outgoing())), "mail.eml", "message/rfc822")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 201


def test_empty_upload_is_a_clear_error(api, world):
    response = upload(api, b"")
    assert response.status_code == 422
    assert response.json["error"]["details"]["fields"] == {"file": "required"}


def sized_mail(size: int) -> bytes:
    """A sent mail of about this many bytes."""
    return raw(outgoing(body="word " * (size // 10)))  # in a text and an HTML part


def test_the_pane_logs_any_mail_the_bcc_receiver_would_accept(api, app, world):
    app.config.update(MAX_CONTENT_LENGTH=20_000, MAX_MAIL_BYTES=120_000)

    body = upload(api, sized_mail(60_000))
    as_file = api.call(
        "POST",
        "/log",
        data={"file": (io.BytesIO(sized_mail(60_000)), "mail.eml", "message/rfc822")},
        content_type="multipart/form-data",
    )

    assert body.status_code == 201, body.json
    assert as_file.status_code == 201, as_file.json


@pytest.mark.parametrize("as_file", [False, True], ids=["body", "multipart"])
def test_a_mail_past_the_limit_is_refused_like_at_smtp_and_leaves_a_why(api, app, world, as_file):
    app.config.update(MAX_MAIL_BYTES=120_000)
    big = sized_mail(200_000)
    if as_file:
        files = {"file": (io.BytesIO(big), "mail.eml", "message/rfc822")}
        response = api.call("POST", "/log", data=files, content_type="multipart/form-data")
    else:
        response = upload(api, big)

    assert response.status_code == 413
    assert response.json["error"]["code"] == "mail_too_large"
    [refused] = api.get("/logging/why?status=not_logged").json["items"]
    assert refused["channel"] == "upload" and refused["why"][-1]["code"] == "too_large"
    assert db.session.scalar(db.select(db.func.count()).select_from(Activity)) == 0


@pytest.mark.parametrize(
    "upload_bytes",
    [
        b"\x00\xff not a mail at all \r\n\r\n\x80",
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01",
        b'{"from": "peter@initech.example", "subject": "Pricing"}',
        b"Hi Peter,\n\nthe pricing is attached.\n",
        b"Subject: no sender\r\n\r\nWho sent this?",
    ],
    ids=["garbage", "image", "json", "text", "no-from"],
)
def test_an_upload_that_is_not_a_mail_is_a_400_and_nothing_is_stored(api, world, upload_bytes):
    response = upload(api, upload_bytes)
    assert response.status_code == 400
    assert response.json["error"]["code"] == "not_a_mail"
    assert db.session.scalar(db.select(db.func.count()).select_from(InboundMessage)) == 0


def test_message_why_lists_tracking_and_logging_steps(api, world, deliver):
    composed = compose(api, ["peter@initech.example"])
    deliver(raw(outgoing()), draft=composed["message_id"])
    why = api.get(f"/messages/{composed['message_id']}/why").json
    assert why["tracking"] == "individual" and why["logged"] is True
    assert why["recipients"][0]["email"] == "peter@initech.example"
    [copy] = why["received"]
    assert copy["status"] == "logged"
    assert [step["step"] for step in copy["why"]][:2] == ["account", "sender"]


def test_why_search_by_recipient_and_day(api, world, deliver):
    deliver(raw(outgoing(to=("bob@acme.example",), subject="Internal")))
    deliver(raw(outgoing(subject="External")))
    found = api.get("/logging/why?recipient=bob@acme").json["items"]
    assert [item["subject"] for item in found] == ["Internal"]
    assert found[0]["status"] == "not_logged"
    assert "internal mail" in found[0]["why"][-1]["text"]
    today = found[0]["received_at"][:10]
    assert len(api.get(f"/logging/why?date={today}").json["items"]) == 2
    assert api.get("/logging/why?date=2001-01-01").json["items"] == []
    assert api.get("/logging/why?date=yesterday").status_code == 422


def test_users_see_only_their_own_whys(api, world, deliver):
    deliver(raw(outgoing(subject="Alice's")))
    as_bob = api.as_token(world.user_token)
    assert as_bob.get("/logging/why").json["items"] == []
    assert len(api.get("/logging/why").json["items"]) == 1
    assert api.as_token(world.other_token).get("/logging/why").json["items"] == []


def test_why_pages(api, client, world, deliver):
    composed = compose(api, ["peter@initech.example"])
    deliver(raw(outgoing()), draft=composed["message_id"])
    client.post(
        "/sign-in", data={"email": "alice@acme.example", "password": "correct horse battery"}
    )
    page = client.get(f"/messages/{composed['message_id']}/why").get_data(as_text=True)
    assert "Created the contact peter@initech.example" in page
    search = client.get("/logging/why?recipient=peter").get_data(as_text=True)
    assert "Pricing for Initech" in search
    japanese = client.get(
        f"/messages/{composed['message_id']}/why", headers={"Accept-Language": "ja"}
    )
    assert japanese.status_code == 200


def test_reassociate_unknown_record_is_404(api, world):
    assert api.post("/records/deal/999/reassociate").status_code == 404
    assert api.post("/records/planet/1/reassociate").status_code == 404


KILLED_DURING_INGEST = textwrap.dedent(
    """
    import json, os, signal, sys
    from tracklog import create_app
    from tracklog.config import Config
    from tracklog.maillog import ingest
    app = create_app(Config(json.loads(sys.argv[1])))
    def crash(*args, **kwargs):
        os.kill(os.getpid(), signal.SIGKILL)
    ingest.log_mail = crash
    with app.app_context():
        ingest.process_inbound(int(sys.argv[2]))
    """
)


def test_killed_during_ingest_logs_exactly_once_after_restart(app, world, database_url):
    inbound = store_inbound(world.account.id, "smtp", raw(outgoing()))
    environment = app_environment(database_url, app.instance_path)
    result = subprocess.run(
        [sys.executable, "-c", KILLED_DURING_INGEST, json.dumps(environment), str(inbound.id)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == -9, result.stderr
    db.session.expire_all()
    assert db.session.get(InboundMessage, inbound.id).status == "stored"
    for _restart in range(2):
        receiver = SmtpReceiver(app, "127.0.0.1", free_port(), process=process_batch)
        receiver.start()
        try:
            wait_for_status(inbound.id, "logged")
        finally:
            receiver.stop()
    assert db.session.scalar(db.select(db.func.count()).select_from(Activity)) == 1


def wait_for_status(inbound_id: int, status: str) -> None:
    """Wait until a stored mail reaches a status."""
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        db.session.expire_all()
        if db.session.get(InboundMessage, inbound_id).status == status:
            return
        time.sleep(0.1)
    raise AssertionError(f"mail {inbound_id} never became {status}")
