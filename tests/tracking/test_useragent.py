"""Readable client names and devices from user agents, and countries from addresses."""

from __future__ import annotations

import pytest

from tracklog.tracking.geo import country_of
from tracklog.tracking.useragent import DEVICES, ClientInfo, describe_client


@pytest.mark.parametrize(
    ("agent", "device", "client"),
    [
        # GMass known-bot list as ported in public open-tracking code (Outlook's own agent).
        (
            "Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0.14931; Pro)",
            "desktop",
            "Outlook 16 on Windows",
        ),
        # Outlook 2016 rendering with the IE engine; the form quoted in ESP articles on
        # Outlook opens (ms-office / MSOffice tokens).
        (
            "Mozilla/4.0 (compatible; MSIE 7.0; Windows NT 10.0; WOW64; Trident/7.0; .NET4.0C; "
            ".NET4.0E; Microsoft Outlook 16.0.4266; ms-office; MSOffice 16)",
            "desktop",
            "Outlook 16 on Windows",
        ),
        # Thunderbird 115 on Windows (Mozilla's published agent format for Thunderbird).
        (
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:109.0) Gecko/20100101 "
            "Thunderbird/115.3.1",
            "desktop",
            "Thunderbird 115 on Windows",
        ),
        # Apple Mail on macOS: AppleWebKit without a Safari token (ua-parser-builtins calls it
        # "Apple Mail" too).
        (
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 "
            "(KHTML, like Gecko)",
            "desktop",
            "Apple Mail on macOS",
        ),
        # Mail on iOS renders with the system web view and no Safari token.
        (
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 "
            "(KHTML, like Gecko) Mobile/15E148",
            "mobile",
            "Apple Mail on iOS",
        ),
        (
            "Mozilla/5.0 (iPad; CPU OS 16_6 like Mac OS X) AppleWebKit/605.1.15 "
            "(KHTML, like Gecko) Mobile/15E148",
            "tablet",
            "Apple Mail on iOS",
        ),
        # monperrus/crawler-user-agents, pattern GoogleImageProxy.
        (
            "Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0 "
            "(via ggpht.com GoogleImageProxy)",
            "unknown",
            "Gmail (image proxy)",
        ),
        # monperrus/crawler-user-agents, pattern YahooMailProxy.
        (
            "YahooMailProxy; https://help.yahoo.com/kb/yahoo-mail-proxy-SLN28749.html",
            "unknown",
            "Yahoo Mail (image proxy)",
        ),
        # Apple Mail Privacy Protection's bare agent (help.socketlabs.com).
        ("Mozilla/5.0", "unknown", "Apple Mail Privacy Protection (proxy)"),
        # Desktop browsers (agent forms from ua-parser's test resources).
        (
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 "
            "(KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36",
            "desktop",
            "Chrome 120 on macOS",
        ),
        (
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/120.0.0.0 Safari/537.36 Edg/120.0.0.0",
            "desktop",
            "Edge 120 on Windows",
        ),
        (
            "Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0",
            "desktop",
            "Firefox 121 on Linux",
        ),
        (
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 "
            "(KHTML, like Gecko) Version/17.1 Safari/605.1.15",
            "desktop",
            "Safari 17 on macOS",
        ),
        # Android phone and tablet (Chrome's own agent format).
        (
            "Mozilla/5.0 (Linux; Android 13; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/116.0.0.0 Mobile Safari/537.36",
            "mobile",
            "Chrome 116 on Android",
        ),
        (
            "Mozilla/5.0 (Linux; Android 13; SM-X700) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/116.0.0.0 Safari/537.36",
            "tablet",
            "Chrome 116 on Android",
        ),
        # monperrus/crawler-user-agents, patterns Googlebot and ^curl.
        ("Googlebot/2.1 (+http://www.google.com/bot.html)", "unknown", "Googlebot (bot)"),
        ("curl/7.47.0", "unknown", "curl 7"),
        ("", "unknown", "Unknown client"),
    ],
)
def test_describe_client(agent, device, client):
    assert describe_client(agent) == ClientInfo(device, client)


def test_outlook_mobile_is_named_outlook():
    # Outlook for iOS announces itself with an Outlook-iOS product token.
    info = describe_client("Outlook-iOS/2.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X)")
    assert info.client.startswith("Outlook")
    assert info.device == "mobile"


def test_device_is_always_one_of_the_known_kinds():
    for agent in ("Java/17.0.2", "TelegramBot (like TwitterBot)", "   ", "Mozilla/4.0"):
        assert describe_client(agent).device in DEVICES


def test_results_are_cached():
    agent = "Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0"
    describe_client(agent)
    before = describe_client.cache_info().hits
    describe_client(agent)
    assert describe_client.cache_info().hits == before + 1


@pytest.mark.parametrize(
    ("ip", "country"),
    [
        ("8.8.8.8", "US"),
        ("::ffff:8.8.8.8", "US"),
        ("2a01:b740::1", "IE"),
        ("10.1.2.3", None),
        ("192.168.0.10", None),
        ("127.0.0.1", None),
        ("::1", None),
        ("fd00::1", None),
        ("169.254.1.1", None),
        ("203.0.113.5", None),
        ("not an address", None),
        ("", None),
        (None, None),
    ],
)
def test_country_of(ip, country):
    assert country_of(ip) == country
