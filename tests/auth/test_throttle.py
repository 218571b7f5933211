"""Sign-in throttling: slowed, then refused with 429, per address and per client, on both forms."""

from __future__ import annotations

import re

import pytest

from tests.conftest import app_environment
from tests.factories import PASSWORD
from tracklog import create_app
from tracklog.config import Config
from tracklog.extensions import db
from tracklog.models import SignInThrottle

SIGN_IN_PATHS = ["/sign-in", "/addin/sign-in"]
# The page's CSRF token is signed with the time: it differs from second to second for anyone.
CSRF_META = re.compile(r'<meta name="csrf-token" content="[^"]*">')


def attempt(client, path: str, email: str, password: str = "wrong password", ip="192.0.2.7"):
    """One sign-in attempt from a client address."""
    return client.post(
        path, data={"email": email, "password": password}, environ_base={"REMOTE_ADDR": ip}
    )


def fail(client, path: str, email: str, times: int, ip: str = "192.0.2.7"):
    """Several wrong passwords in a row; the last answer."""
    for _ in range(times):
        response = attempt(client, path, email, ip=ip)
    return response


def succeeded(response, path: str) -> bool:
    """Whether an attempt signed in (a redirect) or yielded the add-in's token."""
    return response.status_code == 302 or "tracklog-token" in response.get_data(as_text=True)


@pytest.mark.parametrize("path", SIGN_IN_PATHS)
def test_repeated_failures_are_slowed_more_and_more_up_to_two_seconds(client, world, clock, path):
    fail(client, path, "alice@acme.example", 3)
    assert clock.waits == []
    fail(client, path, "alice@acme.example", 6)
    assert clock.waits == [0.25, 0.5, 1.0, 2.0, 2.0, 2.0]


@pytest.mark.parametrize("path", SIGN_IN_PATHS)
def test_ten_failures_lock_the_address_with_429_and_retry_after(client, world, clock, path):
    assert fail(client, path, "alice@acme.example", 9).status_code == 200
    locked = attempt(client, path, "alice@acme.example")
    assert locked.status_code == 429
    assert locked.headers["Retry-After"] == "900"
    assert "Too many attempts. Try again in 15 minutes." in locked.get_data(as_text=True)
    clock.advance(minutes=5)
    refused = attempt(client, path, "alice@acme.example", PASSWORD, ip="198.51.100.1")
    assert refused.status_code == 429 and refused.headers["Retry-After"] == "600"
    assert "Try again in 10 minutes." in refused.get_data(as_text=True)
    assert not succeeded(refused, path)


@pytest.mark.parametrize("path", SIGN_IN_PATHS)
def test_a_correct_password_after_the_lock_out_signs_in(client, world, clock, path):
    fail(client, path, "alice@acme.example", 10)
    clock.advance(minutes=15, seconds=1)
    assert succeeded(attempt(client, path, "alice@acme.example", PASSWORD), path)


def test_the_answers_never_say_whether_the_address_exists(client, world, clock):
    def answers(email):
        """What each of eleven wrong attempts showed: status, Retry-After, page (token aside)."""
        responses = [attempt(client, "/sign-in", email, ip="203.0.113.9") for _ in range(11)]
        return [
            (
                r.status_code,
                r.headers.get("Retry-After"),
                CSRF_META.sub("", r.get_data(as_text=True)),
            )
            for r in responses
        ]

    known, unknown = answers("alice@acme.example"), answers("nobody@acme.example")
    strip = [(status, retry, text.replace("nobody", "alice")) for status, retry, text in unknown]
    assert known == strip
    assert clock.waits[: len(clock.waits) // 2] == clock.waits[len(clock.waits) // 2 :]


def test_a_success_clears_the_address_failures(client, world, clock):
    fail(client, "/sign-in", "alice@acme.example", 9)
    first_round = list(clock.waits)
    assert succeeded(attempt(client, "/sign-in", "alice@acme.example", PASSWORD), "/sign-in")
    client.post("/sign-out")
    clock.waits.clear()
    assert fail(client, "/sign-in", "alice@acme.example", 9).status_code == 200
    assert clock.waits == first_round, "the count started again from zero"


def test_failures_in_an_old_window_are_forgotten(client, world, clock):
    fail(client, "/sign-in", "alice@acme.example", 9)
    clock.advance(minutes=16)
    assert fail(client, "/sign-in", "alice@acme.example", 9).status_code == 200


def test_one_client_is_refused_after_fifty_failures_whatever_the_address(client, world, clock):
    for number in range(50):
        last = attempt(client, "/addin/sign-in", f"guess{number}@acme.example")
    assert last.status_code == 429
    refused = attempt(client, "/sign-in", "alice@acme.example", PASSWORD)
    assert refused.status_code == 429
    elsewhere = attempt(client, "/sign-in", "alice@acme.example", PASSWORD, ip="198.51.100.1")
    assert succeeded(elsewhere, "/sign-in")


def test_one_ipv6_network_counts_as_one_client(client, world, clock):
    for number in range(50):
        attempt(client, "/sign-in", f"guess{number}@acme.example", ip=f"2001:db8:0:1::{number:x}")
    assert (
        attempt(client, "/sign-in", "x@acme.example", ip="2001:db8:0:1:ffff::1").status_code == 429
    )
    assert attempt(client, "/sign-in", "x@acme.example", ip="2001:db8:0:2::1").status_code == 200


def test_counts_are_shared_by_every_process_on_the_database(
    app, world, clock, database_url, tmp_path
):
    """Another worker or host: a second app on the same database sees the same counts."""
    other = create_app(Config(app_environment(database_url, tmp_path / "other")), dict(app.config))
    fail(other.test_client(), "/sign-in", "alice@acme.example", 9)
    assert attempt(app.test_client(), "/sign-in", "alice@acme.example").status_code == 429
    with other.app_context():
        db.engine.dispose()


def test_addresses_and_client_addresses_are_stored_only_hashed(client, world, clock):
    fail(client, "/sign-in", "alice@acme.example", 1)
    keys = {row.key for row in db.session.scalars(db.select(SignInThrottle))}
    assert len(keys) == 2
    assert not any("alice" in key or "192.0.2.7" in key for key in keys)


def test_an_address_with_a_nul_byte_is_refused_without_saying_whose_it_is(client, world, clock):
    # Like every form field with a NUL byte (issue 12: docs/api.md): a 422 naming the field.
    response = attempt(client, "/sign-in", "alice\x00@acme.example")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "email holds a NUL byte" in page and "alice" not in page
