"""Time rewrite_html on compose-sized mails and print p50/p95 as Markdown (not a test)."""

from __future__ import annotations

import statistics
import time

from tracklog.tracking.rewrite import FoundLink, find_links, rewrite_html

RUNS = 50
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


def measure(html: str) -> tuple[float, float]:
    """p50 and p95 of rewrite_html on html, in milliseconds."""
    rewrite_html(html, click_url, own, PIXEL)
    times = []
    for _ in range(RUNS):
        started = time.perf_counter()
        rewrite_html(html, click_url, own, PIXEL)
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.95) - 1]


def run() -> str:
    """The Markdown section body: a table of the timings."""
    cases = [
        ("100 KB, 50 links", body(100_000, 50), 30),
        ("1 MB, 50 links", body(1_000_000, 50), 200),
    ]
    lines = [
        f"### rewrite_html ({RUNS} runs each, time.perf_counter)\n",
        "| body | size | links found | p50 (ms) | p95 (ms) | budget p95 (ms) |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name, html, budget in cases:
        p50, p95 = measure(html)
        found = len(find_links(html))
        lines.append(f"| {name} | {len(html):,} | {found} | {p50:.1f} | {p95:.1f} | {budget} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    """Print a Markdown table of the timings."""
    print(run(), end="")


if __name__ == "__main__":
    main()
