"""Entra ID access tokens of the add-in: checked against the tenant's keys, mapped to users."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import jwt
import requests
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from tracklog.auth.invitations import claim_invitation
from tracklog.errors import Unauthorized, ValidationFailed
from tracklog.extensions import db
from tracklog.mailaddress import normalise_email
from tracklog.models import Account, User

log = logging.getLogger(__name__)

REQUIRED_SCOPE = "access_as_user"
ALGORITHM = "RS256"
LEEWAY_SECONDS = 60
HTTP_TIMEOUT_SECONDS = 10
# Microsoft.IdentityModel's defaults: keys are re-read at most every 5 minutes on an unknown
# `kid`, and every day in any case (Entra publishes new keys well before signing with them).
MIN_REFRESH_SECONDS = 5 * 60
MAX_AGE_SECONDS = 24 * 60 * 60
MAX_ID_LENGTH = 64


class IdentityProviderError(Exception):
    """The identity provider's metadata or keys could not be fetched or read."""


def identity_provider_session(ca_bundle: str | None) -> requests.Session:
    """An HTTP session for the identity provider, trusting only the configured CA bundle."""
    session = requests.Session()
    # The host's REQUESTS_CA_BUNDLE and proxy variables must not decide whom we trust.
    session.trust_env = False
    session.verify = ca_bundle or True
    return session


def _fetch_json(url: str, ca_bundle: str | None) -> dict[str, Any]:
    """A JSON object from the identity provider, or IdentityProviderError."""
    try:
        with identity_provider_session(ca_bundle) as session:
            response = session.get(url, timeout=HTTP_TIMEOUT_SECONDS)
        response.raise_for_status()
        document = response.json()
    except (requests.RequestException, ValueError) as error:
        raise IdentityProviderError(f"{url}: {error}") from error
    if not isinstance(document, dict):
        raise IdentityProviderError(f"{url}: not a JSON object")
    return document


def _signing_keys(jwks: Mapping[str, Any]) -> dict[str, jwt.PyJWK]:
    """The RSA signing keys of a JWKS document, by `kid`."""
    keys: dict[str, jwt.PyJWK] = {}
    entries = jwks.get("keys")
    for entry in entries if isinstance(entries, list) else []:
        if not isinstance(entry, dict) or entry.get("kty") != "RSA":
            continue
        if entry.get("use", "sig") != "sig" or not isinstance(entry.get("kid"), str):
            continue
        try:
            keys[entry["kid"]] = jwt.PyJWK(entry, algorithm=ALGORITHM)
        except jwt.PyJWTError as error:
            log.warning("skipping unreadable signing key %s: %s", entry["kid"], error)
    return keys


@dataclass
class TenantKeys:
    """What is known of one tenant: its issuer, where its keys are, and the keys."""

    issuer: str
    jwks_uri: str
    metadata_at: float
    keys: dict[str, jwt.PyJWK] = field(default_factory=dict)
    keys_attempted_at: float | None = None
    keys_at: float | None = None


