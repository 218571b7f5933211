"""The partners tests' fixtures: browser fixtures for the end-to-end tests (a live server and
Debian's Chromium), and a deal that Acme shares with Globex.

`app` is not imported here (tests.browser's runs on SQLite only); the end-to-end module imports it
for itself, so the other tests of this package run on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import pytest

from tests.browser import base_url, live, port, screenshots  # noqa: F401
from tests.factories import make_deal
from tests.partners.test_partners import partnership, twin_of  # noqa: F401 - the fixture


@pytest.fixture
def shared(api, world, partnership):  # noqa: F811 - the imported fixture
    """Acme's deal "Initech renewal", shared with Globex (Hank owns the partner's copy)."""
    deal = make_deal(world.account, "Initech renewal", amount=5000)
    body = {
        "partnership_id": partnership["id"],
        "partner_contact": "hank@globex.example",
        "confirmed": True,
    }
    created = api.post(f"/deals/{deal.id}/share", body)
    assert created.status_code == 201, created.json
    return {
        "id": created.json["id"],
        "partnership_id": partnership["id"],
        "acme_deal": deal.id,
        "globex_deal": twin_of(created.json["id"], "partner").id,
        "globex": partnership["globex"],
    }
