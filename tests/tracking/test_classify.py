"""Classification of tracking hits: every built-in check, the data-file rules and their order."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from tracklog.models.tracking import CLASSIFICATIONS
from tracklog.tracking.classify import (
    HONEYPOT_SLOT,
    RULE_CLASSIFICATIONS,
    Context,
    Hit,
    PriorHit,
    Sighting,
    classify_hit,
)
from tracklog.tracking.rulesfile import RULES_PATH, RulesError, load_rules

# Real user agents, each from a public list:
# monperrus/crawler-user-agents, crawler-user-agents.json, "instances" of pattern GoogleImageProxy.
GMAIL_PROXY = (
    "Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0 (via ggpht.com GoogleImageProxy)"
)
# monperrus/crawler-user-agents, pattern YahooMailProxy.
YAHOO_PROXY = "YahooMailProxy; https://help.yahoo.com/kb/yahoo-mail-proxy-SLN28749.html"
# The agent Gmail's delivery scan uses (gmass.co/blog/false-opens-in-gmail/; Keila's
# lib/keila/tracking filters this exact string).
GOOGLE_OLD_EDGE = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/42.0.2311.135 Safari/537.36 Edge/12.246 Mozilla/5.0"
)
# Apple Mail Privacy Protection's bare agent (help.socketlabs.com, "Identifying Apple MPP
# opens"; Groundhogg's open filter compares to exactly this).
APPLE_MPP = "Mozilla/5.0"
# GMass known-bot list as ported in public open-tracking code: Outlook desktop's own agent.
OUTLOOK_DESKTOP = "Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0.14931; Pro)"
# Braze SMS/email bot-filtering documentation, example of a filtered agent.
BARRACUDA = "Barracuda Sentinel (EE)"
# monperrus/crawler-user-agents, patterns Slackbot, LinkedInBot, Discordbot, TelegramBot,
# facebookexternalhit, Twitterbot, WhatsApp, SkypeUriPreview, MicrosoftPreview.
SLACKBOT = "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)"
LINKEDIN = "LinkedInBot/1.0 (compatible; Mozilla/5.0; Jakarta Commons-HttpClient/3.1 +http://www.linkedin.com)"
DISCORD = "Mozilla/5.0 (compatible; Discordbot/2.0; +https://discordapp.com)"
TELEGRAM = "TelegramBot (like TwitterBot)"
FACEBOOK = "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)"
TWITTER = "Twitterbot/1.0"
WHATSAPP = "WhatsApp/0.3.4479 N"
SKYPE = "Mozilla/5.0 (Windows NT 6.1; WOW64) SkypeUriPreview Preview/0.5"
MS_PREVIEW = "MicrosoftPreview/2.0; +https://aka.ms/MicrosoftPreview"
# monperrus/crawler-user-agents, patterns HeadlessChrome, ^curl, [wW]get, python-requests,
# Go-http-client, libwww-perl, Googlebot, Google-Safety.
HEADLESS = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "HeadlessChrome/74.0.3729.169 Safari/537.36"
)
CURL = "curl/7.47.0"
WGET = "Wget/1.20.3 (linux-gnu)"
PYTHON_REQUESTS = "python-requests/2.18.4"
GO_CLIENT = "Go-http-client/1.1"
LIBWWW = "2Bone_LinkChecker/1.0 libwww-perl/6.03"
GOOGLEBOT = "Googlebot/2.1 (+http://www.google.com/bot.html)"
GOOGLE_SAFETY = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/114.0.5735.179 Safari/537.36 (compatible; Google-Safety; +http://www.google.com/bot.html)"
)
# GMass known-bot list (public open-tracking code): Java's built-in HTTP client.
JAVA = "Java/17.0.2"
# monperrus/crawler-user-agents, pattern Chrome Privacy Preserving Prefetch Proxy.
CHROME_PREFETCH = "Chrome Privacy Preserving Prefetch Proxy"
# An ordinary desktop Chrome (the form of the Chrome instances in ua-parser's test corpus).
CHROME = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0.0.0 Safari/537.36"
)
# iOS Mail / in-app web view (ua-parser-builtins classifies it as Mobile Safari UI/WKWebView).
IOS_MAIL = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Mobile/15E148"
)

SENT = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
PUBLIC_IP = "81.2.69.160"  # a public IPv4 address of a UK ISP (MaxMind's test data uses it)


@pytest.fixture(scope="module")
def rules():
    """The packaged rules."""
    return load_rules()


def hit(**changes) -> Hit:
    """A person's plain GET click an hour after sending, with changes."""
    fields = dict(
        kind="click",
        at=SENT + timedelta(hours=1),
        method="GET",
        ip=PUBLIC_IP,
        user_agent=CHROME,
        headers={},
        sender_cookie=False,
        link_slot=1,
        honeypot=False,
    )
    fields.update(changes)
    return Hit(**fields)


