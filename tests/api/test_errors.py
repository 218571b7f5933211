"""Every error under /api/v1 has the contract's JSON shape; never HTML, never a traceback."""

from __future__ import annotations

import pytest
from flask import Flask

from tests.api.test_records import assert_error
from tests.crm.test_board_pages import sign_in
from tracklog.auth.tokens import list_tokens, revoke_token
from tracklog.extensions import db


def test_unknown_route_is_json_404(api, world):
    assert_error(api.get("/no-such-thing"), 404, "not_found")


def test_wrong_method_is_json_405(api, world):
    response = api.call("PUT", "/contacts")
    assert_error(response, 405, "method_not_allowed")
    assert "GET" in response.headers["Allow"]


def test_too_large_body_is_json_413(app, api, world):
    app.config["MAX_CONTENT_LENGTH"] = 1024
    response = api.post("/contacts", {"email": "a@b.example", "first_name": "x" * 5000})
    assert_error(response, 413, "request_entity_too_large")


def test_bug_is_json_500_without_traceback(app: Flask, world):
    @app.get("/api/v1/explode")
    def explode():
        """A view with a bug."""
        raise RuntimeError("secret internals")

    client = app.test_client()
    app.config["PROPAGATE_EXCEPTIONS"] = False
    response = client.get(
        "/api/v1/explode", headers={"Authorization": f"Bearer {world.user_token}"}
    )
    error = assert_error(response, 500, "internal_error")
    assert "secret internals" not in response.get_data(as_text=True)
    assert "Traceback" not in error["message"]


@pytest.mark.parametrize(
    ("header", "code"),
    [
        (None, "authentication_required"),
        ("Basic dXNlcjpwYXNz", "authentication_required"),
        ("Bearer ", "authentication_required"),
        ("Bearer tlp_not-a-real-token", "invalid_token"),
    ],
)
def test_missing_or_bad_credentials(client, world, header, code):
    headers = {"Authorization": header} if header else {}
    assert_error(client.get("/api/v1/contacts", headers=headers), 401, code)


def test_revoked_token_is_refused(api, world):
    assert api.get("/contacts").status_code == 200
    token = world.user_token
    revoke_token(world.user, list_tokens(world.user)[0].id)
    assert_error(api.as_token(token).get("/contacts"), 401, "token_revoked")


def test_deactivated_users_token_is_refused(api, world):
    world.user.active = False
    db.session.commit()
    assert_error(api.as_token(world.user_token).get("/contacts"), 401, "user_inactive")


def test_token_records_last_use(api, world):
    assert list_tokens(world.user)[0].last_used_at is None
    api.as_token(world.user_token).get("/contacts")
    db.session.expire_all()
    assert list_tokens(world.user)[0].last_used_at is not None


def test_errors_follow_the_callers_language(client, world):
    response = client.get(
        "/api/v1/contacts", headers={"Accept-Language": "ja", "Authorization": "Bearer tlp_x"}
    )
    assert response.status_code == 401
    english = client.get("/api/v1/contacts", headers={"Authorization": "Bearer tlp_x"})
    assert response.json["error"]["code"] == english.json["error"]["code"]
    assert response.json["error"]["message"] != english.json["error"]["message"]


def test_web_pages_get_html_errors(client, world):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert response.mimetype == "text/html"


@pytest.mark.parametrize(
    ("accept", "mimetype"),
    [
        ("text/html,application/xhtml+xml,*/*;q=0.8", "text/html"),
        ("*/*", "text/html"),
        ("application/json", "application/json"),
        ("application/json, text/plain, */*", "application/json"),
    ],
)
def test_a_pages_error_is_json_when_the_client_prefers_json(client, world, accept, mimetype):
    sign_in(client, world.user)
    response = client.get("/contacts/999999", headers={"Accept": accept})
    assert response.status_code == 404 and response.mimetype == mimetype
    if mimetype == "application/json":
        assert_error(response, 404, "not_found")


def test_me_gives_the_user_and_the_accounts_defaults(api, world):
    me = api.get("/me").json
    assert me["email"] == "alice@acme.example" and me["role"] == "admin"
    assert me["track_by_default"] is True and me["log_by_default"] is True
    assert me["bcc"] == f"log+{world.account.bcc_key}@bcc.tracklog.test"


def test_the_addin_gets_a_personal_token_for_its_send_handler(api, world):
    from tracklog.auth.tokens import user_for_token

    response = api.post("/me/addin-token", {"name": "Outlook on Windows"})
    assert response.status_code == 201
    assert user_for_token(response.json["token"]).id == world.admin.id
