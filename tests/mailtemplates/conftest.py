"""Fixtures for template tests: hits are recorded when the test says so, as in tests/tracking."""

from __future__ import annotations

import pytest

from tracklog.tracking.hits import hit_journal


@pytest.fixture
def app_config(app_config):
    """No background recorder: tests drain the journal themselves, deterministically."""
    return {**app_config, "HIT_RECORDER_THREAD": False}


@pytest.fixture
def record(app):
    """Record every journaled hit now; returns how many were recorded."""
    return hit_journal(app).record_pending


@pytest.fixture
def recipient(app):
    """The recipient's mail client: another browser, without the sender's cookies."""
    return app.test_client()