def context(**changes) -> Context:
    """A sent message with three links and nothing known yet, with changes."""
    fields = dict(sent_at=SENT, link_count=3, sender_sightings=(), prior_hits=())
    fields.update(changes)
    return Context(**fields)


def write(tmp_path, data, name="tracking-rules.json"):
    """An admin rules file with this content."""
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else json.dumps(data), encoding="utf-8")
    return path


# --- the packaged data file -------------------------------------------------------------


def test_packaged_rules_load_and_every_rule_has_a_source_and_a_sentence(rules):
    assert len(rules) >= 15
    ids = [rule.id for rule in rules]
    assert len(ids) == len(set(ids))
    for rule in rules:
        assert rule.classification in RULE_CLASSIFICATIONS
        assert rule.source.strip()
        assert rule.reason.rstrip().endswith(".")


def test_packaged_rules_cover_the_named_services(rules):
    ids = {rule.id for rule in rules}
    for expected in (
        "gmail-image-proxy",
        "yahoo-mail-proxy",
        "outlook-com-image-proxy",
        "apple-mpp-agent",
        "apple-mpp-network",
        "microsoft-defender",
        "mimecast",
        "proofpoint",
        "barracuda-agent",
        "barracuda-network",
        "broadcom-email-security",
        "named-security-scanner",
        "link-preview",
        "headless-browser",
        "http-library",
        "crawler",
        "empty-agent",
    ):
        assert expected in ids


def test_settings_come_from_the_data_file(rules):
    data = json.loads(RULES_PATH.read_text())
    assert rules.settings["fast_click_seconds"] == data["settings"]["fast_click_seconds"] == 10


# --- every classification ---------------------------------------------------------------


def test_gmail_image_proxy_is_a_real_open_through_a_proxy(rules):
    verdict = classify_hit(
        hit(kind="open", user_agent=GMAIL_PROXY, link_slot=None), context(), rules
    )
    assert verdict.classification == "proxy"
    assert verdict.rule == "gmail-image-proxy"
    assert "Gmail" in verdict.reason
    assert verdict.evidence["matched"]["user_agent_contains"] == "GoogleImageProxy"


def test_yahoo_mail_proxy_is_a_proxy_open(rules):
    verdict = classify_hit(
        hit(kind="open", user_agent=YAHOO_PROXY, link_slot=None), context(), rules
    )
    assert (verdict.classification, verdict.rule) == ("proxy", "yahoo-mail-proxy")


def test_apple_mpp_agent_is_a_prefetch_and_says_so_honestly(rules):
    verdict = classify_hit(hit(kind="open", user_agent=APPLE_MPP, link_slot=None), context(), rules)
    assert (verdict.classification, verdict.rule) == ("prefetch", "apple-mpp-agent")
    assert "whether or not the mail is read" in verdict.reason


def test_apple_network_over_ipv4_is_a_prefetch_naming_the_network(rules):
    verdict = classify_hit(
        hit(kind="open", user_agent=IOS_MAIL, ip="17.58.101.4", link_slot=None), context(), rules
    )
    assert (verdict.classification, verdict.rule) == ("prefetch", "apple-mpp-network")
    assert "17.0.0.0/8" in verdict.reason
    assert verdict.evidence["network"] == "17.0.0.0/8"


def test_apple_network_over_ipv6_is_a_prefetch(rules):
    verdict = classify_hit(
        hit(kind="open", user_agent=IOS_MAIL, ip="2a01:b740:a42:1::5", link_slot=None),
        context(),
        rules,
    )
    assert verdict.rule == "apple-mpp-network"
    assert verdict.evidence["network"] == "2a01:b740::/32"


