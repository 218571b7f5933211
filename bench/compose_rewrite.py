"""Compose on Outlook-like mails: POST /api/v1/compose through the API and rewrite_html alone.

The API part runs on a fresh migrated PostgreSQL database with an account, a user with a
personal token and 300 more users (compose once loaded every user of the account): each call
goes through Flask's test client with the bearer token, creates a message for one external
recipient (tracked individually, so every link is wrapped and stored) and commits. The
reference in the same run is GET /api/v1/me with the same token: what any API call costs.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.pixel import POSTGRES_URL, postgres_database, postgres_reason
from bench.recorder import load_average
from bench.smtp_ingest import USER_EMAIL, prepare
from tracklog.tracking.rewrite import FoundLink, find_links, rewrite_html

RUNS = 50
API_RUNS = 100
OTHER_USERS = 300
# The goals for the whole API call (p95, milliseconds).
GOALS_MS = {"100 KB, 50 links": 8, "1 MB, 50 links": 100}
PIXEL = (
    '<img src="https://t.tracklog.example/t/o/AbCdEf.gif" width="1" height="1" alt="">'
    '<a href="https://t.tracklog.example/t/c/honeypot" style="display:none">&nbsp;</a>'
)
PARAGRAPH = (
    '<tr><td style="padding:8px 16px;font-family:Segoe UI,Arial,sans-serif;font-size:14px">'
    "<p class=MsoNormal>Hello Ana, following up on our call &mdash; here are the figures "
    "for Q3 and the proposal we discussed.&nbsp;<b>Let me know</b> what you think.</p></td></tr>\n"
)
BUTTON = (
    '<!--[if mso]><v:roundrect xmlns:v="urn:schemas-microsoft-com:vml" href="{url}" '
    'style="height:40px;v-text-anchor:middle;width:200px" arcsize="10%" fillcolor="#0067b8">'
    "<center>Open</center></v:roundrect><![endif]-->\n"
    '<!--[if !mso]><!--><a href="{url}" style="background:#0067b8;color:#fff">Open</a>'
    "<!--<![endif]-->\n"
)


def link(number: int) -> str:
    """One ordinary tracked link."""
    return (
        f'<p><a href="https://www.example.com/products/{number}?utm_source=mail&amp;id={number}">'
        f"Product {number}</a></p>\n"
    )


def body(size: int, links: int) -> str:
    """An Outlook-like HTML mail of about size characters with links links (buttons count 2)."""
    head = (
        '<!DOCTYPE html><html xmlns:v="urn:schemas-microsoft-com:vml"><head>'
        '<meta charset="utf-8"><!--[if gte mso 9]><xml><o:OfficeDocumentSettings>'
        "<o:PixelsPerInch>96</o:PixelsPerInch></o:OfficeDocumentSettings></xml><![endif]-->"
        "<style>p{margin:0}</style></head><body><table>\n"
    )
    parts = [head]
    made = 0
    while made < links:
        if made % 10 == 0 and made + 2 <= links:
            parts.append(BUTTON.format(url=f"https://www.example.com/offer/{made}"))
            made += 2
        else:
            parts.append(link(made))
            made += 1
    filler = max(0, size - sum(map(len, parts)) - 30)
    parts.append(PARAGRAPH * (filler // len(PARAGRAPH) + 1))
    parts.append("</table></body></html>")
    return "".join(parts)


def click_url(link: FoundLink) -> str:
    """A click URL shaped like tracklog's."""
    return f"https://t.tracklog.example/t/c/Zx9{len(link.url)}q{link.occurrence}Kp"


def own(url: str) -> bool:
    """Whether url is one of tracklog's tracking links."""
    return url.startswith("https://t.tracklog.example/t/")


def percentiles(times: list[float]) -> tuple[float, float]:
    """p50 and p95 of times in milliseconds."""
    times = sorted(times)
    return statistics.median(times), times[int(len(times) * 0.95) - 1]


def measure(html: str) -> tuple[float, float]:
    """p50 and p95 of rewrite_html on html, in milliseconds."""
    rewrite_html(html, click_url, own, PIXEL)
    times = []
    for _ in range(RUNS):
        started = time.perf_counter()
        rewrite_html(html, click_url, own, PIXEL)
        times.append((time.perf_counter() - started) * 1000)
    return percentiles(times)


