"""The rules data file: loading and validating rules.json and an admin's own file.

Every mistake is a RulesError naming the file, the rule and the problem, so that an admin's
typo is found when the file is loaded, never when a hit is classified.
"""

from __future__ import annotations

import ipaddress
import json
import re
import string
from pathlib import Path
from typing import Any

from tracklog.tracking.classify import KINDS, METHODS, RULE_CLASSIFICATIONS, Rule, Rules

RULES_PATH = Path(__file__).with_name("rules.json")

DEFAULT_SETTINGS = {
    "fast_click_seconds": 10,
    "burst_window_seconds": 5,
    "burst_min_links": 3,
    "honeypot_memory_minutes": 10,
    "sender_sighting_hours": 24,
}

MATCHERS = (
    "kinds",
    "methods",
    "user_agent_contains",
    "user_agent_regex",
    "user_agent_exact",
    "user_agent_empty",
    "ip_networks",
    "headers_present",
    "headers_equal",
    "headers_contain",
    "headers_absent",
    "max_seconds_after_send",
)

# Reasons of the built-in checks. Whole sentences with placeholders filled from the evidence,
# so that a translator sees each sentence once and never a fragment.


class RulesError(ValueError):
    """The rules file is malformed; the message names the file and the bad rule, and `matcher`
    the matcher at fault when one is."""

    def __init__(self, message: str, matcher: str | None = None) -> None:
        super().__init__(message)
        self.matcher = matcher


def load_rules(extra_path: str | Path | None = None) -> Rules:
    """The packaged rules, with an admin file's rules first (same id replaces, disabled removes)."""
    base = _read_file(RULES_PATH)
    settings = dict(DEFAULT_SETTINGS)
    settings.update(_parse_settings(base, RULES_PATH))
    base_rules = _parse_rules(base, RULES_PATH, admin=False)
    files = [str(RULES_PATH)]
    admin_rules: list[Rule] = []
    removed: set[str] = set()
    if extra_path is not None:
        path = Path(extra_path)
        extra = _read_file(path)
        settings.update(_parse_settings(extra, path))
        for item, rule in _parse_admin_rules(extra, path):
            removed.add(item["id"])
            if rule is not None:
                admin_rules.append(rule)
        files.append(str(path))
    rules = admin_rules + [rule for rule in base_rules if rule.id not in removed]
    return Rules(rules=tuple(rules), settings=settings, files=tuple(files))


def _read_file(path: Path) -> dict:
    """The parsed JSON object of a rules file, or a RulesError naming the file."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise RulesError(f"rules file {path}: cannot be read ({exc.strerror or exc})") from exc
    except json.JSONDecodeError as exc:
        raise RulesError(
            f"rules file {path}: not valid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}"
        ) from exc
    if not isinstance(data, dict):
        raise RulesError(f'rules file {path}: the top level must be an object with "rules"')
    unknown = set(data) - {"version", "settings", "rules", "comment"}
    if unknown:
        raise RulesError(f"rules file {path}: unknown top-level keys {sorted(unknown)}")
    if not isinstance(data.get("rules", []), list):
        raise RulesError(f'rules file {path}: "rules" must be a list')
    return data


def _parse_settings(data: dict, path: Path) -> dict:
    """The validated settings block of a rules file."""
    settings = data.get("settings", {})
    if not isinstance(settings, dict):
        raise RulesError(f'rules file {path}: "settings" must be an object')
    for key, value in settings.items():
        if key not in DEFAULT_SETTINGS:
            raise RulesError(
                f"rules file {path}: unknown setting {key!r} (known: {sorted(DEFAULT_SETTINGS)})"
            )
        if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
            raise RulesError(f"rules file {path}: setting {key!r} must be a number of 0 or more")
    return dict(settings)


def _parse_rules(data: dict, path: Path, admin: bool) -> list[Rule]:
    """The validated rules of a file, in order."""
    rules = []
    seen: set[str] = set()
    for index, item in enumerate(data.get("rules", []), start=1):
        rule = parse_rule(item, f"rules file {path}, rule {index}", str(path), admin)
        if rule.id in seen:
            raise RulesError(f"rules file {path}, rule {index} ({rule.id!r}): duplicate id")
        seen.add(rule.id)
        if not item.get("disabled", False):
            rules.append(rule)
    return rules


def _parse_admin_rules(data: dict, path: Path) -> list[tuple[dict, Rule | None]]:
    """The admin file's rules; a rule with "disabled": true only removes a packaged rule."""
    parsed: list[tuple[dict, Rule | None]] = []
    seen: set[str] = set()
    for index, item in enumerate(data.get("rules", []), start=1):
        where = f"rules file {path}, rule {index}"
        rule_id = _rule_id(item, where)
        if rule_id in seen:
            raise RulesError(f"{where} ({rule_id!r}): duplicate id")
        seen.add(rule_id)
        disabled = item.get("disabled", False)
        if not isinstance(disabled, bool):
            raise RulesError(f'{where} ({rule_id!r}): "disabled" must be true or false')
        if disabled:
            parsed.append((item, None))
        else:
            parsed.append((item, parse_rule(item, where, str(path), admin=True)))
    return parsed


def _rule_id(item: Any, where: str) -> str:
    """The id of a rule object, or a RulesError saying what is wrong with it."""
    if not isinstance(item, dict):
        raise RulesError(f"{where}: must be an object")
    rule_id = item.get("id")
    if not isinstance(rule_id, str) or not rule_id.strip():
        raise RulesError(f'{where}: "id" must be a non-empty string')
    return rule_id