def test_microsoft_defender_network_over_ipv6_is_a_scanner(rules):
    verdict = classify_hit(hit(ip="2a01:111:f400:7e1b::12", user_agent=CHROME), context(), rules)
    assert (verdict.classification, verdict.rule) == ("scanner", "microsoft-defender")
    assert "2a01:111:f400::/48" in verdict.reason


@pytest.mark.parametrize(
    ("ip", "rule_id"),
    [
        ("40.107.22.91", "microsoft-defender"),
        ("205.139.110.61", "mimecast"),
        ("67.231.149.10", "proofpoint"),
        ("209.222.82.254", "barracuda-network"),
        ("85.158.142.100", "broadcom-email-security"),
    ],
)
def test_mail_security_networks_are_scanners_even_with_a_browser_agent(rules, ip, rule_id):
    verdict = classify_hit(hit(ip=ip, user_agent=CHROME), context(), rules)
    assert (verdict.classification, verdict.rule) == ("scanner", rule_id)
    assert verdict.evidence["network"] in verdict.reason


def test_ipv4_mapped_ipv6_address_matches_ipv4_networks(rules):
    verdict = classify_hit(hit(ip="::ffff:205.139.110.61"), context(), rules)
    assert verdict.rule == "mimecast"


@pytest.mark.parametrize(
    ("agent", "rule_id"),
    [
        (BARRACUDA, "barracuda-agent"),
        (GOOGLE_OLD_EDGE, "google-delivery-scan"),
        (GOOGLE_SAFETY, "google-safety"),
        ("Mozilla/5.0 (compatible; Trend Micro URL Scanner)", "named-security-scanner"),
    ],
)
def test_scanner_agents_are_scanners(rules, agent, rule_id):
    verdict = classify_hit(hit(user_agent=agent), context(), rules)
    assert (verdict.classification, verdict.rule) == ("scanner", rule_id)


@pytest.mark.parametrize(
    ("agent", "rule_id"),
    [
        (SLACKBOT, "link-preview"),
        (LINKEDIN, "link-preview"),
        (DISCORD, "link-preview"),
        (TELEGRAM, "link-preview"),
        (FACEBOOK, "link-preview"),
        (TWITTER, "link-preview"),
        (WHATSAPP, "link-preview"),
        (SKYPE, "link-preview"),
        (MS_PREVIEW, "link-preview"),
        (HEADLESS, "headless-browser"),
        (CURL, "http-library"),
        (WGET, "http-library"),
        (PYTHON_REQUESTS, "http-library"),
        (GO_CLIENT, "http-library"),
        (JAVA, "http-library"),
        (LIBWWW, "http-library"),
        (GOOGLEBOT, "crawler"),
        ("", "empty-agent"),
        ("   ", "empty-agent"),
    ],
)
def test_bot_agents_are_bots(rules, agent, rule_id):
    verdict = classify_hit(hit(user_agent=agent), context(), rules)
    assert (verdict.classification, verdict.rule) == ("bot", rule_id)


@pytest.mark.parametrize(
    "headers",
    [{"purpose": "prefetch"}, {"sec-purpose": "prefetch;prerender"}, {"x-moz": "prefetch"}],
)
def test_prefetch_headers_are_prefetches(rules, headers):
    verdict = classify_hit(hit(headers=headers), context(), rules)
    assert (verdict.classification, verdict.rule) == ("prefetch", "prefetch-header")
    assert verdict.evidence["matched"]["header"].split(":")[0] in headers


def test_chrome_prefetch_proxy_is_a_prefetch(rules):
    verdict = classify_hit(hit(kind="open", user_agent=CHROME_PREFETCH), context(), rules)
    assert verdict.classification == "prefetch"


def test_a_person_in_a_browser_is_human(rules):
    verdict = classify_hit(hit(), context(), rules)
    assert (verdict.classification, verdict.rule) == ("human", "human")
    assert "recipient's click" in verdict.reason


def test_outlook_desktop_open_is_human(rules):
    verdict = classify_hit(
        hit(kind="open", user_agent=OUTLOOK_DESKTOP, link_slot=None), context(), rules
    )
    assert verdict.classification == "human"
    assert "opening the mail" in verdict.reason


def test_attachment_view_in_a_browser_is_human(rules):
    verdict = classify_hit(hit(kind="attachment", link_slot=None), context(), rules)
    assert verdict.classification == "human"
    assert "attachment" in verdict.reason


