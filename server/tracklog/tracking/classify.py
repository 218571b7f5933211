"""Decide whether a person or a machine made a tracking hit, and say why in words.

The checks run in a fixed order (see docs/tracking-rules.md): the sender's own client, a HEAD
request on a click, the hidden honeypot link, the data-file rules in order, the timing of clicks,
and otherwise a person. Pure functions: no Flask, no database. The data file is read and checked
by rulesfile.py.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from tracklog.tracking.geo import parse_ip

RULE_CLASSIFICATIONS = ("proxy", "prefetch", "scanner", "bot")
KINDS = ("open", "click", "attachment")
METHODS = ("GET", "HEAD")
HEADER_MATCHERS = ("headers_present", "headers_equal", "headers_contain", "headers_absent")

# compose.assign_links gives the hidden honeypot link slot 0; real links start at 1.
HONEYPOT_SLOT = 0

REASONS = {
    "sender-cookie": (
        "The sender's own browser made this request (it carried tracklog's sender cookie), "
        "so it is not counted as the recipient."
    ),
    "sender-sighting": (
        "This came from the same network address ({ip}) and the same browser that the sender "
        "used in tracklog {minutes_apart} minutes apart from it, so it was most likely the "
        "sender, not the recipient."
    ),
    "head-request": (
        "The link was checked with a HEAD request, which asks for headers only; a browser sends "
        "GET when a person clicks, so a link scanner made this request."
    ),
    "honeypot-link": (
        "The hidden link (a honeypot) that no person can see in the mail was followed, so a "
        "machine, most likely a link scanner, followed it."
    ),
    "fast-click": (
        "The link was followed {seconds_since_send} seconds after the mail was sent, faster than "
        "a person receives, opens and reads a mail, so a link scanner most likely followed it at "
        "delivery."
    ),
    "click-burst": (
        "{links_in_burst} different links of this mail were followed from the same address within "
        "{burst_window_seconds} seconds; a scanner follows every link at once, while a person "
        "clicks one at a time."
    ),
    "honeypot-address": (
        "The same address followed the hidden trap link {minutes_since_honeypot} minutes earlier, "
        "so its clicks are a link scanner's."
    ),
    "human-open": (
        "Nothing marks this open as a machine's (no known proxy, prefetcher, scanner or bot "
        "matched), so it is counted as the recipient opening the mail."
    ),
    "human-click": (
        "Nothing marks this click as a machine's: a browser asked for the page, not at delivery "
        "time and not in a burst with other links, so it is counted as the recipient's click."
    ),
    "human-attachment": (
        "Nothing marks this download as a machine's, so it is counted as the recipient viewing "
        "the attachment."
    ),
}


@dataclass(frozen=True)
class Hit:
    """One request on an open pixel, click link or tracked attachment."""

    kind: str
    at: datetime
    method: str
    ip: str | None
    user_agent: str
    headers: Mapping[str, str] = field(default_factory=dict)
    sender_cookie: bool = False
    link_slot: int | None = None
    honeypot: bool = False


@dataclass(frozen=True)
class Sighting:
    """Where the sender was recently seen authenticated (pane or web UI)."""

    ip: str
    user_agent: str
    seen_at: datetime


@dataclass(frozen=True)
class PriorHit:
    """An earlier hit on the same message."""

    at: datetime
    ip: str | None
    user_agent: str
    kind: str
    link_slot: int | None


@dataclass(frozen=True)
class Context:
    """What is known about the message when a hit arrives."""

    sent_at: datetime | None
    link_count: int
    sender_sightings: Sequence[Sighting] = ()
    prior_hits: Sequence[PriorHit] = ()


@dataclass(frozen=True)
class Verdict:
    """Who made a hit, why in words, and the evidence the decision used."""

    classification: str
    reason: str
    evidence: dict
    rule: str


class NetworkIndex:
    """Networks grouped by version and prefix length: an address's first network (in the given
    order) is found with one lookup per length instead of a test per network."""

    def __init__(self, networks: Sequence[Any]) -> None:
        self.texts = tuple(str(network) for network in networks)
        self.tables: dict[int, dict[int, dict[int, int]]] = {4: {}, 6: {}}
        for position, network in enumerate(networks):
            table = self.tables[network.version].setdefault(network.prefixlen, {})
            table.setdefault(int(network.network_address), position)

    def first(self, address: Any) -> str | None:
        """The first of the networks containing the address (None for no address), as text."""
        if address is None:
            return None
        value, bits = int(address), address.max_prefixlen
        positions = [
            table[key]
            for length, table in self.tables[address.version].items()
            if (key := value >> (bits - length) << (bits - length)) in table
        ]
        return self.texts[min(positions)] if positions else None


@dataclass(frozen=True)
class Rule:
    """One validated data-file rule: all given matchers must hold; any value within one."""

    id: str
    classification: str
    reason: str
    source: str
    match: Mapping[str, Any]
    origin: str
    networks: tuple = ()
    patterns: tuple = ()
    network_index: NetworkIndex = field(init=False, repr=False, compare=False)

    def reads_headers(self) -> bool:
        """Whether the rule needs the request's headers to decide."""
        return any(name in self.match for name in HEADER_MATCHERS)

    def __post_init__(self) -> None:
        """Index the networks once (a frozen dataclass sets its derived field this way)."""
        object.__setattr__(self, "network_index", NetworkIndex(self.networks))

    def decides_by_request(self) -> bool:
        """Whether the request alone (kind, method, agent, headers) decides this rule."""
        return not self.networks and "max_seconds_after_send" not in self.match

    def test_request(self, hit: Hit) -> dict | None:
        """What of the request (kind, method, agent, headers) matched, or None when it did not:
        the part of the test that hits repeating a request share."""
        match = self.match
        matched: dict[str, Any] = {}
        agent = hit.user_agent or ""
        if "kinds" in match:
            if hit.kind not in match["kinds"]:
                return None
        if "methods" in match:
            if hit.method.upper() not in match["methods"]:
                return None
            matched["method"] = hit.method.upper()
        if "user_agent_empty" in match:
            if (not agent.strip()) != match["user_agent_empty"]:
                return None
            matched["user_agent_empty"] = match["user_agent_empty"]
        if "user_agent_exact" in match:
            if agent.strip() not in match["user_agent_exact"]:
                return None
            matched["user_agent_exact"] = agent.strip()
        if "user_agent_contains" in match:
            lowered = agent.lower()
            found = next((s for s in match["user_agent_contains"] if s.lower() in lowered), None)
            if found is None:
                return None
            matched["user_agent_contains"] = found
        if self.patterns:
            found = next((p.pattern for p in self.patterns if p.search(agent)), None)
            if found is None:
                return None
            matched["user_agent_regex"] = found
        headers = {k.lower(): v for k, v in hit.headers.items()}
        if "headers_present" in match:
            found = next((h for h in match["headers_present"] if h in headers), None)
            if found is None:
                return None
            matched["header"] = found
        if "headers_equal" in match:
            found = next(
                (
                    h
                    for h, v in match["headers_equal"].items()
                    if headers.get(h, "").strip().lower() == v.lower()
                ),
                None,
            )
            if found is None:
                return None
            matched["header"] = f"{found}: {headers[found]}"
        if "headers_contain" in match:
            found = next(
                (
                    h
                    for h, v in match["headers_contain"].items()
                    if v.lower() in headers.get(h, "").lower()
                ),
                None,
            )
            if found is None:
                return None
            matched["header"] = f"{found}: {headers[found]}"
        if "headers_absent" in match:
            if any(h in headers for h in match["headers_absent"]):
                return None
            matched["headers_absent"] = match["headers_absent"]
        return matched

    def test_timing_and_address(
        self, hit: Hit, seconds_since_send: float | None, request_matched: dict
    ) -> dict | None:
        """What matched in all (a copy of request_matched with more), once the request did."""
        match = self.match
        matched = dict(request_matched)
        if "max_seconds_after_send" in match:
            if seconds_since_send is None or seconds_since_send > match["max_seconds_after_send"]:
                return None
            matched["max_seconds_after_send"] = match["max_seconds_after_send"]
        # Last: a rule may carry thousands of networks, scanned only when all else matched.
        if self.networks:
            network = self.network_index.first(parse_ip(hit.ip))
            if network is None:
                return None
            matched["network"] = network
        return matched


