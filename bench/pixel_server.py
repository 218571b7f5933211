"""The baseline server of bench/pixel.py: tracklog's app and settings plus a bare GIF route.

Started as `python -m gevent.monkey --module bench.pixel_server --fd N --workers W` so gevent
patches first, exactly as `tracklog serve` does; the listening socket is inherited. The recording
server is `tracklog serve`'s own process (tracklog.serving), not this module.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import Any

BASELINE_PATH = "/bench/o/<token>.gif"


def load_baseline() -> Any:
    """tracklog's app plus a benchmark-only route answering the pixel's bytes and headers."""
    from flask import Response

    from tracklog import create_app
    from tracklog.tracking.views import TRANSPARENT_GIF

    app = create_app()

    def bare_pixel(token: str) -> Response:
        """The open pixel's answer without reading the token or journaling the hit."""
        response = Response(TRANSPARENT_GIF, mimetype="image/gif")
        response.headers["Cache-Control"] = "no-store, no-cache, must-revalidate, max-age=0"
        response.headers["Pragma"] = "no-cache"
        return response

    app.add_url_rule(BASELINE_PATH, "bench_bare_pixel", bare_pixel, methods=["GET", "HEAD"])
    return app


def main(argv: Sequence[str] | None = None) -> None:
    """Run gunicorn with `tracklog serve`'s settings on an inherited socket."""
    from gevent import monkey

    from tracklog.serving import (
        SPARE_DESCRIPTORS,
        WORKER_CONNECTIONS,
        gunicorn_options,
        raise_open_files_limit,
        run_gunicorn,
    )

    parser = argparse.ArgumentParser(prog="python -m gevent.monkey --module bench.pixel_server")
    parser.add_argument("--fd", type=int, required=True)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args(argv)
    if not monkey.is_module_patched("socket"):
        sys.exit("bench.pixel_server must run under `python -m gevent.monkey --module`")
    raise_open_files_limit(WORKER_CONNECTIONS + SPARE_DESCRIPTORS)
    options = gunicorn_options("127.0.0.1", 0, args.workers)
    options["bind"] = [f"fd://{args.fd}"]
    run_gunicorn(options, load_baseline)


if __name__ == "__main__":
    main()
