"""The reference of bench/pixel.py: a bare Flask view answering the open pixel's GIF and headers.

Run by gunicorn's gthread worker (`gunicorn -k gthread bench.pixel_reference:app`), the set-up
that serves such a view best on these machines: no tracklog, no token check, no journal, no hooks,
only Flask's request machinery and gunicorn's, answering the same bytes as `tracklog serve`.
"""

from __future__ import annotations

from flask import Flask, Response

from tracklog.tracking.openpixel import view_answer
from tracklog.tracking.views import TRANSPARENT_GIF

app = Flask(__name__)


def pixel_headers() -> list[tuple[str, str]]:
    """The headers tracklog's view answers with (security headers included), besides the two
    that Response sets itself."""
    from tracklog import create_app

    _, headers, _ = view_answer(create_app())
    return [(name, value) for name, value in headers.items() if name not in SET_BY_RESPONSE]


SET_BY_RESPONSE = {"Content-Type", "Content-Length"}
HEADERS = pixel_headers()


@app.route("/t/o/<token>.gif", methods=["GET", "HEAD"])
def open_pixel(token: str) -> Response:
    """The same transparent GIF and headers, for any token."""
    return Response(TRANSPARENT_GIF, mimetype="image/gif", headers=HEADERS)
