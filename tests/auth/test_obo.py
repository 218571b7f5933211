"""The on-behalf-of exchange through MSAL, against the stub's token endpoint over HTTPS."""

from __future__ import annotations

from typing import Any

import jwt
import pytest

from tests.auth.conftest import AUDIENCE, TENANT_ID
from tests.idp_stub import GRAPH, JWT_BEARER, StubIdentityProvider, closed_port_url
from tracklog.auth.obo import (
    InteractionRequired,
    OnBehalfOfClient,
    OnBehalfOfFailed,
    OnBehalfOfNotConfigured,
)

USER_READ = f"{GRAPH}/User.Read"


def graph_client(settings: dict[str, Any]) -> OnBehalfOfClient:
    """An on-behalf-of client of the stub's first tenant."""
    return OnBehalfOfClient.from_config(settings, TENANT_ID)


def test_user_token_is_exchanged_for_a_graph_token(
    entra_settings: dict[str, Any], idp: StubIdentityProvider
):
    assertion = idp.token(TENANT_ID, AUDIENCE, oid="oid-of-carol")
    client = graph_client(entra_settings)

    token = client.acquire_token(assertion, [USER_READ])

    assert token.scopes == (USER_READ,)
    assert token.expires_in == 3599
    claims = jwt.decode(token.access_token, options={"verify_signature": False})
    assert (claims["aud"], claims["oid"], claims["scp"]) == (GRAPH, "oid-of-carol", "User.Read")
    sent = idp.token_requests[-1]
    assert sent["grant_type"] == JWT_BEARER
    assert sent["requested_token_use"] == "on_behalf_of"
    assert sent["assertion"] == assertion

    client.acquire_token(assertion, [USER_READ])
    assert idp.hit_count("token") == 2
    assert idp.hit_count("metadata") == 1


def test_refused_assertion_asks_for_interaction(
    entra_settings: dict[str, Any], idp: StubIdentityProvider
):
    assertion = idp.token(TENANT_ID, "api://elsewhere.example/another-app")
    with pytest.raises(InteractionRequired) as caught:
        graph_client(entra_settings).acquire_token(assertion, [USER_READ])
    assert caught.value.status == 403
    assert caught.value.details["error"] == "invalid_grant"
    assert caught.value.details["description"].startswith("AADSTS50013")


def test_missing_consent_asks_for_interaction_with_the_claims(
    entra_settings: dict[str, Any], idp: StubIdentityProvider
):
    idp.token_error = {
        "error": "interaction_required",
        "error_description": "AADSTS50079: Due to a configuration change, you must use MFA.",
        "claims": '{"access_token":{"capolids":{"essential":true,"values":["1"]}}}',
    }
    with pytest.raises(InteractionRequired) as caught:
        graph_client(entra_settings).acquire_token(idp.token(TENANT_ID, AUDIENCE), [USER_READ])
    assert caught.value.code == "interaction_required"
    assert "capolids" in caught.value.details["claims"]


def test_wrong_client_secret_fails_with_the_reason(
    entra_settings: dict[str, Any], idp: StubIdentityProvider
):
    settings = {**entra_settings, "ENTRA_CLIENT_SECRET": "not-the-secret"}
    with pytest.raises(OnBehalfOfFailed) as caught:
        graph_client(settings).acquire_token(idp.token(TENANT_ID, AUDIENCE), [USER_READ])
    assert (caught.value.status, caught.value.code) == (502, "on_behalf_of_failed")
    assert "invalid_client" in caught.value.message
    assert caught.value.details["error"] == "invalid_client"


def test_unreachable_provider_fails_clearly(
    entra_settings: dict[str, Any], idp: StubIdentityProvider
):
    settings = {**entra_settings, "ENTRA_AUTHORITY": closed_port_url()}
    with pytest.raises(OnBehalfOfFailed) as caught:
        graph_client(settings).acquire_token(idp.token(TENANT_ID, AUDIENCE), [USER_READ])
    assert caught.value.code == "on_behalf_of_failed"
    assert "could not be reached" in caught.value.message


def test_provider_with_an_untrusted_certificate_is_not_used(
    entra_settings: dict[str, Any], idp: StubIdentityProvider
):
    settings = {**entra_settings, "ENTRA_CA_BUNDLE": None}
    with pytest.raises(OnBehalfOfFailed):
        graph_client(settings).acquire_token(idp.token(TENANT_ID, AUDIENCE), [USER_READ])
    assert idp.hits == []


def test_client_without_secret_is_not_configured(entra_settings: dict[str, Any]):
    settings = {**entra_settings, "ENTRA_CLIENT_SECRET": None}
    with pytest.raises(OnBehalfOfNotConfigured) as caught:
        graph_client(settings)
    assert caught.value.code == "entra_not_configured"