def test_every_classification_is_reachable(rules):
    seen = {
        classify_hit(hit(sender_cookie=True), context(), rules).classification,
        classify_hit(hit(kind="open", user_agent=GMAIL_PROXY), context(), rules).classification,
        classify_hit(hit(kind="open", user_agent=APPLE_MPP), context(), rules).classification,
        classify_hit(hit(method="HEAD"), context(), rules).classification,
        classify_hit(hit(user_agent=CURL), context(), rules).classification,
        classify_hit(hit(), context(), rules).classification,
    }
    assert seen == set(CLASSIFICATIONS)


# --- built-in checks --------------------------------------------------------------------


def test_sender_cookie_marks_the_sender(rules):
    verdict = classify_hit(hit(sender_cookie=True), context(), rules)
    assert (verdict.classification, verdict.rule) == ("sender", "sender-cookie")
    assert verdict.evidence["sender_cookie"] is True


def test_sender_sighting_with_same_address_and_agent_marks_the_sender_and_names_it(rules):
    seen = SENT + timedelta(minutes=45)
    sightings = (
        Sighting("198.51.100.7", CHROME, SENT),
        Sighting(PUBLIC_IP, CHROME, seen),
    )
    verdict = classify_hit(hit(), context(sender_sightings=sightings), rules)
    assert (verdict.classification, verdict.rule) == ("sender", "sender-sighting")
    assert verdict.evidence["sighting"] == {
        "ip": PUBLIC_IP,
        "user_agent": CHROME,
        "seen_at": seen.isoformat(),
    }
    assert verdict.evidence["minutes_apart"] == 15
    assert "15 minutes" in verdict.reason
    assert PUBLIC_IP in verdict.reason


def test_sender_sighting_needs_both_address_and_agent(rules):
    sightings = (
        Sighting(PUBLIC_IP, OUTLOOK_DESKTOP, SENT),
        Sighting("198.51.100.7", CHROME, SENT),
    )
    verdict = classify_hit(hit(), context(sender_sightings=sightings), rules)
    assert verdict.classification == "human"


def test_sender_sighting_older_than_a_day_does_not_count(rules):
    old = SENT + timedelta(hours=1) - timedelta(hours=25)
    verdict = classify_hit(
        hit(), context(sender_sightings=(Sighting(PUBLIC_IP, CHROME, old),)), rules
    )
    assert verdict.classification == "human"


def test_sender_sighting_matches_ipv6_written_differently(rules):
    sighting = Sighting("2001:db8:0:0::1", CHROME, SENT)
    verdict = classify_hit(hit(ip="2001:DB8::1"), context(sender_sightings=(sighting,)), rules)
    assert verdict.rule == "sender-sighting"


def test_head_request_on_a_click_is_a_scanner(rules):
    verdict = classify_hit(hit(method="HEAD"), context(), rules)
    assert (verdict.classification, verdict.rule) == ("scanner", "head-request")
    assert "HEAD" in verdict.reason


def test_honeypot_click_is_a_scanner(rules):
    verdict = classify_hit(hit(honeypot=True, link_slot=HONEYPOT_SLOT), context(), rules)
    assert (verdict.classification, verdict.rule) == ("scanner", "honeypot-link")


def test_click_within_ten_seconds_of_sending_is_a_scanner_with_the_seconds_in_words(rules):
    verdict = classify_hit(hit(at=SENT + timedelta(seconds=4)), context(), rules)
    assert (verdict.classification, verdict.rule) == ("scanner", "fast-click")
    assert verdict.evidence["seconds_since_send"] == 4
    assert "4 seconds after" in verdict.reason


def test_fractional_seconds_are_shown_with_one_decimal(rules):
    verdict = classify_hit(hit(at=SENT + timedelta(seconds=2, milliseconds=340)), context(), rules)
    assert "2.3 seconds after" in verdict.reason


def test_click_after_the_fast_window_is_not_a_fast_click(rules):
    verdict = classify_hit(hit(at=SENT + timedelta(seconds=11)), context(), rules)
    assert verdict.classification == "human"


def test_fast_open_is_not_judged_by_click_timing(rules):
    verdict = classify_hit(hit(kind="open", at=SENT + timedelta(seconds=2)), context(), rules)
    assert verdict.classification == "human"