def parse_rule(item: Any, where: str, origin: str, admin: bool = True) -> Rule:
    """One validated rule, or a RulesError naming where it is written and the problem; an
    account's own rules (tracking/accountrules.py) are checked here too."""
    rule_id = _rule_id(item, where)
    where = f"{where} ({rule_id!r})"
    allowed = {"id", "classification", "reason", "source", "match", "disabled", "comment"}
    unknown = set(item) - allowed
    if unknown:
        raise RulesError(f"{where}: unknown keys {sorted(unknown)}")
    classification = item.get("classification")
    if classification not in RULE_CLASSIFICATIONS:
        raise RulesError(
            f'{where}: "classification" must be one of {list(RULE_CLASSIFICATIONS)}, '
            f"not {classification!r}"
        )
    reason = item.get("reason")
    if not isinstance(reason, str) or not reason.strip():
        raise RulesError(f'{where}: "reason" must be a sentence for the user')
    source = item.get("source", "")
    if not isinstance(source, str) or (not admin and not source.strip()):
        raise RulesError(f'{where}: "source" must say where the rule\'s data comes from')
    match = item.get("match")
    if not isinstance(match, dict) or not match:
        raise RulesError(f'{where}: "match" must be an object with at least one matcher')
    unknown = set(match) - set(MATCHERS)
    if unknown:
        raise RulesError(f"{where}: unknown matchers {sorted(unknown)} (known: {list(MATCHERS)})")
    clean = _check_matchers(match, where)
    networks = tuple(_parse_network(n, where) for n in clean.get("ip_networks", ()))
    patterns = tuple(_parse_regex(p, where) for p in clean.get("user_agent_regex", ()))
    _check_placeholders(reason, clean, where)
    return Rule(
        id=rule_id,
        classification=classification,
        reason=reason,
        source=source,
        match=clean,
        origin=origin,
        networks=networks,
        patterns=patterns,
    )


def _check_matchers(match: dict, where: str) -> dict:
    """The matchers with their types checked and values normalised."""
    clean: dict[str, Any] = {}
    for key in ("user_agent_contains", "user_agent_regex", "user_agent_exact", "ip_networks"):
        if key in match:
            clean[key] = _string_list(match[key], key, where)
    if "kinds" in match:
        kinds = _string_list(match["kinds"], "kinds", where)
        bad = [k for k in kinds if k not in KINDS]
        if bad:
            raise RulesError(f"{where}: unknown kinds {bad} (known: {list(KINDS)})", "kinds")
        clean["kinds"] = kinds
    if "methods" in match:
        methods = [m.upper() for m in _string_list(match["methods"], "methods", where)]
        bad = [m for m in methods if m not in METHODS]
        if bad:
            raise RulesError(f"{where}: unknown methods {bad} (known: {list(METHODS)})", "methods")
        clean["methods"] = methods
    if "user_agent_empty" in match:
        if not isinstance(match["user_agent_empty"], bool):
            raise RulesError(
                f'{where}: "user_agent_empty" must be true or false', "user_agent_empty"
            )
        clean["user_agent_empty"] = match["user_agent_empty"]
    for key in ("headers_present", "headers_absent"):
        if key in match:
            clean[key] = [name.lower() for name in _string_list(match[key], key, where)]
    for key in ("headers_equal", "headers_contain"):
        if key in match:
            value = match[key]
            if (
                not isinstance(value, dict)
                or not value
                or not all(
                    isinstance(k, str) and isinstance(v, str) and k for k, v in value.items()
                )
            ):
                raise RulesError(f'{where}: "{key}" must map header names to text values', key)
            clean[key] = {k.lower(): v for k, v in value.items()}
    if "max_seconds_after_send" in match:
        value = match["max_seconds_after_send"]
        if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
            raise RulesError(
                f'{where}: "max_seconds_after_send" must be a number of 0 or more',
                "max_seconds_after_send",
            )
        clean["max_seconds_after_send"] = value
    if set(clean) <= {"kinds", "methods"}:
        raise RulesError(f'{where}: "match" needs a matcher beyond kinds and methods')
    return clean


def _string_list(value: Any, key: str, where: str) -> list[str]:
    """A non-empty list of non-empty strings, or a RulesError."""
    if not isinstance(value, list) or not value or not all(isinstance(v, str) and v for v in value):
        raise RulesError(f'{where}: "{key}" must be a non-empty list of non-empty strings', key)
    return list(value)


def _parse_network(text: str, where: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    """A CIDR network, or a RulesError naming it."""
    try:
        return ipaddress.ip_network(text.strip(), strict=False)
    except ValueError as exc:
        raise RulesError(
            f"{where}: {text!r} is not an IP network in CIDR form ({exc})", "ip_networks"
        ) from exc


def _parse_regex(text: str, where: str) -> re.Pattern:
    """A case-insensitive regular expression, or a RulesError naming it."""
    try:
        return re.compile(text, re.IGNORECASE)
    except re.error as exc:
        raise RulesError(
            f"{where}: {text!r} is not a valid regular expression ({exc})", "user_agent_regex"
        ) from exc


def _check_placeholders(reason: str, match: dict, where: str) -> None:
    """The reason may only use placeholders that every match of this rule fills."""
    available = {"kind", "method"}
    if "ip_networks" in match:
        available.add("network")
    if "max_seconds_after_send" in match:
        available.add("seconds_since_send")
    try:
        names = {name for _, name, _, _ in string.Formatter().parse(reason) if name is not None}
    except ValueError as exc:
        raise RulesError(f"{where}: the reason has a broken placeholder ({exc})") from exc
    bad = sorted(name for name in names if name not in available)
    if bad:
        raise RulesError(
            f"{where}: the reason uses placeholders {bad} that this rule cannot fill "
            f"(available: {sorted(available)})"
        )
