"""Security headers on every answer: a Content-Security-Policy the pages and the pane work under.

The pages load scripts and styles from this server only and carry no inline script or style, so
their policy needs no 'unsafe-inline' and no nonce. The Outlook pane and the add-in's own pages
load office.js from Microsoft's CDN (which injects styles of its own) and are framed by Outlook on
the web; every other page may be framed by no one. Images come from this server or `data:` only:
a logged mail's remote pictures are not fetched, so opening a prospect's mail in the CRM never
tells their sender's tracker that it was read.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask, Response, request

# Hosts that frame the pane: Outlook on the web (work and personal) and the new Outlook.
OUTLOOK_FRAME_HOSTS = (
    "https://outlook.office.com",
    "https://outlook.office365.com",
    "https://outlook.live.com",
    "https://outlook.cloud.microsoft",
    "https://*.outlook.com",
    "https://*.office.com",
    "https://*.office365.com",
    "https://*.cloud.microsoft",
)
# Where office.js comes from (it loads its parts from the same place).
OFFICE_SCRIPT_HOSTS = ("https://appsforoffice.microsoft.com", "https://ajax.aspnetcdn.com")
# Paths served to Outlook: the pane, the add-in's handlers, dialogs and icons.
ADDIN_PATHS = ("/taskpane/", "/addin/")
COMMON = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin-allow-popups",
}


def policy(directives: dict[str, tuple[str, ...]]) -> str:
    """A Content-Security-Policy header value."""
    return "; ".join(f"{name} {' '.join(sources)}" for name, sources in directives.items())


def socket_sources(base_url: str) -> tuple[str, ...]:
    """The websocket origin of the public URL ('self' covers it in current browsers, not all)."""
    parts = urlsplit(base_url)
    scheme = "wss" if parts.scheme == "https" else "ws"
    return (f"{scheme}://{parts.netloc}",)


def page_policy(base_url: str) -> str:
    """The policy of the web app's pages."""
    return policy(
        {
            "default-src": ("'self'",),
            "script-src": ("'self'",),
            "style-src": ("'self'",),
            "img-src": ("'self'", "data:"),
            "connect-src": ("'self'", *socket_sources(base_url)),
            "font-src": ("'self'",),
            "object-src": ("'none'",),
            "base-uri": ("'self'",),
            "form-action": ("'self'",),
            "frame-ancestors": ("'none'",),
        }
    )


def addin_policy(base_url: str, entra_authority: str | None) -> str:
    """The policy of the pane and the add-in's pages, which Outlook frames and office.js drives."""
    identity = (entra_authority,) if entra_authority else ()
    return policy(
        {
            "default-src": ("'self'",),
            "script-src": ("'self'", *OFFICE_SCRIPT_HOSTS),
            "style-src": ("'self'", "'unsafe-inline'"),
            "img-src": ("'self'", "data:", *OFFICE_SCRIPT_HOSTS),
            "connect-src": ("'self'", *socket_sources(base_url), *identity),
            "frame-src": ("'self'", *OFFICE_SCRIPT_HOSTS, *identity),
            "font-src": ("'self'",),
            "object-src": ("'none'",),
            "base-uri": ("'self'",),
            "form-action": ("'self'",),
            "frame-ancestors": ("'self'", *OUTLOOK_FRAME_HOSTS),
        }
    )


def init_security_headers(app: Flask) -> None:
    """Add the security headers to every answer of the app."""
    base_url = app.config["BASE_URL"]
    entra = app.config["ENTRA_AUTHORITY"] if app.config["ENTRA_CLIENT_ID"] else None
    pages = {**COMMON, "Content-Security-Policy": page_policy(base_url), "X-Frame-Options": "DENY"}
    addin = {**COMMON, "Content-Security-Policy": addin_policy(base_url, entra)}

    @app.after_request
    def add_security_headers(response: Response) -> Response:
        """Pages get the strict policy; the pane and add-in files the one Outlook needs."""
        chosen = addin if request.path.startswith(ADDIN_PATHS) else pages
        for name, value in chosen.items():
            response.headers.setdefault(name, value)
        return response
