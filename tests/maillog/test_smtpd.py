"""The BCC receiver over real SMTP: 250 only once stored, 451 when it cannot, 550 for strangers."""

from __future__ import annotations

import itertools
import re
import signal
import smtplib
import sqlite3
import ssl
import subprocess
import threading
import time
from collections.abc import Callable
from email.message import EmailMessage
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from tests import factories
from tests.conftest import app_environment
from tests.served import START_TIMEOUT, TRACKLOG, clean_environment, start_served, tracklog
from tests.services import free_port
from tracklog import create_app
from tracklog.auth.accounts import bcc_address
from tracklog.config import Config
from tracklog.extensions import db
from tracklog.maillog import smtpd
from tracklog.maillog.ingest import process_batch
from tracklog.maillog.smtpd import SmtpReceiver
from tracklog.maillog.store import store_inbound, store_rows
from tracklog.models import Account, Activity, InboundMessage

DATABASE_DOWN = "postgresql+psycopg://nobody@127.0.0.1:1/none"
SENDER = "anna@acme.example"

Start = Callable[..., SmtpReceiver]


def mail(body: bytes = b"Hello Peter,\r\n\r\nthe quote is attached.\r\n") -> bytes:
    """A small RFC 5322 message with CRLF line ends, as it travels over SMTP."""
    headers = (
        b"From: Anna <anna@acme.example>\r\n"
        b"To: Peter <peter@initech.example>\r\n"
        b"Subject: Quote\r\n"
        b"Message-ID: <quote-1@acme.example>\r\n"
        b"Date: Mon, 03 Mar 2025 10:00:00 +0000\r\n"
        b"\r\n"
    )
    return headers + body


@pytest.fixture
def account(app: Flask) -> Account:
    """An account whose logging address the receiver knows."""
    return factories.make_account()


def connect(receiver: SmtpReceiver) -> smtplib.SMTP:
    """An SMTP client that has greeted the receiver with EHLO."""
    client = smtplib.SMTP(receiver.host, receiver.port, timeout=10)
    client.ehlo("mx.acme.example")
    return client


def deliver(client: smtplib.SMTP, to: str, raw: bytes) -> tuple[int, bytes]:
    """MAIL, RCPT and DATA as a sending server does; the first refusal, else DATA's answer."""
    code, answer = client.mail(SENDER)
    assert code == 250, answer
    code, answer = client.rcpt(to)
    if code != 250:
        client.rset()
        return code, answer
    return client.data(raw)


def stored() -> list[InboundMessage]:
    """Every stored inbound mail, read fresh from the database."""
    db.session.rollback()
    return list(db.session.scalars(select(InboundMessage).order_by(InboundMessage.id)))