def test_three_links_from_one_address_within_five_seconds_is_a_burst(rules):
    at = SENT + timedelta(hours=2)
    prior = (
        PriorHit(at - timedelta(seconds=3), PUBLIC_IP, CHROME, "click", 1),
        PriorHit(at - timedelta(seconds=1), PUBLIC_IP, CHROME, "click", 2),
    )
    verdict = classify_hit(hit(at=at, link_slot=3), context(link_count=5, prior_hits=prior), rules)
    assert (verdict.classification, verdict.rule) == ("scanner", "click-burst")
    assert verdict.evidence["links_in_burst"] == 3
    assert verdict.evidence["link_slots"] == [1, 2, 3]
    assert verdict.evidence["burst_started_at"] == (at - timedelta(seconds=3)).isoformat()
    assert "3 different links" in verdict.reason
    assert "within 5 seconds" in verdict.reason


def test_both_links_of_a_two_link_mail_at_once_is_a_burst(rules):
    at = SENT + timedelta(hours=2)
    prior = (PriorHit(at - timedelta(seconds=2), PUBLIC_IP, CHROME, "click", 1),)
    verdict = classify_hit(hit(at=at, link_slot=2), context(link_count=2, prior_hits=prior), rules)
    assert verdict.rule == "click-burst"
    assert "2 different links" in verdict.reason


def test_clicks_spread_out_or_from_other_addresses_are_no_burst(rules):
    at = SENT + timedelta(hours=2)
    prior = (
        PriorHit(at - timedelta(seconds=30), PUBLIC_IP, CHROME, "click", 1),
        PriorHit(at - timedelta(seconds=1), "198.51.100.7", CHROME, "click", 2),
        PriorHit(at - timedelta(seconds=1), PUBLIC_IP, CHROME, "open", None),
        PriorHit(at - timedelta(seconds=1), PUBLIC_IP, CHROME, "click", 3),
    )
    verdict = classify_hit(hit(at=at, link_slot=3), context(link_count=5, prior_hits=prior), rules)
    assert verdict.classification == "human"


def test_the_honeypot_does_not_count_as_a_link_of_a_burst(rules):
    at = SENT + timedelta(hours=2)
    prior = (PriorHit(at - timedelta(minutes=20), PUBLIC_IP, CHROME, "click", HONEYPOT_SLOT),)
    prior += (PriorHit(at - timedelta(seconds=1), PUBLIC_IP, CHROME, "click", 1),)
    verdict = classify_hit(hit(at=at, link_slot=2), context(link_count=5, prior_hits=prior), rules)
    assert verdict.classification == "human"


def test_click_from_an_address_that_followed_the_honeypot_is_a_scanner(rules):
    at = SENT + timedelta(hours=2)
    prior = (PriorHit(at - timedelta(minutes=6), PUBLIC_IP, CHROME, "click", HONEYPOT_SLOT),)
    verdict = classify_hit(hit(at=at), context(prior_hits=prior), rules)
    assert (verdict.classification, verdict.rule) == ("scanner", "honeypot-address")
    assert verdict.evidence["minutes_since_honeypot"] == 6
    assert "6 minutes earlier" in verdict.reason


def test_honeypot_memory_lasts_ten_minutes(rules):
    at = SENT + timedelta(hours=2)
    prior = (PriorHit(at - timedelta(minutes=11), PUBLIC_IP, CHROME, "click", HONEYPOT_SLOT),)
    verdict = classify_hit(hit(at=at), context(prior_hits=prior), rules)
    assert verdict.classification == "human"


def test_unknown_send_time_skips_the_fast_click_check(rules):
    verdict = classify_hit(hit(at=SENT + timedelta(seconds=1)), context(sent_at=None), rules)
    assert verdict.classification == "human"
    assert "seconds_since_send" not in verdict.evidence


def test_unknown_kind_is_refused(rules):
    with pytest.raises(ValueError, match="kind"):
        classify_hit(hit(kind="reply"), context(), rules)


# --- order of the checks ----------------------------------------------------------------


def test_sender_beats_proxy(rules):
    verdict = classify_hit(
        hit(kind="open", user_agent=GMAIL_PROXY, sender_cookie=True), context(), rules
    )
    assert verdict.classification == "sender"


def test_sender_beats_head_and_honeypot(rules):
    verdict = classify_hit(hit(method="HEAD", honeypot=True, sender_cookie=True), context(), rules)
    assert verdict.classification == "sender"