def api_client(database_url: str, instance: Path) -> tuple[Any, dict[str, str]]:
    """A test client of an app on a migrated database, and the headers of its user's token."""
    from tracklog import create_app
    from tracklog.auth.accounts import add_user
    from tracklog.auth.tokens import create_token
    from tracklog.config import Config
    from tracklog.extensions import db
    from tracklog.models import User

    settings, _address = prepare(database_url, instance)
    app = create_app(Config(settings))
    with app.app_context():
        user = db.session.scalar(db.select(User).filter_by(email=USER_EMAIL))
        for number in range(OTHER_USERS):
            add_user(user.account, f"rep{number}@seller.example")
        bearer = create_token(user, "bench")[1]
        db.session.remove()
    return app.test_client(), {"Authorization": f"Bearer {bearer}"}


def measure_api(client: Any, headers: dict[str, str], cases: list[tuple[str, str]]) -> dict:
    """p50 and p95 of each case's compose call and of the reference, calls taken in turns."""
    times: dict[str, list[float]] = {name: [] for name, _html in cases}
    times["reference"] = []
    for run in range(API_RUNS + 5):
        for name, html in cases:
            payload = {
                "subject": "Proposal",
                "from": USER_EMAIL,
                "to": [f"buyer{run}@customer.example"],
                "html": html,
                "track": True,
                "log": True,
            }
            started = time.perf_counter()
            response = client.post("/api/v1/compose", json=payload, headers=headers)
            elapsed = (time.perf_counter() - started) * 1000
            if response.status_code != 200 or response.json["tracking"] != "individual":
                raise RuntimeError(f"compose answered {response.status_code}")
            if run >= 5:  # the first calls warm caches and are not counted
                times[name].append(elapsed)
        started = time.perf_counter()
        response = client.get("/api/v1/me", headers=headers)
        if response.status_code != 200:
            raise RuntimeError(f"/api/v1/me answered {response.status_code}")
        if run >= 5:
            times["reference"].append((time.perf_counter() - started) * 1000)
    return {name: percentiles(values) for name, values in times.items()}


def api_section(cases: list[tuple[str, str]]) -> list[str]:
    """The API table (a note when PostgreSQL is missing)."""
    reason = postgres_reason()
    if reason:
        return [f"API not measured: PostgreSQL at {POSTGRES_URL} is not reachable ({reason})."]
    with tempfile.TemporaryDirectory(prefix="tracklog-bench-compose-") as folder:
        with postgres_database() as url:
            client, headers = api_client(url, Path(folder))
            started = load_average()
            numbers = measure_api(client, headers, cases)
            from tracklog.extensions import db

            with client.application.app_context():
                db.engine.dispose()
    reference = numbers["reference"][1]
    lines = [
        f"### POST /api/v1/compose ({API_RUNS} calls each, in turns with the reference)\n",
        f"Load average at the start {started}, at the end {load_average()}.\n",
        "| call | p50 (ms) | p95 (ms) | p95 ÷ reference | goal p95 (ms) | met |",
        "|---|---:|---:|---:|---:|---|",
        f"| reference: GET /api/v1/me | {numbers['reference'][0]:.1f} | {reference:.1f} "
        "| 1.00 | – | – |",
    ]
    for name, _html in cases:
        p50, p95 = numbers[name]
        goal = GOALS_MS[name]
        lines.append(
            f"| compose, {name} | {p50:.1f} | {p95:.1f} | {p95 / reference:.2f} | {goal} "
            f"| {'yes' if p95 < goal else '**no**'} |"
        )
    return lines


def run() -> str:
    """The Markdown section body: the API's timings, then rewrite_html's."""
    cases = [("100 KB, 50 links", body(100_000, 50)), ("1 MB, 50 links", body(1_000_000, 50))]
    lines = [
        *api_section(cases),
        "",
        f"### rewrite_html alone ({RUNS} runs each, time.perf_counter)\n",
        "| body | size | links found | p50 (ms) | p95 (ms) |",
        "|---|---:|---:|---:|---:|",
    ]
    for name, html in cases:
        p50, p95 = measure(html)
        found = len(find_links(html))
        lines.append(f"| {name} | {len(html):,} | {found} | {p50:.1f} | {p95:.1f} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    """Print the section."""
    print(run(), end="")


if __name__ == "__main__":
    main()
