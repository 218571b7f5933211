"""The search box of every page: contacts, companies, deals, tickets and mail of the account."""

from __future__ import annotations

from tests import factories
from tracklog.extensions import db
from tracklog.models import Message


def test_search_finds_each_kind_in_the_account_only(alice, world):
    company = factories.make_company(world.account)
    contact = factories.make_contact(world.account, first_name="Initechian")
    deal = factories.make_deal(world.account, "Initech renewal")
    factories.make_deal(world.other_account, "Initech elsewhere")
    db.session.add(
        Message(
            account_id=world.account.id,
            public_id="tl_search",
            user_id=world.admin.id,
            subject="Initech pricing",
        )
    )
    db.session.commit()

    html = alice.get("/search?q=initech").get_data(as_text=True)
    assert f'href="/companies/{company.id}"' in html and f'href="/contacts/{contact.id}"' in html
    assert f'href="/deals/{deal.id}"' in html and 'href="/messages/tl_search"' in html
    assert "Initech elsewhere" not in html and 'id="found-tickets"' not in html

    nothing = alice.get("/search?q=zzzz").get_data(as_text=True)
    assert "Nothing matches “zzzz”." in nothing and 'href="/contacts/new"' in nothing
    too_short = alice.get("/search?q=i").get_data(as_text=True)
    assert "Type at least two letters" in too_short
    assert 'id="global-search"' in too_short
