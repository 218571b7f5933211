"""HTML pages shared by every blueprint."""

from __future__ import annotations

from flask import render_template


def error_page(status: int, message: str) -> tuple[str, int]:
    """An HTML error page with the status and a sentence saying what happened."""
    return render_template("error.html", status=status, message=message), status