def wait_for(condition: Callable[[], bool], seconds: float = 5) -> bool:
    """Whether the condition came true within the time."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return condition()


def test_accepted_copy_is_stored_byte_for_byte_and_answered_with_its_id(
    start: Start, account: Account
) -> None:
    receiver = start()
    raw = mail()

    with connect(receiver) as client:
        code, answer = deliver(client, bcc_address(account), raw)

    [inbound] = stored()
    assert (code, answer.decode()) == (250, f"2.0.0 stored as {inbound.id}")
    assert inbound.raw == raw
    assert inbound.account_id == account.id
    assert inbound.channel == "smtp"
    assert inbound.status == "stored"
    assert inbound.envelope_from == SENDER
    assert inbound.envelope_to == bcc_address(account)


def test_address_is_case_insensitive_and_names_the_draft(start: Start, account: Account) -> None:
    receiver = start()
    address = f"LOG+{account.bcc_key.upper()}.Draft42@BCC.TRACKLOG.TEST"

    with connect(receiver) as client:
        code, _answer = deliver(client, address, mail())

    assert code == 250
    [inbound] = stored()
    assert (inbound.account_id, inbound.draft_public_id) == (account.id, "draft42")


def test_unknown_key_is_refused_with_550(start: Start, account: Account) -> None:
    receiver = start()

    with connect(receiver) as client:
        code, answer = deliver(client, "log+nosuchkey@bcc.tracklog.test", mail())

    assert code == 550
    assert answer.decode() == "5.1.1 <log+nosuchkey@bcc.tracklog.test>: no such logging address"
    assert stored() == []


def test_other_domains_are_refused_with_550_not_relayed(start: Start, account: Account) -> None:
    receiver = start()
    elsewhere = f"log+{account.bcc_key}@initech.example"

    with connect(receiver) as client:
        codes = [deliver(client, to, mail())[0] for to in (elsewhere, "peter@initech.example")]

    assert codes == [550, 550]
    assert stored() == []


def test_long_lines_and_8bit_bodies_are_accepted_unchanged(start: Start, account: Account) -> None:
    receiver = start()
    body = b"x" * 5000 + b"\r\n" + "Grüße, 東京 — ça va\r\n".encode() + b"\xe9t\xe9 latin-1\r\n"
    raw = mail(body)

    with connect(receiver) as client:
        code, answer = deliver(client, bcc_address(account), raw)

    assert code == 250, answer
    assert stored()[0].raw == raw


def test_lines_starting_with_a_dot_are_stored_as_written(start: Start, account: Account) -> None:
    receiver = start()
    raw = mail(b".hidden\r\n..two dots\r\n")

    with connect(receiver) as client:
        code, _answer = deliver(client, bcc_address(account), raw)

    assert code == 250
    assert stored()[0].raw == raw


def test_starttls_uses_the_development_certificate(
    start: Start, account: Account, app: Flask
) -> None:
    receiver = start()
    context = ssl.create_default_context(cafile=str(Path(app.instance_path) / "devcert.pem"))

    with connect(receiver) as client:
        assert client.has_extn("starttls")
        code, _answer = client.starttls(context=context)
        client.ehlo("mx.acme.example")
        tls_version = client.sock.version()
        delivered, _answer = deliver(client, bcc_address(account), mail())

    assert code == 220
    assert tls_version in {"TLSv1.2", "TLSv1.3"}
    assert delivered == 250
    assert len(stored()) == 1


def test_size_is_advertised_and_only_a_message_past_it_gets_552(
    start: Start, account: Account, app: Flask
) -> None:
    default = start()
    capped = start(max_message_bytes=20_000)
    big = mail(b"y" * 76 + b"\r\n") * 300  # 30 KB
    address = bcc_address(account)

    with connect(default) as client:
        advertised = client.esmtp_features["size"]
    with connect(capped) as client:
        capped_size = client.esmtp_features["size"]
        with pytest.raises(smtplib.SMTPRecipientsRefused) as declared:
            client.sendmail(SENDER, [address], big)  # MAIL FROM ... SIZE=, refused at RCPT
        undeclared = deliver(client, address, big)  # DATA past the cap
        fits = deliver(client, address, mail(b"z" * 15_000 + b"\r\n"))

    assert advertised == str(app.config["MAX_MAIL_BYTES"])
    assert capped_size == "20000"
    assert declared.value.recipients[address][0] == 552
    assert undeclared[0] == 552
    assert fits[0] == 250
    assert [inbound.status for inbound in stored()] == ["not_logged", "not_logged", "stored"]


def test_a_mail_refused_for_its_size_leaves_a_why_for_its_sender(
    start: Start, account: Account, client
) -> None:
    anna = factories.make_user(account, SENDER)
    as_anna = factories.ApiClient(client, factories.token_for(anna))
    draft = as_anna.post(
        "/compose", {"to": ["peter@initech.example"], "html": "<p>hi</p>", "track": False}
    ).json
    receiver = start(max_message_bytes=20_000)
    big = mail(b"y" * 76 + b"\r\n") * 300

    with connect(receiver) as smtp:
        with pytest.raises(smtplib.SMTPRecipientsRefused):
            smtp.sendmail(SENDER, [draft["bcc"]], big)
        undeclared = deliver(smtp, bcc_address(account), big)

    searched = as_anna.get("/logging/why?status=not_logged").json["items"]
    message_why = as_anna.get(f"/messages/{draft['message_id']}/why").json
    assert undeclared[0] == 552
    assert len(searched) == 2
    assert all(item["why"][-1]["code"] == "too_large" for item in searched)
    assert "larger than the 0.0191 MB" in searched[0]["why"][-1]["text"]
    assert [item["status"] for item in message_why["received"]] == ["not_logged"]
    assert all(inbound.raw == b"" and inbound.sender == SENDER for inbound in stored())


def test_a_mail_whose_files_are_over_the_attachment_limit_is_accepted_and_logged_without_them(
    start: Start, account: Account
) -> None:
    factories.make_user(account, SENDER)
    account.attachment_size_limit = 10_000
    db.session.commit()
    receiver = start(process=process_batch, max_message_bytes=200_000)
    heavy = EmailMessage()
    heavy["From"], heavy["To"], heavy["Subject"] = SENDER, "peter@initech.example", "Plans"
    heavy.set_content("The plans are attached.")
    heavy.add_attachment(b"p" * 60_000, maintype="application", subtype="pdf", filename="a.pdf")
    heavy.add_attachment(b"q" * 60_000, maintype="application", subtype="pdf", filename="b.pdf")

    with connect(receiver) as smtp:
        code, _answer = deliver(smtp, bcc_address(account), heavy.as_bytes())

    assert code == 250
    assert wait_for(lambda: stored()[0].status == "logged")
    activity = db.session.get(Activity, stored()[0].activity_id)
    assert [warning["code"] for warning in activity.warnings] == ["attachment_omitted"] * 2


def test_database_down_answers_451_then_the_retry_is_stored(
    start: Start, account: Account, tmp_path: Path
) -> None:
    down = create_app(Config(app_environment(DATABASE_DOWN, tmp_path / "down")))
    address = bcc_address(account)
    raw = mail()

    with connect(start(down)) as client:
        refused = deliver(client, address, raw)
    with connect(start()) as client:
        retried = deliver(client, address, raw)

    assert refused[0] == 451
    assert refused[1].startswith(b"4.3.0 ")
    assert retried[0] == 250
    assert [inbound.raw for inbound in stored()] == [raw]


@pytest.mark.parametrize(
    "failure",
    [
        OperationalError("INSERT INTO inbound_message", {}, Exception("connection lost")),
        RuntimeError("a bug in storing"),
    ],
    ids=["database", "bug"],
)
def test_storage_failure_answers_451_never_500_and_loses_nothing(
    start: Start, account: Account, monkeypatch: pytest.MonkeyPatch, failure: Exception
) -> None:
    receiver = start()
    raw = mail()

    def broken(*args, **kwargs):
        """Storage that fails the way a lost database connection or a bug does."""
        raise failure

    with connect(receiver) as client:
        monkeypatch.setattr(smtpd, "store_rows", broken)
        refused = deliver(client, bcc_address(account), raw)
        monkeypatch.setattr(smtpd, "store_rows", store_rows)
        retried = deliver(client, bcc_address(account), raw)

    assert refused == (451, b"4.3.0 cannot store the message now, try again later")
    assert retried[0] == 250
    assert [inbound.raw for inbound in stored()] == [raw]


def test_an_unforeseen_error_answers_451_never_a_bouncing_500(
    start: Start, account: Account, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def crash(*args) -> str:
        """A bug outside the storing code."""
        raise RuntimeError("unforeseen")

    monkeypatch.setattr(smtpd.BccHandler, "handle_DATA", crash)
    receiver = start()

    with connect(receiver) as client:
        code, _answer = deliver(client, bcc_address(account), mail())

    assert code == 451


def test_one_copy_per_account_when_several_logging_addresses_are_named(
    start: Start, account: Account
) -> None:
    other = factories.make_account("Globex Sales")
    receiver = start()

    with connect(receiver) as client:
        client.mail(SENDER)
        codes = [client.rcpt(to)[0] for to in (bcc_address(account), bcc_address(other))]
        codes.append(client.rcpt(bcc_address(account).replace("@", ".d1@"))[0])
        code, answer = client.data(mail())

    copies = stored()
    assert codes == [250, 250, 250]
    assert code == 250
    assert answer.decode() == f"2.0.0 stored as {copies[0].id}, {copies[1].id}"
    assert sorted(inbound.account_id for inbound in copies) == sorted([account.id, other.id])


def test_processing_gets_the_stored_id_without_delaying_the_answer(
    start: Start, account: Account
) -> None:
    release = threading.Event()
    processed: list[int] = []

    def process(batch: list[int]) -> None:
        """A slow pipeline: it waits until the test has its answer."""
        release.wait(10)
        processed.extend(batch)

    receiver = start(process=process)
    with connect(receiver) as client:
        code, answer = deliver(client, bcc_address(account), mail())
    answered_before_processing = processed == []
    release.set()

    assert code == 250
    assert answered_before_processing
    assert wait_for(lambda: processed == [stored()[0].id])


def test_a_failing_pipeline_does_not_stop_the_receiver(start: Start, account: Account) -> None:
    attempts: list[int] = []

    def process(batch: list[int]) -> None:
        """A pipeline with a bug."""
        attempts.extend(batch)
        raise ValueError("bug in the pipeline")

    receiver = start(process=process)
    with connect(receiver) as client:
        answers = [deliver(client, bcc_address(account), mail())[0] for _ in range(2)]

    assert answers == [250, 250]
    assert wait_for(lambda: len(attempts) == 2)


def test_unprocessed_mail_is_handed_over_on_start(start: Start, account: Account) -> None:
    left = [store_inbound(account.id, "smtp", mail()).id for _ in range(2)]
    done = store_inbound(account.id, "smtp", mail())
    done.status = "logged"
    db.session.commit()
    processed: list[int] = []

    start(process=processed.extend)

    assert wait_for(lambda: processed == left)


def test_smtpd_help_works() -> None:
    result = subprocess.run([str(TRACKLOG), "smtpd", "--help"], capture_output=True, text=True)

    assert result.returncode == 0, result.stderr
    assert "--port" in result.stdout and "--host" in result.stdout


def smtp_answers(port: int, seconds: float = START_TIMEOUT) -> bool:
    """Whether an SMTP server greets and accepts EHLO on the port within the time."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with smtplib.SMTP("127.0.0.1", port, timeout=5) as client:
                return client.ehlo()[0] == 250
        except OSError:
            time.sleep(0.2)
    return False


