"""The server-rendered web app."""

from tracklog.web import formatting  # noqa: F401 - adds the date, time and amount filters to `web`
from tracklog.web.views import web

__all__ = ["web"]