def test_head_beats_data_rules(rules):
    verdict = classify_hit(hit(method="HEAD", user_agent=SLACKBOT), context(), rules)
    assert verdict.rule == "head-request"


def test_honeypot_beats_data_rules(rules):
    verdict = classify_hit(hit(honeypot=True, user_agent=CURL), context(), rules)
    assert verdict.rule == "honeypot-link"


def test_data_rules_beat_click_timing(rules):
    verdict = classify_hit(hit(user_agent=CURL, at=SENT + timedelta(seconds=2)), context(), rules)
    assert verdict.rule == "http-library"


def test_head_on_an_open_is_left_to_the_rules(rules):
    verdict = classify_hit(hit(kind="open", method="HEAD", link_slot=None), context(), rules)
    assert verdict.classification == "human"


# --- the admin file ---------------------------------------------------------------------


def test_admin_rules_come_first_and_extend(tmp_path):
    path = write(
        tmp_path,
        {
            "rules": [
                {
                    "id": "our-vpn-scanner",
                    "classification": "scanner",
                    "reason": "Our own security appliance at {network} checked this link.",
                    "match": {"ip_networks": ["203.0.113.0/24"], "kinds": ["click"]},
                },
                {
                    "id": "curl-is-our-monitor",
                    "classification": "scanner",
                    "reason": "Our uptime monitor fetched this with curl.",
                    "match": {"user_agent_regex": ["^curl/"]},
                },
            ]
        },
    )
    rules = load_rules(path)
    assert [rule.id for rule in rules][:2] == ["our-vpn-scanner", "curl-is-our-monitor"]
    verdict = classify_hit(hit(ip="203.0.113.9"), context(), rules)
    assert verdict.reason == "Our own security appliance at 203.0.113.0/24 checked this link."
    # curl is also matched by the packaged http-library rule; the admin's rule wins.
    assert classify_hit(hit(user_agent=CURL), context(), rules).rule == "curl-is-our-monitor"
    assert rules.get("http-library") is not None


def test_admin_rule_with_the_same_id_replaces_the_packaged_one(tmp_path):
    path = write(
        tmp_path,
        {
            "rules": [
                {
                    "id": "gmail-image-proxy",
                    "classification": "prefetch",
                    "reason": "Counted as a prefetch by this company's policy.",
                    "match": {"user_agent_contains": ["GoogleImageProxy"]},
                }
            ]
        },
    )
    rules = load_rules(path)
    assert [rule.id for rule in rules].count("gmail-image-proxy") == 1
    verdict = classify_hit(hit(kind="open", user_agent=GMAIL_PROXY), context(), rules)
    assert (verdict.classification, verdict.reason) == (
        "prefetch",
        "Counted as a prefetch by this company's policy.",
    )


def test_admin_can_disable_a_packaged_rule(tmp_path):
    path = write(tmp_path, {"rules": [{"id": "apple-mpp-network", "disabled": True}]})
    rules = load_rules(path)
    assert rules.get("apple-mpp-network") is None
    verdict = classify_hit(
        hit(kind="open", user_agent=IOS_MAIL, ip="17.58.101.4"), context(), rules
    )
    assert verdict.classification == "human"


def test_admin_settings_change_the_fast_click_window(tmp_path):
    rules = load_rules(write(tmp_path, {"settings": {"fast_click_seconds": 60}}))
    verdict = classify_hit(hit(at=SENT + timedelta(seconds=45)), context(), rules)
    assert verdict.rule == "fast-click"
    assert "45 seconds" in verdict.reason
    assert load_rules().settings["fast_click_seconds"] == 10


def test_admin_rule_can_match_on_time_since_sending(tmp_path):
    path = write(
        tmp_path,
        {
            "rules": [
                {
                    "id": "zscaler-sandbox",
                    "classification": "scanner",
                    "reason": "Our Zscaler sandbox opened this {seconds_since_send} seconds after "
                    "sending.",
                    "match": {"ip_networks": ["198.51.100.0/24"], "max_seconds_after_send": 120},
                }
            ]
        },
    )
    rules = load_rules(path)
    early = classify_hit(hit(ip="198.51.100.5", at=SENT + timedelta(seconds=90)), context(), rules)
    assert early.reason == "Our Zscaler sandbox opened this 90 seconds after sending."
    late = classify_hit(hit(ip="198.51.100.5", at=SENT + timedelta(minutes=5)), context(), rules)
    assert late.classification == "human"


