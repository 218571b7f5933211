"""No recorded hit is lost: not when the process is killed after answering, not when the
database is down; and a replay records nothing twice."""

from __future__ import annotations

import queue
import subprocess
import sys
import textwrap
import threading

from tests.conftest import app_environment
from tests.tracking.helpers import OUTLOOK_DESKTOP, compose, pixel_path
from tracklog import create_app
from tracklog.config import Config
from tracklog.extensions import db
from tracklog.models import EngagementEvent
from tracklog.tracking.hits import hit_journal
from tracklog.tracking.journal import HitJournal

KILLED_AFTER_ANSWERING = textwrap.dedent(
    """
    import json, os, signal, sys
    from tracklog import create_app
    from tracklog.config import Config
    app = create_app(Config(json.loads(sys.argv[1])), {"HIT_RECORDER_THREAD": False})
    response = app.test_client().get(sys.argv[2], headers={"User-Agent": sys.argv[3]})
    assert response.status_code == 200 and len(response.data) == 43
    print("answered", flush=True)
    os.kill(os.getpid(), signal.SIGKILL)
    """
)


def count_events() -> int:
    """How many engagement events the database holds."""
    db.session.expire_all()
    return db.session.scalar(db.select(db.func.count()).select_from(EngagementEvent))


def test_hit_survives_the_process_being_killed_after_answering(app, api, world, database_url):
    import json

    sent = compose(api, ["peter@initech.example"])
    environment = app_environment(database_url, app.instance_path)
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            KILLED_AFTER_ANSWERING,
            json.dumps(environment),
            pixel_path(sent["html"]),
            OUTLOOK_DESKTOP,
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert "answered" in result.stdout, result.stderr
    assert result.returncode == -9
    assert count_events() == 0
    journal = hit_journal(app)
    assert journal.record_pending() == 1
    assert count_events() == 1
    assert journal.record_pending() == 0
    assert count_events() == 1


def test_pixel_answers_while_the_database_is_down_and_the_hit_is_kept(app, api, world):
    sent = compose(api, ["peter@initech.example"])
    environment = app_environment("postgresql+psycopg://nobody@127.0.0.1:1/none", app.instance_path)
    down = create_app(Config(environment), {"HIT_RECORDER_THREAD": False, "TESTING": True})
    response = down.test_client().get(
        pixel_path(sent["html"]), headers={"User-Agent": OUTLOOK_DESKTOP}
    )
    assert response.status_code == 200 and len(response.data) == 43
    down_journal = hit_journal(down)
    down_journal.close()
    assert count_events() == 0
    assert hit_journal(app).record_pending() == 1
    assert count_events() == 1


def started_reader(folder, poll_seconds):
    """A journal whose reader thread has finished its first pass; the hits it records later."""
    first_pass, recorded = threading.Event(), queue.Queue()

    def housekeeping():
        first_pass.set()
        return 3600.0

    journal = HitJournal(folder, recorded.put, housekeeping=housekeeping, poll_seconds=poll_seconds)
    journal.start()
    assert first_pass.wait(30)
    return journal, recorded


def test_a_ring_wakes_the_reader_and_a_lost_ring_is_caught_by_the_poll(tmp_path):
    # An hour-long poll: only the ring can explain the hit being recorded.
    rung, rung_hits = started_reader(tmp_path / "rung", poll_seconds=3600)
    # A ring lost on its way: only the poll can explain it.
    unrung, unrung_hits = started_reader(tmp_path / "unrung", poll_seconds=0.05)
    unrung.ring = lambda: None
    try:
        rung.append({"hit_id": "a"})
        unrung.append({"hit_id": "b"})
        assert rung_hits.get(timeout=30) == [{"hit_id": "a"}]
        assert unrung_hits.get(timeout=30) == [{"hit_id": "b"}]
    finally:
        rung.close()
        unrung.close()
