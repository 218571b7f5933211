"""The server-rendered web app."""

from tracklog.web.views import web

__all__ = ["web"]
