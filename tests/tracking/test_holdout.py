"""The classifier against a hold-out set of real agents: 95% right, and no category left behind."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tracklog.tracking.classify import Context, Hit, classify_hit
from tracklog.tracking.rulesfile import load_rules

HOLDOUT = json.loads(Path(__file__).with_name("holdout_hits.json").read_text())["hits"]
AT = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
NEEDED = {
    "person: mail client",
    "webmail image proxy",
    "security link checker",
    "mail-security link checker",
    "link preview",
    "headless browser",
    "headless browser in a cloud range",
    "HTTP library",
    "crawler",
}


def classified(entry: dict) -> str:
    """How the packaged rules classify one hold-out hit, an hour after sending."""
    hit = Hit(
        kind=entry["kind"],
        at=AT,
        method="GET",
        ip=entry["ip"] or None,
        user_agent=entry["agent"],
        headers=entry["headers"],
    )
    context = Context(sent_at=AT - timedelta(hours=1), link_count=3)
    return classify_hit(hit, context, load_rules()).classification


def test_holdout_covers_people_and_every_kind_of_machine():
    categories = Counter(entry["category"] for entry in HOLDOUT)
    assert len(HOLDOUT) >= 150
    assert NEEDED <= set(categories)
    assert sum(n for c, n in categories.items() if c.startswith("person")) >= 75
    assert all(entry["source"] for entry in HOLDOUT)


def test_holdout_is_classified_right_at_95_percent_or_better():
    wrong = [
        (entry["category"], entry["expected"], got, entry["agent"][:80])
        for entry in HOLDOUT
        if (got := classified(entry)) != entry["expected"]
    ]
    assert len(wrong) <= 0.05 * len(HOLDOUT), wrong


@pytest.mark.parametrize("category", sorted(NEEDED))
def test_no_category_of_the_holdout_is_mostly_wrong(category):
    entries = [entry for entry in HOLDOUT if entry["category"] == category]
    right = sum(classified(entry) == entry["expected"] for entry in entries)
    assert right >= 0.9 * len(entries)