def migrated_environment(instance: Path, smtp_port: int) -> dict[str, str]:
    """The environment of a fresh, migrated SQLite instance with the receiver on smtp_port."""
    env = clean_environment(instance, TRACKLOG_SMTP_PORT=str(smtp_port))
    upgraded = tracklog(env, "db", "upgrade")
    assert upgraded.returncode == 0, upgraded.stderr
    return env


@pytest.mark.slow
def test_smtpd_command_listens_until_sigterm(tmp_path: Path) -> None:
    port = free_port()
    env = migrated_environment(tmp_path, port)
    process = subprocess.Popen(
        [str(TRACKLOG), "smtpd"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    try:
        answered = smtp_answers(port)
        process.send_signal(signal.SIGTERM)
        stdout, stderr = process.communicate(timeout=20)
    finally:
        process.kill()

    assert answered
    assert process.returncode == 0, stderr
    assert f"listening on 127.0.0.1:{port}" in stdout.decode()
    assert b"Traceback" not in stderr


@pytest.mark.slow
def test_a_killed_receiver_had_stored_every_mail_it_answered_250_for(tmp_path: Path) -> None:
    port = free_port()
    env = migrated_environment(tmp_path, port)
    added = tracklog(env, "account", "add", "Acme Sales")
    address = next(word for word in added.stdout.split() if word.startswith("log+"))
    accepted: list[bytes] = []

    def send(connection: int) -> None:
        """Deliver mail after mail on one connection until the receiver is gone."""
        try:
            with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
                for number in itertools.count():
                    message_id = f"<{connection}.{number}@acme.example>".encode()
                    client.sendmail(
                        SENDER, [address], mail().replace(b"<quote-1@acme.example>", message_id)
                    )
                    accepted.append(message_id)
        except (smtplib.SMTPException, OSError):
            return

    process = subprocess.Popen(
        [str(TRACKLOG), "smtpd"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    senders = [threading.Thread(target=send, args=(number,)) for number in range(4)]
    try:
        assert smtp_answers(port)
        for sender in senders:
            sender.start()
        assert wait_for(lambda: len(accepted) >= 20, seconds=120)
        process.kill()
        for sender in senders:
            sender.join(timeout=20)
    finally:
        process.kill()
        process.wait()

    with sqlite3.connect(tmp_path / "tracklog.db") as database:
        raws = [row[0] for row in database.execute("SELECT raw FROM inbound_message")]
    stored_ids = {re.search(rb"Message-ID: (<[^>]+>)", raw).group(1) for raw in raws}
    assert len(accepted) >= 20
    assert set(accepted) <= stored_ids


@pytest.mark.slow
def test_serve_also_runs_the_receiver_and_stops_it(tmp_path: Path) -> None:
    smtp_port = free_port()
    env = migrated_environment(tmp_path, smtp_port)
    server = start_served(env, free_port(), "--host", "127.0.0.1")  # healthy: children up
    try:
        answered = smtp_answers(smtp_port)
    finally:
        code = server.stop()

    assert answered, server.output()
    assert code == 0, server.output()
    assert f"listening on 127.0.0.1:{smtp_port}" in server.output()
    assert "Traceback" not in server.output()
    assert not smtp_answers(smtp_port, seconds=0.5)


def test_bare_lf_mail_with_lines_over_a_mebibyte_is_accepted_whole(
    start: Start, account: Account
) -> None:
    receiver = start()
    # Some servers pass bare-LF mail on: over SMTP the whole mail is then one line.
    history = b"A line of quoted history " + b"x" * 1_500_000
    raw = mail().replace(b"\r\n", b"\n") + history + b"\r\n"  # smtplib ends DATA with CRLF

    with connect(receiver) as client:
        code, answer = deliver(client, bcc_address(account), raw)

    assert code == 250, answer
    assert stored()[0].raw == raw
