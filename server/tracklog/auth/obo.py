"""On-behalf-of exchange: a token for another API (Microsoft Graph) for the add-in's user."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import msal
import requests
from flask_babel import gettext as _

from tracklog.auth.entra import HTTP_TIMEOUT_SECONDS, identity_provider_session
from tracklog.errors import DomainError

# Entra ID answers these when the user must sign in again or consent; Office SSO then falls back
# to its dialog, so the add-in needs to tell them apart from an outage.
INTERACTION_ERRORS = {"interaction_required", "consent_required", "invalid_grant"}


class OnBehalfOfFailed(DomainError):
    """Microsoft Entra ID gave no token on behalf of the user; the message says why."""

    status = 502
    code = "on_behalf_of_failed"


class OnBehalfOfNotConfigured(OnBehalfOfFailed):
    """The server has no Entra ID client id or client secret."""

    status = 503
    code = "entra_not_configured"


class InteractionRequired(OnBehalfOfFailed):
    """The user must sign in again or consent before a token can be had for them."""

    status = 403
    code = "interaction_required"


def refusal(
    result: Mapping[str, Any], message: Callable[[str], str], code: str | None = None
) -> OnBehalfOfFailed:
    """The error for an MSAL answer without an access token: InteractionRequired when the user
    must sign in again or consent (the pane then falls back on Office's sign-in dialog), else
    the refusal in words that name Entra ID's error code."""
    error = result.get("error") or "unknown_error"
    description = (result.get("error_description") or "").strip()
    details = {
        "error": error,
        "description": description.splitlines()[0] if description else "",
        "claims": result.get("claims"),
    }
    if error in INTERACTION_ERRORS:
        return InteractionRequired(
            _("Sign in to Microsoft again to let tracklog act for you."), details=details
        )
    return OnBehalfOfFailed(message(error), code=code, details=details)


@dataclass(frozen=True)
class DelegatedToken:
    """An access token to another API, acting as the user."""

    access_token: str
    expires_in: int
    scopes: tuple[str, ...]


class _UnkeptTokenCache(msal.TokenCache):
    """A token cache that keeps nothing: on-behalf-of calls never read it, so it would only grow."""

    def add(self, event: dict[str, Any], now: float | None = None) -> None:
        """Drop the tokens of a finished exchange."""


class OnBehalfOfClient:
    """Exchanges the access token a user sent us for a token to another API, through MSAL."""

    def __init__(
        self,
        client_id: str,
        client_secret: str,
        authority: str,
        *,
        ca_bundle: str | None = None,
        timeout: float = HTTP_TIMEOUT_SECONDS,
    ) -> None:
        self.client_id = client_id
        self.authority = authority.rstrip("/")
        self._client_secret = client_secret
        self._ca_bundle = ca_bundle
        self._timeout = timeout
        self._application: msal.ConfidentialClientApplication | None = None
        self._lock = threading.Lock()

    @classmethod
    def from_config(cls, config: Mapping[str, Any], tenant_id: str) -> OnBehalfOfClient:
        """A client for one tenant, set up from the app's ENTRA_* settings."""
        client_id, secret = config.get("ENTRA_CLIENT_ID"), config.get("ENTRA_CLIENT_SECRET")
        if not client_id or not secret:
            raise OnBehalfOfNotConfigured(
                _("Microsoft Entra ID needs a client id and a client secret on this server.")
            )
        return cls(
            client_id,
            secret,
            f"{config['ENTRA_AUTHORITY'].rstrip('/')}/{tenant_id}",
            ca_bundle=config.get("ENTRA_CA_BUNDLE"),
        )

    def _msal_application(self) -> msal.ConfidentialClientApplication:
        """The MSAL application, built on first use because building it fetches the metadata."""
        with self._lock:
            if self._application is None:
                try:
                    self._application = msal.ConfidentialClientApplication(
                        self.client_id,
                        client_credential=self._client_secret,
                        authority=self.authority,
                        instance_discovery=False,
                        http_client=identity_provider_session(self._ca_bundle),
                        timeout=self._timeout,
                        token_cache=_UnkeptTokenCache(),
                    )
                except (requests.RequestException, ValueError) as error:
                    raise OnBehalfOfFailed(
                        _("Microsoft Entra ID could not be reached. Try again later."),
                        details={"reason": str(error).splitlines()[0]},
                    ) from error
            return self._application

    def acquire_token(self, user_assertion: str, scopes: Iterable[str]) -> DelegatedToken:
        """A token for the scopes, acting as the user whose access token is the assertion."""
        application = self._msal_application()
        try:
            result = application.acquire_token_on_behalf_of(user_assertion, list(scopes))
        except requests.RequestException as error:
            raise OnBehalfOfFailed(
                _("Microsoft Entra ID could not be reached. Try again later."),
                details={"reason": str(error).splitlines()[0]},
            ) from error
        if "access_token" in result:
            granted = result.get("scope") or ""
            return DelegatedToken(
                access_token=result["access_token"],
                expires_in=int(result.get("expires_in") or 0),
                scopes=tuple(granted.split() if isinstance(granted, str) else granted),
            )
        raise refusal(
            result,
            lambda error: _(
                "Microsoft Entra ID refused a token on the user's behalf (%(error)s).", error=error
            ),
        )
