"""Signing a user's Microsoft 365 mailbox in and keeping it signed in, through MSAL.

A mailbox is connected by the authorization code flow (Settings → Mailbox) or by the on-behalf-of
exchange of the add-in's single sign-on token (the pane). Either way MSAL's serialized token cache,
holding the refresh token, is the connection's sealed secret; every later access token comes from
it (acquire_token_silent), and a cache MSAL changed (a refresh) is sealed and saved again.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import msal
import requests
from flask import current_app
from flask_babel import gettext as _

from tracklog.auth.entra import HTTP_TIMEOUT_SECONDS, identity_provider_session
from tracklog.auth.obo import (
    INTERACTION_ERRORS,
    OnBehalfOfFailed,
    OnBehalfOfNotConfigured,
    refusal,
)
from tracklog.extensions import db
from tracklog.mailbox.connections import replace_secret, secret_of
from tracklog.models import Account, User
from tracklog.models.mailbox import MailboxConnection

GRAPH_RESOURCE = "https://graph.microsoft.com"
# MSAL adds offline_access (the refresh token), openid and profile by itself and refuses them here.
SCOPES = [f"{GRAPH_RESOURCE}/{name}" for name in ("Mail.ReadWrite", "Mail.Send", "User.Read")]
# Without a tenant of its own, a user signs in with any work or school account.
ANY_ORGANIZATION = "organizations"


class TokenRefused(Exception):
    """Entra ID will give no token for the mailbox until the user signs in again (consent was
    revoked, the refresh token expired or was withdrawn); the message says so to the user."""


class IdentityProviderUnavailable(Exception):
    """Entra ID could not be reached or failed; worth trying again later."""


def tenant_of(user: User) -> str:
    """The Entra ID tenant the user signs in with: theirs, their account's, or any."""
    if user.entra_tenant_id:
        return user.entra_tenant_id
    account = db.session.get(Account, user.account_id)
    return (account and account.entra_tenant_id) or ANY_ORGANIZATION


def require_entra_configuration() -> Mapping[str, Any]:
    """The app's settings, or OnBehalfOfNotConfigured (503) when Entra ID is not set up."""
    config = current_app.config
    if not config.get("ENTRA_CLIENT_ID") or not config.get("ENTRA_CLIENT_SECRET"):
        raise OnBehalfOfNotConfigured(
            _("Microsoft Entra ID needs a client id and a client secret on this server.")
        )
    return config


def msal_application(
    tenant: str, cache: msal.SerializableTokenCache | None = None
) -> msal.ConfidentialClientApplication:
    """MSAL's application for the tenant, keeping its tokens in cache."""
    config = require_entra_configuration()
    try:
        return msal.ConfidentialClientApplication(
            config["ENTRA_CLIENT_ID"],
            client_credential=config["ENTRA_CLIENT_SECRET"],
            authority=f"{config['ENTRA_AUTHORITY'].rstrip('/')}/{tenant}",
            instance_discovery=False,
            http_client=identity_provider_session(config.get("ENTRA_CA_BUNDLE")),
            timeout=HTTP_TIMEOUT_SECONDS,
            token_cache=cache,
        )
    except (requests.RequestException, ValueError) as error:
        raise IdentityProviderUnavailable(str(error).splitlines()[0]) from error


def start_sign_in(user: User, redirect_uri: str) -> dict[str, Any]:
    """The authorization code flow to keep in the session; its auth_uri is where to send the
    user."""
    application = _for_sign_in(user)
    return application.initiate_auth_code_flow(
        SCOPES, redirect_uri=redirect_uri, login_hint=user.email
    )


def finish_sign_in(
    user: User, flow: dict[str, Any], answer: Mapping[str, str]
) -> msal.SerializableTokenCache:
    """The token cache of a finished authorization code flow, or OnBehalfOfFailed."""
    cache = msal.SerializableTokenCache()
    application = _for_sign_in(user, cache)
    try:
        result = application.acquire_token_by_auth_code_flow(flow, dict(answer))
    except requests.RequestException as error:
        raise _unreachable(error) from error
    _raise_for(result)
    return cache


def exchange_pane_token(user: User, assertion: str) -> msal.SerializableTokenCache:
    """The token cache of an on-behalf-of exchange of the add-in's token, or OnBehalfOfFailed."""
    cache = msal.SerializableTokenCache()
    application = _for_sign_in(user, cache)
    try:
        result = application.acquire_token_on_behalf_of(assertion, SCOPES)
    except requests.RequestException as error:
        raise _unreachable(error) from error
    _raise_for(result)
    return cache


def _for_sign_in(
    user: User, cache: msal.SerializableTokenCache | None = None
) -> msal.ConfidentialClientApplication:
    """MSAL's application for the user's tenant; an unreachable Entra ID is OnBehalfOfFailed."""
    try:
        return msal_application(tenant_of(user), cache)
    except IdentityProviderUnavailable as error:
        raise _unreachable(error) from error


def _unreachable(error: Exception) -> OnBehalfOfFailed:
    """The error for an Entra ID that did not answer."""
    return OnBehalfOfFailed(
        _("Microsoft Entra ID could not be reached. Try again later."),
        details={"reason": str(error).splitlines()[0] if str(error) else type(error).__name__},
    )


def _raise_for(result: Mapping[str, Any]) -> None:
    """OnBehalfOfFailed when MSAL's answer carries no access token."""
    if "access_token" not in result:
        raise refusal(
            result,
            lambda error: _(
                "Microsoft Entra ID refused to connect the mailbox (%(error)s).", error=error
            ),
            code="mailbox_sign_in_failed",
        )


def access_token(connection: MailboxConnection, *, force_refresh: bool = False) -> str:
    """An access token to the connection's mailbox from its token cache, refreshed when it
    expired (or when Graph refused it: force_refresh); a changed cache is sealed and saved."""
    cache = msal.SerializableTokenCache()
    cache.deserialize(secret_of(connection).decode())
    application = msal_application(connection.settings.get("tenant", ANY_ORGANIZATION), cache)
    accounts = application.get_accounts()
    if not accounts:
        raise TokenRefused(_refused_message())
    try:
        result = application.acquire_token_silent_with_error(
            SCOPES, accounts[0], force_refresh=force_refresh
        )
    except requests.RequestException as error:
        raise IdentityProviderUnavailable(str(error).splitlines()[0]) from error
    if cache.has_state_changed:
        replace_secret(connection, cache.serialize().encode())
        db.session.commit()
    if result and "access_token" in result:
        return result["access_token"]
    if result is None or result.get("error") in INTERACTION_ERRORS:
        raise TokenRefused(_refused_message())
    raise IdentityProviderUnavailable(str(result.get("error")))


def _refused_message() -> str:
    """What the user reads when the mailbox must be connected again."""
    return _(
        "Microsoft 365 no longer lets tracklog read this mailbox (the permission was withdrawn "
        "or the sign-in expired). Connect it again."
    )