def test_admin_rule_on_methods_and_headers(tmp_path):
    path = write(
        tmp_path,
        {
            "rules": [
                {
                    "id": "proxy-via",
                    "classification": "scanner",
                    "reason": "A gateway that announces itself in the Via header fetched this.",
                    "match": {"headers_present": ["Via"], "methods": ["get"]},
                },
                {
                    "id": "from-header",
                    "classification": "bot",
                    "reason": "A robot that gives a contact address fetched this.",
                    "match": {"headers_equal": {"From": "googlebot(at)googlebot.com"}},
                },
            ]
        },
    )
    rules = load_rules(path)
    assert classify_hit(hit(headers={"via": "1.1 gw"}), context(), rules).rule == "proxy-via"
    from_bot = hit(headers={"from": "Googlebot(at)googlebot.com"})
    assert classify_hit(from_bot, context(), rules).rule == "from-header"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "not valid JSON at line 1"),
        ([], "top level must be an object"),
        ({"rules": {}}, '"rules" must be a list'),
        ({"rules": [{"classification": "bot"}]}, 'rule 1: "id" must be a non-empty string'),
        (
            {"rules": [{"id": "x", "classification": "robot", "reason": "R.", "match": {}}]},
            "rule 1 ('x'): \"classification\" must be one of",
        ),
        (
            {"rules": [{"id": "x", "classification": "bot", "match": {"kinds": ["open"]}}]},
            "rule 1 ('x'): \"reason\" must be a sentence",
        ),
        (
            {
                "rules": [
                    {
                        "id": "ok",
                        "classification": "bot",
                        "reason": "R.",
                        "match": {"user_agent_empty": True},
                    },
                    {
                        "id": "typo",
                        "classification": "bot",
                        "reason": "R.",
                        "match": {"user_agnet_contains": ["x"]},
                    },
                ]
            },
            "rule 2 ('typo'): unknown matchers ['user_agnet_contains']",
        ),
        (
            {
                "rules": [
                    {
                        "id": "net",
                        "classification": "scanner",
                        "reason": "R.",
                        "match": {"ip_networks": ["300.1.2.0/24"]},
                    }
                ]
            },
            "rule 1 ('net'): '300.1.2.0/24' is not an IP network",
        ),
        (
            {
                "rules": [
                    {
                        "id": "re",
                        "classification": "bot",
                        "reason": "R.",
                        "match": {"user_agent_regex": ["(unclosed"]},
                    }
                ]
            },
            "rule 1 ('re'): '(unclosed' is not a valid regular expression",
        ),
        (
            {
                "rules": [
                    {
                        "id": "ph",
                        "classification": "bot",
                        "reason": "Seen at {network}.",
                        "match": {"user_agent_contains": ["x"]},
                    }
                ]
            },
            "rule 1 ('ph'): the reason uses placeholders ['network']",
        ),
        (
            {
                "rules": [
                    {
                        "id": "k",
                        "classification": "bot",
                        "reason": "R.",
                        "match": {"kinds": ["reply"]},
                    }
                ]
            },
            "rule 1 ('k'): unknown kinds ['reply']",
        ),
        (
            {
                "rules": [
                    {
                        "id": "o",
                        "classification": "bot",
                        "reason": "R.",
                        "match": {"kinds": ["open"]},
                    }
                ]
            },
            "rule 1 ('o'): \"match\" needs a matcher beyond kinds and methods",
        ),
        ({"settings": {"fast_click_secs": 5}}, "unknown setting 'fast_click_secs'"),
        ({"settings": {"fast_click_seconds": "ten"}}, "'fast_click_seconds' must be a number"),
    ],
)
def test_malformed_admin_file_gives_a_clear_error_naming_the_rule(tmp_path, content, message):
    path = write(tmp_path, content)
    with pytest.raises(RulesError) as caught:
        load_rules(path)
    assert message in str(caught.value)
    assert str(path) in str(caught.value)


def test_missing_admin_file_is_an_error_naming_it(tmp_path):
    with pytest.raises(RulesError, match="cannot be read"):
        load_rules(tmp_path / "absent.json")


