"""GET /healthz says whether the database and the bus answer, naming the failing part."""

from __future__ import annotations

import pytest

from tests.conftest import app_environment
from tests.services import REDIS_URL, redis_reason, unavailable
from tracklog import create_app
from tracklog.config import Config


def test_healthy(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "database": "ok", "bus": "ok"}


def test_database_down_is_503_naming_it(tmp_path):
    environment = app_environment("postgresql+psycopg://nobody@127.0.0.1:1/none", tmp_path)
    app = create_app(Config(environment))
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.json["status"] == "unavailable"
    assert response.json["database"].startswith("error")
    assert response.json["bus"] == "ok"


def test_redis_bus_checked(database_url, tmp_path):
    if reason := redis_reason():
        unavailable("Redis", reason)
    ok = create_app(Config(app_environment(database_url, tmp_path, TRACKLOG_REDIS_URL=REDIS_URL)))
    assert ok.test_client().get("/healthz").json["bus"] == "ok"
    down = create_app(
        Config(app_environment(database_url, tmp_path, TRACKLOG_REDIS_URL="redis://127.0.0.1:1/0"))
    )
    response = down.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.json["bus"].startswith("error")


@pytest.mark.parametrize("method", ["POST", "DELETE"])
def test_healthz_is_read_only(client, method):
    assert client.open("/healthz", method=method).status_code == 405