@dataclass(frozen=True)
class Rules:
    """The ordered data-file rules (admin rules first) and the timing settings."""

    rules: tuple[Rule, ...]
    settings: Mapping[str, float]
    files: tuple[str, ...]

    def __iter__(self):
        """The rules in the order they are tried."""
        return iter(self.rules)

    def __len__(self) -> int:
        """How many rules are tried."""
        return len(self.rules)

    def get(self, rule_id: str) -> Rule | None:
        """The rule with this id, if any."""
        return next((rule for rule in self.rules if rule.id == rule_id), None)

    def without_header_rules(self) -> Rules:
        """These rules less those that read headers, for hits whose headers were not kept."""
        return replace(self, rules=tuple(rule for rule in self.rules if not rule.reads_headers()))


class RuleMatcher:
    """The rules tried on many hits (one batch of the recorder): most hits repeat a request
    (the same agent, kind, method and headers), so the part of each rule that reads only the
    request is judged once per distinct request; timing and address are judged per hit."""

    def __init__(self, rules: Rules) -> None:
        self.rules = rules
        self.candidates: dict[tuple, tuple[tuple[Rule, dict], ...]] = {}

    def first(self, hit: Hit, seconds: float | None) -> tuple[Rule | None, dict]:
        """The first rule that applies to the hit and what matched, or (None, {})."""
        for rule, request_matched in self._candidates(hit):
            matched = rule.test_timing_and_address(hit, seconds, request_matched)
            if matched is not None:
                return rule, matched
        return None, {}

    def _candidates(self, hit: Hit) -> tuple[tuple[Rule, dict], ...]:
        """The rules whose request part holds for the hit's request, in order, up to the first
        that the request alone decides (no later rule is ever reached)."""
        key = (hit.kind, hit.method, hit.user_agent, tuple(hit.headers.items()))
        found = self.candidates.get(key)
        if found is None:
            found = []
            for rule in self.rules:
                matched = rule.test_request(hit)
                if matched is not None:
                    found.append((rule, matched))
                    if rule.decides_by_request():
                        break
            found = self.candidates[key] = tuple(found)
        return found


