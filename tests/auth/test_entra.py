"""Entra ID access tokens, checked for real against the stub identity provider over HTTPS."""

from __future__ import annotations

import time

import jwt
import pytest
from flask import Flask

from tests import factories
from tests.auth.conftest import (
    AUDIENCE,
    CLIENT_ID,
    FOREIGN_TENANT_ID,
    TENANT_ID,
    UNLINKED_TENANT_ID,
)
from tests.idp_stub import StubIdentityProvider, closed_port_url, new_signing_key
from tracklog.auth.accounts import password_matches
from tracklog.auth.entra import (
    MIN_REFRESH_SECONDS,
    EntraKeyCache,
    user_for_entra_token,
    validate_entra_token,
)
from tracklog.errors import Unauthorized
from tracklog.extensions import db
from tracklog.models import Account, User


class FakeClock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        """Let time pass."""
        self.now += seconds


@pytest.fixture
def account(app: Flask) -> Account:
    """An account linked to the stub's first tenant."""
    account = factories.make_account("Acme Sales")
    account.entra_tenant_id = TENANT_ID
    db.session.commit()
    return account


def rejection_code(token: str, **kwargs: object) -> str:
    """The code of the Unauthorized error validating the token raises."""
    with pytest.raises(Unauthorized) as caught:
        validate_entra_token(token, **kwargs)
    assert caught.value.status == 401
    assert caught.value.message
    return caught.value.code


def test_first_token_provisions_user_and_later_tokens_find_the_same_user(
    account: Account, idp: StubIdentityProvider
):
    oid = "0f8fad5b-d9cb-469f-a165-70867728950e"
    user = user_for_entra_token(idp.token(TENANT_ID, AUDIENCE, oid=oid))
    assert (user.account_id, user.email, user.display_name, user.role) == (
        account.id,
        "carol@acme.example",
        "Carol Danvers",
        "user",
    )
    assert (user.entra_tenant_id, user.entra_object_id) == (TENANT_ID, oid)
    assert user.password_hash is None

    again = user_for_entra_token(idp.token(TENANT_ID, AUDIENCE, oid=oid, name="Carol D."))
    assert again.id == user.id
    assert db.session.scalar(db.select(db.func.count(User.id))) == 1
    assert (idp.hit_count("metadata"), idp.hit_count("jwks")) == (1, 1)


def test_upn_is_the_address_when_preferred_username_is_missing(
    account: Account, idp: StubIdentityProvider
):
    token = idp.token(TENANT_ID, AUDIENCE, preferred_username=None, upn="Dave@Acme.Example")
    assert user_for_entra_token(token).email == "dave@acme.example"


def test_existing_local_user_with_the_address_is_linked_not_duplicated(
    account: Account, idp: StubIdentityProvider
):
    local = factories.make_user(account, "carol@acme.example", role="admin")
    user = user_for_entra_token(idp.token(TENANT_ID, AUDIENCE, oid="oid-of-carol"))
    assert user.id == local.id
    assert (user.role, user.entra_object_id, user.entra_tenant_id) == (
        "admin",
        "oid-of-carol",
        TENANT_ID,
    )
    assert password_matches(user, factories.PASSWORD)
    assert db.session.scalar(db.select(db.func.count(User.id))) == 1


def test_address_of_a_user_of_another_account_is_not_taken_over(
    account: Account, idp: StubIdentityProvider
):
    factories.make_user(factories.make_account("Globex"), "carol@acme.example")
    with pytest.raises(Unauthorized) as caught:
        user_for_entra_token(idp.token(TENANT_ID, AUDIENCE))
    assert caught.value.code == "user_email_taken"


def test_local_user_linked_to_another_entra_identity_is_not_relinked(
    account: Account, idp: StubIdentityProvider
):
    user_for_entra_token(idp.token(TENANT_ID, AUDIENCE, oid="first-oid"))
    with pytest.raises(Unauthorized) as caught:
        user_for_entra_token(idp.token(TENANT_ID, AUDIENCE, oid="second-oid"))
    assert caught.value.code == "user_email_taken"


def test_tenant_without_account_provisions_nobody(app: Flask, idp: StubIdentityProvider):
    with pytest.raises(Unauthorized) as caught:
        user_for_entra_token(idp.token(UNLINKED_TENANT_ID, AUDIENCE))
    assert caught.value.code == "tenant_has_no_account"
    assert db.session.scalar(db.select(db.func.count(User.id))) == 0


