"""Calls to Microsoft Graph as a mailbox's user, and Graph's failures told apart.

Every call carries an access token from the mailbox's token cache; a 401 refreshes it once
through MSAL and tries again. Throttling (429, or 503 with Retry-After) is GraphThrottled with the
wait Graph asked for — a sync stops and is due again then, it never sleeps that long; other 5xx
answers and connection failures are GraphUnavailable; a refused refresh is TokenRefused.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import requests
from flask import current_app

from tracklog.mailbox.graph_auth import access_token
from tracklog.models.mailbox import MailboxConnection

TIMEOUT_SECONDS = 30
# When Graph throttles without saying for how long.
DEFAULT_RETRY_AFTER = timedelta(seconds=30)
# Message ids that survive a move between folders (a reply's draft moving to Sent Items).
IMMUTABLE_IDS = 'IdType="ImmutableId"'


class GraphError(Exception):
    """Graph answered a failure that is neither throttling nor an outage."""

    def __init__(self, status: int, code: str, message: str = "") -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status, self.code = status, code


class GraphThrottled(Exception):
    """Graph asked to wait before the next call to this mailbox."""

    def __init__(self, retry_after: timedelta) -> None:
        super().__init__(f"throttled for {retry_after}")
        self.retry_after = retry_after


class GraphUnavailable(Exception):
    """Graph could not be reached or failed on its side; worth trying again later."""


def graph_url(path: str) -> str:
    """The full URL of a Graph path (an absolute link Graph gave is used as it is)."""
    if path.startswith(("https://", "http://")):
        return path
    return current_app.config["GRAPH_URL"].rstrip("/") + "/" + path.lstrip("/")


class GraphClient:
    """Graph as the mailbox's user."""

    def __init__(self, connection: MailboxConnection) -> None:
        self.connection = connection
        self.session = requests.Session()
        self.session.trust_env = False
        self._token: str | None = None

    def request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        """One call; a refused token is refreshed once; failures raised as this module's errors."""
        response = self._send(method, path, **kwargs)
        if response.status_code == 401:
            self._token = access_token(self.connection, force_refresh=True)
            response = self._send(method, path, **kwargs)
        if response.status_code == 429 or (
            response.status_code == 503 and "Retry-After" in response.headers
        ):
            raise GraphThrottled(_retry_after(response))
        if response.status_code >= 500:
            raise GraphUnavailable(f"{response.status_code} from Graph")
        if response.status_code >= 400:
            raise _error_of(response)
        return response

    def json(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        """A call answering a JSON object."""
        document = self.request(method, path, **kwargs).json()
        if not isinstance(document, dict):
            raise GraphError(200, "not_an_object")
        return document

    def _send(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        """The request as it is, with the current token."""
        if self._token is None:
            self._token = access_token(self.connection)
        headers = {
            "Authorization": f"Bearer {self._token}",
            # Every id we read or send is immutable, whatever folder the message moves to.
            "Prefer": IMMUTABLE_IDS,
            **kwargs.pop("headers", {}),
        }
        try:
            return self.session.request(
                method, graph_url(path), headers=headers, timeout=TIMEOUT_SECONDS, **kwargs
            )
        except requests.RequestException as error:
            raise GraphUnavailable(str(error).splitlines()[0]) from error


def _retry_after(response: requests.Response) -> timedelta:
    """The wait a throttling answer asks for (seconds; Graph never sends a date here)."""
    raw = response.headers.get("Retry-After", "")
    return timedelta(seconds=int(raw)) if raw.isdigit() else DEFAULT_RETRY_AFTER


def _error_of(response: requests.Response) -> GraphError:
    """The GraphError of a 4xx answer, with Graph's error code."""
    try:
        error = response.json().get("error") or {}
    except (ValueError, AttributeError):
        error = {}
    if not isinstance(error, dict):
        error = {}
    return GraphError(
        response.status_code, str(error.get("code") or "unknown"), str(error.get("message") or "")
    )
