"""Cursor pagination over any query, with no request: the API and the pages page alike."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests import factories
from tracklog.models import Contact
from tracklog.paging import InvalidCursor, encode_cursor, paginate_by_id


def test_pages_run_newest_first_and_the_last_page_has_no_cursor(app, world):
    ids = [factories.make_contact(world.account, f"p{n}@x.example").id for n in range(5)]
    query = select(Contact).where(Contact.account_id == world.account.id)
    first, cursor = paginate_by_id(query, Contact.id, None, limit=3)
    assert [row.id for row in first] == ids[::-1][:3]
    rest, end = paginate_by_id(query, Contact.id, cursor, limit=3)
    assert [row.id for row in rest] == ids[::-1][3:] and end is None


@pytest.mark.parametrize("cursor", ["not-base64!", encode_cursor({"before_id": "x"})])
def test_a_cursor_this_server_did_not_hand_out_is_refused(app, world, cursor):
    query = select(Contact)
    with pytest.raises(InvalidCursor):
        paginate_by_id(query, Contact.id, cursor)