def test_deactivated_user_is_refused(account: Account, idp: StubIdentityProvider):
    user = user_for_entra_token(idp.token(TENANT_ID, AUDIENCE, oid="oid-of-carol"))
    user.active = False
    db.session.commit()
    with pytest.raises(Unauthorized) as caught:
        user_for_entra_token(idp.token(TENANT_ID, AUDIENCE, oid="oid-of-carol"))
    assert caught.value.code == "user_inactive"


def test_token_without_usable_address_provisions_nobody(
    account: Account, idp: StubIdentityProvider
):
    token = idp.token(TENANT_ID, AUDIENCE, preferred_username="not an address")
    with pytest.raises(Unauthorized) as caught:
        user_for_entra_token(token)
    assert caught.value.code == "token_email_missing"


def test_client_id_and_sso_application_uri_are_both_accepted_audiences(
    app: Flask, idp: StubIdentityProvider
):
    for audience in (CLIENT_ID, AUDIENCE):
        assert validate_entra_token(idp.token(TENANT_ID, audience))["aud"] == audience


def test_issuer_template_of_multi_tenant_metadata_is_filled_with_the_tenant(
    app: Flask, idp: StubIdentityProvider
):
    idp.templated_issuer = True
    assert validate_entra_token(idp.token(TENANT_ID, AUDIENCE))["tid"] == TENANT_ID


def test_forged_signature_is_refused(app: Flask, idp: StubIdentityProvider):
    claims = idp.claims(TENANT_ID, AUDIENCE)
    forged = idp.sign(claims, kid=idp.current_kid, key=new_signing_key())
    assert rejection_code(forged) == "token_signature_invalid"


def test_altered_claims_break_the_signature(app: Flask, idp: StubIdentityProvider):
    header, payload, signature = idp.token(TENANT_ID, AUDIENCE).split(".")
    other = idp.token(TENANT_ID, AUDIENCE, oid="someone-else").split(".")[1]
    assert rejection_code(f"{header}.{other}.{signature}") == "token_signature_invalid"


def test_symmetric_or_unsigned_tokens_are_refused(app: Flask, idp: StubIdentityProvider):
    claims = idp.claims(TENANT_ID, AUDIENCE)
    headers = {"kid": idp.current_kid}
    hs256 = jwt.encode(claims, "a-shared-secret-of-at-least-32-bytes", "HS256", headers=headers)
    unsigned = jwt.encode(claims, None, algorithm="none", headers=headers)
    assert rejection_code(hs256) == "token_signature_invalid"
    assert rejection_code(unsigned) == "token_signature_invalid"


def test_token_for_another_application_is_refused(app: Flask, idp: StubIdentityProvider):
    token = idp.token(TENANT_ID, "api://tracklog.test/00000000-0000-0000-0000-000000000000")
    assert rejection_code(token) == "token_audience_invalid"


def test_token_of_another_issuer_is_refused(app: Flask, idp: StubIdentityProvider):
    token = idp.token(TENANT_ID, AUDIENCE, iss=f"https://sts.windows.net/{TENANT_ID}/")
    assert rejection_code(token) == "token_issuer_invalid"


def test_tenant_outside_the_allow_list_is_refused_without_asking_the_provider(
    app: Flask, idp: StubIdentityProvider
):
    assert rejection_code(idp.token(FOREIGN_TENANT_ID, AUDIENCE)) == "token_tenant_not_allowed"
    assert idp.hits == []


def test_expired_token_is_refused_after_the_leeway(app: Flask, idp: StubIdentityProvider):
    now = int(time.time())
    assert validate_entra_token(idp.token(TENANT_ID, AUDIENCE, exp=now - 30))
    assert rejection_code(idp.token(TENANT_ID, AUDIENCE, exp=now - 120)) == "token_expired"


def test_token_not_yet_valid_is_refused(app: Flask, idp: StubIdentityProvider):
    now = int(time.time())
    assert validate_entra_token(idp.token(TENANT_ID, AUDIENCE, nbf=now + 30))
    token = idp.token(TENANT_ID, AUDIENCE, nbf=now + 300, iat=now)
    assert rejection_code(token) == "token_not_yet_valid"


def test_token_without_the_add_in_scope_is_refused(app: Flask, idp: StubIdentityProvider):
    assert rejection_code(idp.token(TENANT_ID, AUDIENCE, scp="User.Read")) == "token_scope_missing"
    app_only = idp.token(TENANT_ID, AUDIENCE, scp=None, roles=["access_as_user"])
    assert rejection_code(app_only) == "token_scope_missing"


