"""Readable device and client names from user agents, mail clients first, then ua-parser."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import NamedTuple

from ua_parser import parse

DEVICES = ("desktop", "mobile", "tablet", "unknown")

OS_NAMES = {
    "Mac OS X": "macOS",
    "Windows": "Windows",
    "iOS": "iOS",
    "Android": "Android",
    "Linux": "Linux",
    "Ubuntu": "Linux",
    "Fedora": "Linux",
    "Chrome OS": "ChromeOS",
    "ChromeOS": "ChromeOS",
}

# Agents of mail proxies that fetch images for a person: no device can be known.
PROXIES = (
    ("GoogleImageProxy", "Gmail (image proxy)"),
    ("YahooMailProxy", "Yahoo Mail (image proxy)"),
    ("OutlookImageProxy", "Outlook.com (image proxy)"),
)

OUTLOOK_DESKTOP = re.compile(r"Microsoft Outlook[ /](\d+)", re.IGNORECASE)
MS_OFFICE = re.compile(r"\bMSOffice (\d+)", re.IGNORECASE)
OUTLOOK_MOBILE = re.compile(r"\bOutlook-(iOS|Android)\b", re.IGNORECASE)
THUNDERBIRD = re.compile(r"\bThunderbird/(\d+)")
# Browsers add their own token after AppleWebKit; Apple Mail and iOS mail views do not.
WEBKIT_BROWSER = re.compile(r"Safari/|Version/|CriOS|FxiOS|EdgiOS|OPiOS|GSA/|FBAN|Instagram")


class ClientInfo(NamedTuple):
    """The kind of device and a readable client name."""

    device: str
    client: str


@lru_cache(maxsize=4096)
def describe_client(user_agent: str) -> ClientInfo:
    """The device kind and a readable client name such as "Outlook 16 on Windows"."""
    agent = (user_agent or "").strip()
    if not agent:
        return ClientInfo("unknown", "Unknown client")
    for token, name in PROXIES:
        if token.lower() in agent.lower():
            return ClientInfo("unknown", name)
    if agent == "Mozilla/5.0":
        return ClientInfo("unknown", "Apple Mail Privacy Protection (proxy)")
    parsed = parse(agent)
    os_name = _os_name(parsed)
    device = _device(agent, parsed, os_name)
    if parsed.device is not None and parsed.device.family == "Spider":
        return ClientInfo("unknown", f"{_family(parsed) or 'Bot'} (bot)")
    client = _mail_client(agent, os_name) or _browser(parsed, agent)
    if os_name:
        client = f"{client} on {os_name}"
    return ClientInfo(device, client)


def _mail_client(agent: str, os_name: str | None) -> str | None:
    """The name of a mail client recognised by its own tokens, if any."""
    mobile = OUTLOOK_MOBILE.search(agent)
    if mobile:
        return "Outlook"
    found = OUTLOOK_DESKTOP.search(agent)
    if found:
        return f"Outlook {found.group(1)}"
    found = MS_OFFICE.search(agent)
    if found or "ms-office" in agent.lower():
        return f"Outlook {found.group(1)}" if found else "Outlook"
    found = THUNDERBIRD.search(agent)
    if found:
        return f"Thunderbird {found.group(1)}"
    if "AppleWebKit" in agent and os_name in ("macOS", "iOS") and not WEBKIT_BROWSER.search(agent):
        return "Apple Mail"
    return None


def _browser(parsed, agent: str) -> str:
    """Browser family and major version from ua-parser, or the agent's first product."""
    family = _family(parsed)
    if family and family != "Other":
        major = parsed.user_agent.major if parsed.user_agent else None
        return f"{family} {major}" if major else family
    product = agent.split("/", 1)[0].split(" ", 1)[0]
    return product[:60] or "Unknown client"


def _family(parsed) -> str | None:
    """The ua-parser browser family with a friendlier name for a few."""
    if parsed.user_agent is None:
        return None
    family = parsed.user_agent.family
    return {"Mobile Safari UI/WKWebView": "iOS web view", "Chrome Mobile": "Chrome"}.get(
        family, family
    )


def _os_name(parsed) -> str | None:
    """A short operating-system name, or None when unknown."""
    if parsed.os is None or parsed.os.family in ("Other", ""):
        return None
    return OS_NAMES.get(parsed.os.family, parsed.os.family)


def _device(agent: str, parsed, os_name: str | None) -> str:
    """Desktop, mobile, tablet or unknown."""
    lowered = agent.lower()
    if "ipad" in lowered or "tablet" in lowered:
        return "tablet"
    if os_name == "Android":
        return "mobile" if "mobile" in lowered else "tablet"
    if os_name == "iOS" or "iphone" in lowered or "windows phone" in lowered:
        return "mobile"
    if os_name in ("Windows", "macOS", "Linux", "ChromeOS"):
        return "desktop"
    if parsed.device is not None and parsed.device.family not in ("Other", "Spider"):
        return "mobile" if "mobile" in lowered else "unknown"
    return "unknown"
