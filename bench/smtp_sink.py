"""The baseline of bench/smtp_ingest.py: aiosmtpd with the receiver's settings, storing nothing.

Run as `python -m bench.smtp_sink --port P`: it answers 250 to every message at once, as
aiosmtpd's Sink would, so the difference to `tracklog smtpd` is the store before the 250.
"""

from __future__ import annotations

import argparse
import signal
import threading
from collections.abc import Sequence

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from tracklog.config import Config
from tracklog.maillog.smtpd import MIN_LINE_BYTES


class SinkSMTP(SMTP):
    """aiosmtpd's session with the receiver's line length."""

    line_length_limit = MIN_LINE_BYTES


class SinkHandler:
    """Accept every recipient and every message without storing anything."""

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        """250 at once."""
        return "250 2.0.0 OK"


class SinkController(Controller):
    """aiosmtpd's threaded controller, building SinkSMTP sessions."""

    def factory(self) -> SMTP:
        """One session per connection."""
        return SinkSMTP(self.handler, **self.SMTP_kwargs)


def main(argv: Sequence[str] | None = None) -> None:
    """Listen on the port until SIGTERM or SIGINT."""
    parser = argparse.ArgumentParser(prog="python -m bench.smtp_sink")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args(argv)
    controller = SinkController(
        SinkHandler(),
        hostname="127.0.0.1",
        port=args.port,
        ident="sink",
        data_size_limit=Config().MAX_MAIL_BYTES,
        enable_SMTPUTF8=True,
        decode_data=False,
    )
    stopping = threading.Event()
    for number in (signal.SIGINT, signal.SIGTERM):
        signal.signal(number, lambda *_: stopping.set())
    controller.start()
    print(f"sink listening on 127.0.0.1:{args.port}", flush=True)
    while not stopping.wait(1):
        pass
    controller.stop()


if __name__ == "__main__":
    main()