def test_garbage_and_tokens_missing_claims_are_malformed(app: Flask, idp: StubIdentityProvider):
    assert rejection_code("not-a-jwt") == "token_malformed"
    assert rejection_code(idp.token(TENANT_ID, AUDIENCE, tid=None)) == "token_malformed"
    assert rejection_code(idp.token(TENANT_ID, AUDIENCE, oid=None)) == "token_malformed"
    assert rejection_code(idp.token(TENANT_ID, AUDIENCE, exp=None)) == "token_malformed"


def test_unknown_key_is_refetched_at_most_once_per_interval(app: Flask, idp: StubIdentityProvider):
    clock = FakeClock()
    keys = EntraKeyCache(clock=clock)
    claims = idp.claims(TENANT_ID, AUDIENCE)
    stranger = idp.sign(claims, kid="never-published", key=new_signing_key())
    assert rejection_code(stranger, keys=keys) == "token_unknown_key"
    assert rejection_code(stranger, keys=keys) == "token_unknown_key"
    assert idp.hit_count("jwks") == 1

    clock.advance(MIN_REFRESH_SECONDS)
    assert rejection_code(stranger, keys=keys) == "token_unknown_key"
    assert idp.hit_count("jwks") == 2


def test_rotated_key_is_picked_up_by_refetching_the_keys(app: Flask, idp: StubIdentityProvider):
    clock = FakeClock()
    keys = EntraKeyCache(clock=clock)
    old_token = idp.token(TENANT_ID, AUDIENCE)
    assert validate_entra_token(old_token, keys=keys)

    clock.advance(MIN_REFRESH_SECONDS)
    idp.rotate()
    new_token = idp.token(TENANT_ID, AUDIENCE)
    assert validate_entra_token(new_token, keys=keys)
    assert (idp.hit_count("metadata"), idp.hit_count("jwks")) == (1, 2)
    assert rejection_code(old_token, keys=keys) == "token_unknown_key"


def test_keys_are_kept_while_the_provider_is_down(app: Flask, idp: StubIdentityProvider):
    clock = FakeClock()
    keys = EntraKeyCache(clock=clock)
    assert validate_entra_token(idp.token(TENANT_ID, AUDIENCE), keys=keys)
    idp.failing = {"metadata", "jwks"}
    clock.advance(2 * keys.max_age)
    assert validate_entra_token(idp.token(TENANT_ID, AUDIENCE), keys=keys)
    assert (idp.hit_count("metadata"), idp.hit_count("jwks")) == (2, 2)


def test_unreachable_provider_is_reported(app: Flask, idp: StubIdentityProvider):
    token = idp.token(TENANT_ID, AUDIENCE)
    app.config["ENTRA_AUTHORITY"] = closed_port_url()
    assert rejection_code(token) == "identity_provider_unreachable"


def test_failing_key_endpoint_is_reported_as_unreachable(app: Flask, idp: StubIdentityProvider):
    idp.failing = {"jwks"}
    assert rejection_code(idp.token(TENANT_ID, AUDIENCE)) == "identity_provider_unreachable"


def test_provider_with_an_untrusted_certificate_is_not_believed(
    app: Flask, idp: StubIdentityProvider
):
    app.config["ENTRA_CA_BUNDLE"] = None
    assert rejection_code(idp.token(TENANT_ID, AUDIENCE)) == "identity_provider_unreachable"
    assert idp.hits == []


def test_entra_tokens_are_refused_when_entra_is_not_configured(
    app: Flask, idp: StubIdentityProvider
):
    app.config["ENTRA_CLIENT_ID"] = None
    assert rejection_code(idp.token(TENANT_ID, AUDIENCE)) == "entra_not_configured"


def test_api_accepts_an_entra_token(account: Account, client, idp: StubIdentityProvider):
    token = idp.token(TENANT_ID, AUDIENCE)
    response = client.get("/api/v1/contacts", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.json
    assert response.json == {"items": [], "next_cursor": None}


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"exp": int(time.time()) - 600}, "token_expired"),
        ({"tid": FOREIGN_TENANT_ID}, "token_tenant_not_allowed"),
        ({"scp": "Mail.Read"}, "token_scope_missing"),
    ],
)
def test_api_refuses_a_bad_entra_token_in_the_error_shape(
    account: Account, client, idp: StubIdentityProvider, overrides: dict, code: str
):
    tenant = overrides.get("tid", TENANT_ID)
    claims = idp.claims(TENANT_ID, AUDIENCE, iss=idp.issuer(tenant), **overrides)
    token = idp.sign(claims)
    response = client.get("/api/v1/contacts", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401
    assert response.json == {
        "error": {"code": code, "message": response.json["error"]["message"], "details": {}}
    }
    assert response.json["error"]["message"]
