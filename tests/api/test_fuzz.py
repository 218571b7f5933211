"""Schemathesis fuzzes every operation of /openapi.json: never a 500, always what is documented.

Bounded for `make test`: a few derandomized examples per operation (valid and invalid ones), once
with an admin's token on PostgreSQL and once with a plain user's on SQLite: both databases and
both roles, each fuzz run costing a minute of a core.
"""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.config import SchemathesisConfig

from tests import factories

EXAMPLES_PER_OPERATION = 8
# The document describes shapes, not every business rule (a referenced record must exist in
# the account, text must hold no NUL byte, an address must be deliverable, a cursor must be one
# the API handed out): a schema-valid request may still be a 400 or 422, but never a 5xx.
ACCEPTED_FOR_VALID_INPUT = ["2xx", "400", "401", "403", "404", "409", "422"]
# Every check, except max_response_time, which stays off without a limit: no timings here.
CONFIG = {
    "checks": {
        "enabled": True,
        "positive_data_acceptance": {"expected-statuses": ACCEPTED_FOR_VALID_INPUT},
    },
    "generation": {
        "mode": "all",
        "max-examples": EXAMPLES_PER_OPERATION,
        "deterministic": True,
    },
}


def isolated_requests(app: Flask) -> Any:
    """The app as a WSGI callable giving each request its own app context, as in production.

    The test holds an app context; without this every request would share its `g` (and the
    signed-in user a previous request left there)."""

    def call(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        """One request, its whole answer read inside a fresh app context."""
        with app.app_context():
            return list(app(environ, start_response))

    return call


def fuzz_operation(operation: Any, token: str) -> dict[str, str]:
    """Every distinct failure of one operation's examples: its title → how to reproduce it."""
    failures: dict[str, str] = {}

    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy())
    def call(case: Any) -> None:
        """One example and the requests its checks make."""
        try:
            case.call_and_validate(headers={"Authorization": f"Bearer {token}"})
        except BaseExceptionGroup as group:
            for failure in group.exceptions:
                failures.setdefault(f"{operation.label}: {failure}", str(group)[-1500:])

    call()
    return failures


@pytest.mark.parametrize(
    ("database_url", "role"), [("postgres", "admin"), ("sqlite", "user")], indirect=["database_url"]
)
def test_fuzzed_operations_answer_as_documented_and_never_500(
    app: Flask, world: factories.World, role: str
) -> None:
    """Each operation's generated requests, valid and not, pass every schemathesis check."""
    token = world.admin_token if role == "admin" else world.user_token
    config = SchemathesisConfig.from_dict(CONFIG)
    schema = schemathesis.openapi.from_wsgi("/openapi.json", isolated_requests(app), config=config)
    failures: dict[str, str] = {}
    for result in schema.get_all_operations():
        failures |= fuzz_operation(result.ok(), token)
    assert not failures, "\n\n".join(f"{title}\n{how}" for title, how in failures.items())
