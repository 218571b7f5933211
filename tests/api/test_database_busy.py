"""No database connection free in time: a 503 to retry, never a 500 (the soak saw 500s)."""

from __future__ import annotations

import pytest
from flask import Flask

from tests.api.test_records import assert_error
from tracklog.extensions import db


@pytest.fixture
def app_config(app_config: dict) -> dict:
    """A pool of one connection, given up on at once when it is taken."""
    pool = {"pool_size": 1, "max_overflow": 0, "pool_timeout": 0.1}
    return {**app_config, "SQLALCHEMY_ENGINE_OPTIONS": pool}


def test_no_free_database_connection_is_a_503_to_retry(app: Flask, alice, world):
    held = db.engine.connect()  # the pool's only connection, as a busy worker holds them all
    try:
        headers = {"Authorization": f"Bearer {world.user_token}"}
        response = alice.get("/api/v1/contacts", headers=headers)
        assert_error(response, 503, "database_unavailable")
        assert response.headers["Retry-After"] == "5"
        page = alice.get("/contacts", headers={"Accept": "text/html"})
        assert (page.status_code, page.mimetype) == (503, "text/plain")
    finally:
        held.close()
    assert alice.get("/api/v1/contacts", headers=headers).status_code == 200