def classify_hit(
    hit: Hit, context: Context, rules: Rules, matcher: RuleMatcher | None = None
) -> Verdict:
    """Classify one hit as human, sender, proxy, prefetch, scanner or bot, with reason; a
    matcher of the same rules, given, remembers the requests it saw for the next hits."""
    if hit.kind not in KINDS:
        raise ValueError(f"unknown hit kind {hit.kind!r}")
    settings = rules.settings
    evidence: dict[str, Any] = {"kind": hit.kind, "method": hit.method.upper()}
    seconds = _seconds_since_send(hit, context)
    if seconds is not None:
        evidence["seconds_since_send"] = seconds

    verdict = _sender(hit, context, settings, evidence)
    if verdict:
        return verdict
    if hit.kind == "click" and hit.method.upper() == "HEAD":
        return _verdict("scanner", "head-request", evidence)
    if hit.kind == "click" and hit.honeypot:
        return _verdict("scanner", "honeypot-link", evidence)
    rule, matched = (matcher or RuleMatcher(rules)).first(hit, seconds)
    if rule is not None:
        found = {**evidence, "matched": matched}
        if "network" in matched:
            found["network"] = matched["network"]
        reason = rule.reason.format_map(found)
        return Verdict(rule.classification, reason, {**found, "rule": rule.id}, rule.id)
    if hit.kind == "click":
        verdict = _click_timing(hit, context, settings, evidence, seconds)
        if verdict:
            return verdict
    return _verdict("human", f"human-{hit.kind}", evidence, rule="human")


def _verdict(classification: str, check: str, evidence: dict, rule: str | None = None) -> Verdict:
    """A verdict from a built-in check, its reason filled from the evidence."""
    name = rule or check
    reason = REASONS[check].format_map(evidence)
    return Verdict(classification, reason, {**evidence, "rule": name}, name)


