"""Render the Outlook add-in manifest for one deployment."""

from __future__ import annotations

import uuid
from pathlib import Path
from urllib.parse import urlsplit

from jinja2 import Environment, FileSystemLoader, StrictUndefined

TEMPLATE = "manifest.xml.j2"
ICON_SIZES = (16, 20, 24, 32, 40, 48, 64, 80)
# Names the handler file registers with Office.actions.associate; the test keeps them in step.
LAUNCH_EVENTS = {
    "OnNewMessageCompose": "onNewMessageComposeHandler",
    "OnMessageSend": "onMessageSendHandler",
}
# A fixed namespace: the same base URL always gets the same add-in id.
APP_ID_NAMESPACE = uuid.UUID("5d0f4a2e-7c1b-4e55-9a43-6b1c2f0e8d17")

_environment = Environment(
    loader=FileSystemLoader(Path(__file__).resolve().parent),
    autoescape=True,
    undefined=StrictUndefined,
    keep_trailing_newline=True,
    trim_blocks=True,
    lstrip_blocks=True,
)


class ManifestError(ValueError):
    """The base URL or client id cannot make a manifest Office would accept."""


def default_app_id(base_url: str) -> str:
    """A stable add-in id derived from the deployment's base URL."""
    return str(uuid.uuid5(APP_ID_NAMESPACE, normalize_base_url(base_url)))


def normalize_base_url(base_url: str) -> str:
    """The base URL without a trailing slash; Office loads add-ins only over HTTPS."""
    parts = urlsplit(base_url.strip())
    if parts.scheme != "https" or not parts.hostname:
        raise ManifestError(f"the base URL must be an https:// URL, not {base_url!r}")
    if parts.query or parts.fragment:
        raise ManifestError(f"the base URL must not have a query or fragment: {base_url!r}")
    return f"https://{parts.netloc}{parts.path}".rstrip("/")


def render_manifest(base_url: str, client_id: str | None, app_id: str) -> str:
    """The manifest XML for a deployment at base_url (with single sign-on when client_id is set)."""
    base = normalize_base_url(base_url)
    try:
        app_id = str(uuid.UUID(app_id))
    except ValueError:
        raise ManifestError(f"the add-in id must be a GUID, not {app_id!r}") from None
    origin = "https://" + urlsplit(base).netloc
    return _environment.get_template(TEMPLATE).render(
        base=base,
        origin=origin,
        host=urlsplit(base).netloc,
        client_id=client_id or None,
        app_id=app_id,
        icon_sizes=ICON_SIZES,
        launch_events=LAUNCH_EVENTS,
    )
