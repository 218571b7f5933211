"""The add-in's files, its configuration and its local sign-in dialog, served by the app."""

from __future__ import annotations

import json
import re

import pytest

from tests.factories import PASSWORD, ApiClient
from tracklog.auth.tokens import user_for_token


def test_addin_files_are_served_with_script_types(client, world):
    response = client.get("/addin/office.js")
    assert response.status_code == 200
    assert response.mimetype in {"text/javascript", "application/javascript"}
    assert b"export" in response.data


@pytest.mark.parametrize(
    "path", ["/addin/../setup.py", "/addin/%2e%2e/setup.py", "/taskpane/../../README.md"]
)
def test_nothing_outside_the_folders_is_served(client, world, path):
    assert client.get(path).status_code == 404


def test_config_names_the_server_and_the_entra_client(client, world):
    assert client.get("/addin/config.json").json == {
        "baseUrl": "https://tracklog.test",
        "entraClientId": None,
    }


def test_sign_in_dialog_yields_a_personal_token(client, world):
    page = client.post(
        "/addin/sign-in", data={"email": "alice@acme.example", "password": PASSWORD}
    ).get_data(as_text=True)
    payload = re.search(r'id="tracklog-token">([^<]+)<', page).group(1)
    token = json.loads(payload)["token"]
    assert user_for_token(token).email == "alice@acme.example"


def test_sign_in_dialog_refuses_a_wrong_password(client, world):
    page = client.post(
        "/addin/sign-in", data={"email": "alice@acme.example", "password": "nope"}
    ).get_data(as_text=True)
    assert "tracklog-token" not in page and "wrong" in page


def test_the_dialogs_token_gets_the_send_handler_a_compose_scoped_one(client, world):
    """What the pane does after the dialog: the full token stays in the pane, and the token it
    puts in the roaming settings for the send handler may only prepare and log mail."""
    page = client.post(
        "/addin/sign-in", data={"email": "alice@acme.example", "password": PASSWORD}
    ).get_data(as_text=True)
    full = json.loads(re.search(r'id="tracklog-token">([^<]+)<', page).group(1))["token"]
    pane = ApiClient(client, full)
    assert pane.get("/contacts").status_code == 200
    shared = pane.post("/me/addin-token", {"name": "Outlook add-in"})
    assert shared.status_code == 201 and shared.json["scope"] == "compose"
    handler = ApiClient(client, shared.json["token"])
    assert handler.get("/me").status_code == 200
    refused = handler.get("/contacts")
    assert refused.status_code == 403 and refused.json["error"]["code"] == "token_scope"
    scopes = {item["scope"] for item in pane.get("/tokens").json["items"]}
    assert scopes == {"full", "compose"}
