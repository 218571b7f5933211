"""Small helpers shared by the tracking tests."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from tests.factories import ApiClient
from tracklog.extensions import db
from tracklog.models import Message, utcnow

OUTLOOK_DESKTOP = (
    "Mozilla/4.0 (compatible; ms-office; MSOffice 16)"  # Outlook 2016+ on Windows fetching images
)
CHROME_WINDOWS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0.0.0 Safari/537.36"
)
GMAIL_PROXY = (
    "Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0 (via ggpht.com GoogleImageProxy)"
)

HTML = (
    '<html><body><p>Hi Peter, see <a href="https://initech.example/pricing">pricing</a> and '
    '<a href="https://initech.example/demo?x=1&amp;y=2">the demo</a>.</p></body></html>'
)


def compose(api: ApiClient, to: list[str], html: str = HTML, **extra: Any) -> dict[str, Any]:
    """Call POST /api/v1/compose and return its JSON, asserting success."""
    body = {
        "subject": "Pricing",
        "from": "alice@acme.example",
        "to": to,
        "html": html,
        "client": {"host": "outlook-web", "item_id": extra.pop("item_id", "draft-1")},
        **extra,
    }
    response = api.post("/compose", body)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.json


def pixel_path(html: str) -> str:
    """The path of the open pixel in rewritten HTML."""
    return re.search(r'src="https://tracklog\.test(/t/o/[^"]+\.gif)"', html).group(1)


def click_paths(html: str) -> list[str]:
    """The click paths of the rewritten links, in document order (honeypot excluded)."""
    paths = re.findall(r'href="https://tracklog\.test(/t/c/[^"]+)"(?![^>]*display:none)', html)
    return paths


def sent_an_hour_ago(message_id: str) -> None:
    """Move a message's send time back, so clicks on it are not 'seconds after delivery'."""
    message = db.session.scalar(db.select(Message).filter_by(public_id=message_id))
    message.sent_at = utcnow() - timedelta(hours=1)
    db.session.commit()