class EntraKeyCache:
    """OIDC metadata and signing keys per tenant, shared by the whole process."""

    def __init__(
        self,
        *,
        min_refresh_interval: float = MIN_REFRESH_SECONDS,
        max_age: float = MAX_AGE_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.min_refresh_interval = min_refresh_interval
        self.max_age = max_age
        self.clock = clock
        self._tenants: dict[tuple[str, str], TenantKeys] = {}
        self._lock = threading.Lock()

    def clear(self) -> None:
        """Forget every tenant, so the next token fetches metadata and keys again."""
        with self._lock:
            self._tenants.clear()

    def signing_key(
        self, authority: str, tenant_id: str, kid: str, *, ca_bundle: str | None = None
    ) -> tuple[jwt.PyJWK, str]:
        """The tenant's key with this `kid` and the tenant's issuer, fetching them when needed."""
        # One lock for all tenants: fetches are rare, and it keeps a burst from fetching twice.
        with self._lock:
            tenant = self._tenant(authority, tenant_id, ca_bundle)
            if self._keys_need_refresh(tenant, kid):
                self._refresh_keys(tenant, ca_bundle)
            key = tenant.keys.get(kid)
        if key is None:
            raise Unauthorized(
                _("The token is signed with a key the tenant does not publish."),
                code="token_unknown_key",
            )
        return key, tenant.issuer

    def _tenant(self, authority: str, tenant_id: str, ca_bundle: str | None) -> TenantKeys:
        """The tenant's metadata, fetched on first use and once a day after."""
        now = self.clock()
        tenant = self._tenants.get((authority, tenant_id))
        if tenant is not None and now - tenant.metadata_at < self.max_age:
            return tenant
        url = f"{authority}/{tenant_id}/v2.0/.well-known/openid-configuration"
        try:
            metadata = _fetch_json(url, ca_bundle)
            issuer, jwks_uri = metadata.get("issuer"), metadata.get("jwks_uri")
            if not isinstance(issuer, str) or not isinstance(jwks_uri, str):
                raise IdentityProviderError(f"{url}: no issuer or jwks_uri")
        except IdentityProviderError as error:
            if tenant is None:
                raise _unreachable(error) from None
            log.warning("keeping stale metadata of tenant %s: %s", tenant_id, error)
            # Try again after the refresh interval, not a whole day later.
            tenant.metadata_at = now - self.max_age + self.min_refresh_interval
            return tenant
        # The multi-tenant metadata names the issuer with a placeholder for the tenant.
        issuer = issuer.replace("{tenantid}", tenant_id)
        if tenant is None or tenant.jwks_uri != jwks_uri:
            tenant = TenantKeys(issuer=issuer, jwks_uri=jwks_uri, metadata_at=now)
        else:
            tenant.issuer, tenant.metadata_at = issuer, now
        self._tenants[(authority, tenant_id)] = tenant
        return tenant

    def _keys_need_refresh(self, tenant: TenantKeys, kid: str) -> bool:
        """Whether to fetch the keys: never fetched, a day old, or an unknown `kid` (rotation)."""
        if tenant.keys_attempted_at is None or not tenant.keys:
            return True
        now = self.clock()
        if now - tenant.keys_attempted_at < self.min_refresh_interval:
            return False
        return kid not in tenant.keys or now - (tenant.keys_at or 0.0) >= self.max_age

    def _refresh_keys(self, tenant: TenantKeys, ca_bundle: str | None) -> None:
        """Fetch the tenant's keys; old keys stay in use when the provider cannot be reached."""
        tenant.keys_attempted_at = self.clock()
        try:
            keys = _signing_keys(_fetch_json(tenant.jwks_uri, ca_bundle))
            if not keys:
                raise IdentityProviderError(f"{tenant.jwks_uri}: no RSA signing keys")
        except IdentityProviderError as error:
            if not tenant.keys:
                raise _unreachable(error) from None
            log.warning("keeping stale signing keys from %s: %s", tenant.jwks_uri, error)
            return
        tenant.keys, tenant.keys_at = keys, tenant.keys_attempted_at


def _unreachable(error: IdentityProviderError) -> Unauthorized:
    """The error for a token that cannot be checked because the provider did not answer."""
    log.warning("identity provider unreachable: %s", error)
    return Unauthorized(
        _("Microsoft Entra ID could not be reached to check the token. Try again later."),
        code="identity_provider_unreachable",
    )


entra_keys = EntraKeyCache()


def accepted_audiences(client_id: str, base_url: str) -> list[str]:
    """The audiences of this add-in's tokens: the client id and its Office SSO application URI."""
    return [client_id, f"api://{urlsplit(base_url).netloc}/{client_id}"]


def _malformed(message: str, **details: Any) -> Unauthorized:
    """The error for a token that is not a well-formed Entra ID access token."""
    return Unauthorized(message, code="token_malformed", details=details)


def _unverified_token(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The header and claims of a token before its signature is checked."""
    try:
        return jwt.get_unverified_header(token), jwt.decode(
            token, options={"verify_signature": False}
        )
    except jwt.PyJWTError:
        raise _malformed(_("The token is not a valid JSON Web Token.")) from None


def _rejection(error: jwt.PyJWTError) -> Unauthorized:
    """The Unauthorized error naming why PyJWT refused a token."""
    if isinstance(error, jwt.InvalidSignatureError | jwt.InvalidAlgorithmError):
        return Unauthorized(
            _("The token's signature is not valid."), code="token_signature_invalid"
        )
    if isinstance(error, jwt.ExpiredSignatureError):
        return Unauthorized(_("The token has expired."), code="token_expired")
    if isinstance(error, jwt.ImmatureSignatureError):
        return Unauthorized(_("The token is not valid yet."), code="token_not_yet_valid")
    if isinstance(error, jwt.InvalidAudienceError):
        return Unauthorized(
            _("The token was issued for another application."), code="token_audience_invalid"
        )
    if isinstance(error, jwt.InvalidIssuerError):
        return Unauthorized(
            _("The token was not issued by the tenant's identity provider."),
            code="token_issuer_invalid",
        )
    if isinstance(error, jwt.MissingRequiredClaimError):
        return _malformed(
            _("The token lacks the claim %(claim)s.", claim=error.claim), claim=error.claim
        )
    return _malformed(_("The token is not a valid access token."))


def _short_id(value: Any) -> bool:
    """Whether a claim is a plausible tenant or object id."""
    return isinstance(value, str) and 0 < len(value) <= MAX_ID_LENGTH


def validate_entra_token(token: str, *, keys: EntraKeyCache | None = None) -> dict[str, Any]:
    """The claims of an access token to this add-in, or Unauthorized saying what is wrong."""
    config = current_app.config
    client_id = config.get("ENTRA_CLIENT_ID")
    if not client_id:
        raise Unauthorized(
            _("Microsoft Entra ID sign-in is not configured."), code="entra_not_configured"
        )
    header, unverified = _unverified_token(token)
    tenant_id = unverified.get("tid")
    if not _short_id(tenant_id):
        raise _malformed(_("The token names no tenant."), claim="tid")
    if tenant_id.lower() not in {tenant.lower() for tenant in config.get("ENTRA_TENANTS", ())}:
        raise Unauthorized(
            _("The token's tenant is not allowed to use this server."),
            code="token_tenant_not_allowed",
        )
    if header.get("alg") != ALGORITHM:
        raise Unauthorized(_("The token's signature is not valid."), code="token_signature_invalid")
    kid = header.get("kid")
    if not isinstance(kid, str) or not kid:
        raise _malformed(_("The token does not name its signing key."), header="kid")
    key, issuer = (keys or entra_keys).signing_key(
        config["ENTRA_AUTHORITY"], tenant_id, kid, ca_bundle=config.get("ENTRA_CA_BUNDLE")
    )
    try:
        claims = jwt.decode(
            token,
            key.key,
            algorithms=[ALGORITHM],
            audience=accepted_audiences(client_id, config["BASE_URL"]),
            issuer=issuer,
            leeway=LEEWAY_SECONDS,
            options={"require": ["exp", "iss", "aud", "tid", "oid"]},
        )
    except jwt.PyJWTError as error:
        raise _rejection(error) from None
    if not _short_id(claims["oid"]) or claims["tid"] != tenant_id:
        raise _malformed(_("The token's user or tenant is not valid."), claim="oid")
    scopes = claims.get("scp")
    if not isinstance(scopes, str) or REQUIRED_SCOPE not in scopes.split():
        raise Unauthorized(
            _("The token does not grant the scope %(scope)s.", scope=REQUIRED_SCOPE),
            code="token_scope_missing",
        )
    return claims


def user_for_entra_token(token: str) -> User:
    """The active user an Entra ID access token stands for, provisioned on first sight."""
    claims = validate_entra_token(token)
    user = _linked_user(claims["tid"], claims["oid"]) or provision_entra_user(claims)
    if not user.active:
        raise Unauthorized(_("This user is deactivated."), code="user_inactive")
    return user


def _linked_user(tenant_id: str, object_id: str) -> User | None:
    """The user already linked to this Entra ID identity."""
    query = db.select(User).filter_by(entra_tenant_id=tenant_id, entra_object_id=object_id)
    return db.session.scalar(query)


def _email_of(claims: Mapping[str, Any]) -> str:
    """The normalised address of the token's user, or Unauthorized."""
    for claim in ("preferred_username", "upn"):
        value = claims.get(claim)
        if isinstance(value, str) and value.strip():
            try:
                return normalise_email(value)
            except ValidationFailed:
                continue
    raise Unauthorized(
        _("The token carries no usable email address of the user."), code="token_email_missing"
    )


def provision_entra_user(claims: Mapping[str, Any]) -> User:
    """Link the tenant's user with the token's address, or create that user in the account."""
    tenant_id, object_id = claims["tid"], claims["oid"]
    account = db.session.scalar(db.select(Account).filter_by(entra_tenant_id=tenant_id))
    if account is None:
        raise Unauthorized(
            _("No tracklog account is linked to this Microsoft Entra ID tenant."),
            code="tenant_has_no_account",
        )
    email = _email_of(claims)
    user = db.session.scalar(db.select(User).filter_by(email=email))
    if user is None:
        name = claims.get("name")
        invitation = claim_invitation(account, email)
        user = User(
            account_id=account.id,
            email=email,
            display_name=(
                name.strip() if isinstance(name, str) and name.strip() else email.split("@")[0]
            )[:200],
            role=invitation.role if invitation else "user",
        )
        db.session.add(user)
    elif user.account_id != account.id or user.entra_object_id is not None:
        raise _email_taken(email)
    user.entra_tenant_id, user.entra_object_id = tenant_id, object_id
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        # A concurrent request of the same person may have provisioned them first.
        user = _linked_user(tenant_id, object_id)
        if user is None:
            raise _email_taken(email) from None
    return user


def _email_taken(email: str) -> Unauthorized:
    """The error for an address that belongs to another tracklog user."""
    return Unauthorized(
        _("The address %(email)s is already used by another tracklog user.", email=email),
        code="user_email_taken",
    )