def _sender(hit: Hit, context: Context, settings: Mapping, evidence: dict) -> Verdict | None:
    """The sender's own client: their cookie, or a recent sighting with same address and agent."""
    if hit.sender_cookie:
        return _verdict("sender", "sender-cookie", {**evidence, "sender_cookie": True})
    if not hit.ip:
        return None
    window = timedelta(hours=settings["sender_sighting_hours"])
    # Sightings are updated in place, so one seen shortly after the hit counts as well.
    candidates = [
        s
        for s in context.sender_sightings
        if _same_ip(s.ip, hit.ip)
        and s.user_agent == hit.user_agent
        and abs(hit.at - s.seen_at) <= window
    ]
    if not candidates:
        return None
    sighting = min(candidates, key=lambda s: abs(hit.at - s.seen_at))
    minutes = round(abs(hit.at - sighting.seen_at).total_seconds() / 60)
    found = {
        **evidence,
        "ip": hit.ip,
        "minutes_apart": minutes,
        "sighting": {
            "ip": sighting.ip,
            "user_agent": sighting.user_agent,
            "seen_at": sighting.seen_at.isoformat(),
        },
    }
    return _verdict("sender", "sender-sighting", found)


def _click_timing(
    hit: Hit, context: Context, settings: Mapping, evidence: dict, seconds: float | None
) -> Verdict | None:
    """Scanner patterns in time: too soon after sending, a burst of links, a honeypot address."""
    fast = settings["fast_click_seconds"]
    if seconds is not None and seconds <= fast:
        return _verdict("scanner", "fast-click", {**evidence, "fast_click_seconds": fast})
    if not hit.ip:
        return None
    window = timedelta(seconds=settings["burst_window_seconds"])
    slots = {hit.link_slot} if hit.link_slot not in (None, HONEYPOT_SLOT) else set()
    started = hit.at
    for prior in context.prior_hits:
        if (
            prior.kind == "click"
            and prior.link_slot not in (None, HONEYPOT_SLOT)
            and _same_ip(prior.ip, hit.ip)
            and timedelta(0) <= hit.at - prior.at <= window
        ):
            slots.add(prior.link_slot)
            started = min(started, prior.at)
    needed = settings["burst_min_links"]
    if context.link_count >= 2:
        needed = min(needed, context.link_count)
    if len(slots) >= needed:
        found = {
            **evidence,
            "links_in_burst": len(slots),
            "link_slots": sorted(slots),
            "link_count": context.link_count,
            "burst_window_seconds": _number(settings["burst_window_seconds"]),
            "burst_started_at": started.isoformat(),
        }
        return _verdict("scanner", "click-burst", found)
    memory = timedelta(minutes=settings["honeypot_memory_minutes"])
    trapped = [
        prior
        for prior in context.prior_hits
        if prior.kind == "click"
        and prior.link_slot == HONEYPOT_SLOT
        and _same_ip(prior.ip, hit.ip)
        and timedelta(0) <= hit.at - prior.at <= memory
    ]
    if trapped:
        latest = max(trapped, key=lambda p: p.at)
        minutes = _number((hit.at - latest.at).total_seconds() / 60)
        found = {
            **evidence,
            "minutes_since_honeypot": minutes,
            "honeypot_at": latest.at.isoformat(),
        }
        return _verdict("scanner", "honeypot-address", found)
    return None


def _seconds_since_send(hit: Hit, context: Context) -> float | None:
    """Seconds from sending to the hit, never negative (clocks may disagree slightly)."""
    if context.sent_at is None:
        return None
    return _number(max(0.0, (hit.at - context.sent_at).total_seconds()))


def _number(value: float) -> float | int:
    """A number for people: whole when whole, otherwise one decimal."""
    rounded = round(float(value), 1)
    return int(rounded) if rounded.is_integer() else rounded


def _same_ip(a: str | None, b: str | None) -> bool:
    """Whether two textual addresses are the same address (IPv6 spelled differently too)."""
    if not a or not b:
        return False
    left, right = _address(a), _address(b)
    if left is None or right is None:
        return a.strip() == b.strip()
    return left == right


# Clicks are compared with the same few addresses' earlier clicks over and over.
@lru_cache(maxsize=4096)
def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """The address the text spells, or None when it spells none."""
    try:
        return ipaddress.ip_address(text.strip())
    except ValueError:
        return None
