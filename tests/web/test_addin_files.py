"""The add-in's files, its configuration and its local sign-in dialog, served by the app."""

from __future__ import annotations

import json
import re

import pytest

from tests.factories import PASSWORD
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