# --- regional proxies, link checkers, portal crawlers and automated browsers ------------------


@pytest.mark.parametrize(
    "agent",
    [
        "Mozilla/5.0 SeznamEmailProxy/2.0.174",
        "RamblerMail/6.0 (incompatible; ImageProxy/6.0)",
        "Mozilla/5.0 (Windows NT 10.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/55.0.2883.87 "
        "Safari/537.36 (via secureurl.fwdcdn.com - mail.ukr.net proxy)",
        "Mozilla/5.0 (compatible; YandexImageResizer/2.0; +http://yandex.com/bots)",
    ],
)
def test_regional_webmail_proxies_are_real_opens_through_a_proxy(rules, agent):
    verdict = classify_hit(hit(kind="open", user_agent=agent), context(), rules)
    assert (verdict.classification, verdict.rule) == ("proxy", "regional-webmail-proxy")


CHECKERS_CRAWLERS_PREVIEWS = [
    ("Kaspersky Lab CFR link resolver cfradmins@kaspersky.com", "antivirus-link-checker"),
    (
        "Mozilla/5.0 (compatible; YandexAntivirus/2.0; +http://yandex.com/bots)",
        "antivirus-link-checker",
    ),  # noqa: E501
    ("Yeti/1.1 (Naver Corp.; http://help.naver.com/robots/)", "portal-crawler"),
    ("Mozilla/5.0 (compatible; Daum/4.1; +http://cs.daum.net/faq/15/4118.html)", "portal-crawler"),
    (
        "Y!J-BRW/1.0 (https://www.yahoo-help.jp/app/answers/detail/p/595/a_id/42716)",
        "portal-crawler",
    ),  # noqa: E501
    ("facebookexternalhit/1.1; kakaotalk-scrap/1.0; +https://devtalk.kakao.com", "link-preview"),
    ("Mozilla/5.0 (compatible; vkShare; +http://vk.com/dev/Share)", "link-preview"),
]


@pytest.mark.parametrize(("agent", "rule_id"), CHECKERS_CRAWLERS_PREVIEWS)
def test_named_checkers_crawlers_and_previews(rules, agent, rule_id):
    verdict = classify_hit(hit(user_agent=agent), context(), rules)
    expected = "scanner" if rule_id == "antivirus-link-checker" else "bot"
    assert (verdict.classification, verdict.rule) == (expected, rule_id)


def test_a_portals_own_browser_or_app_is_still_a_person(rules):
    whale = CHROME + " Whale/3.24.223.21"
    daum_app = "Mozilla/5.0 (Linux; Android 13) AppleWebKit/537.36 Chrome/120 Mobile DaumApps/8.7.2"
    for agent in (whale, daum_app):
        assert classify_hit(hit(user_agent=agent), context(), rules).classification == "human"


def test_headless_chrome_is_told_by_its_client_hints(rules):
    hints = {"sec-ch-ua": '"Chromium";v="120", "HeadlessChrome";v="120"'}
    verdict = classify_hit(hit(headers=hints), context(), rules)
    assert (verdict.classification, verdict.rule) == ("bot", "headless-client-hint")


def test_a_click_from_a_cloud_range_without_a_language_is_automation(rules):
    verdict = classify_hit(hit(ip="3.120.45.7"), context(), rules)
    assert (verdict.classification, verdict.rule) == ("bot", "cloud-automation")
    assert verdict.evidence["network"] in verdict.reason


def test_a_person_on_a_cloud_desktop_sends_a_language_and_stays_a_person(rules):
    on_azure = hit(ip="20.50.2.10", headers={"accept-language": "sv-SE"})
    assert classify_hit(on_azure, context(), rules).classification == "human"
    cloud_open = hit(kind="open", ip="3.120.45.7")
    assert classify_hit(cloud_open, context(), rules).classification == "human"


def test_admin_rule_on_an_absent_header(tmp_path):
    rule = {
        "id": "no-language",
        "classification": "bot",
        "reason": "No language.",
        "match": {"headers_absent": ["Accept-Language"]},
    }
    rules = load_rules(write(tmp_path, {"rules": [rule]}))
    assert classify_hit(hit(), context(), rules).rule == "no-language"
    spoken = hit(headers={"accept-language": "en"})
    assert classify_hit(spoken, context(), rules).rule == "human"
