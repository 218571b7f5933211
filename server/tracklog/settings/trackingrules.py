"""Tracking rules an admin adds for the account (page and API), beside the files' rules.

A rule is written like a rule of a rules file (classification, matchers) with the admin's note as
its reason, and is validated by the same parser (tracking/rulesfile.py). The account's rules are
tried before the files' (docs/tracking-rules.md); the recorder reads them through a cache that a
change here forgets (tracking/accountrules.py).
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from tracklog.audit.log import record_audit
from tracklog.auth.accounts import require_admin
from tracklog.errors import NotFound, ValidationFailed
from tracklog.extensions import db
from tracklog.models import TrackingRule, User
from tracklog.tracking.accountrules import account_rule, forget_account_rules
from tracklog.tracking.classify import RULE_CLASSIFICATIONS, Rule
from tracklog.tracking.reasons import explain_reason
from tracklog.tracking.recording import current_rules
from tracklog.tracking.rulesfile import MATCHERS, RULES_PATH, RulesError

# The matchers the settings page offers; the API takes every matcher a rules file takes.
OFFERED_MATCHERS = ("user_agent_contains", "ip_networks")
LIST_MATCHERS = (
    "kinds",
    "methods",
    "user_agent_contains",
    "user_agent_regex",
    "user_agent_exact",
    "ip_networks",
    "headers_present",
    "headers_absent",
)
MAX_NOTE = 500


def refuse_non_admin(actor: User) -> None:
    """Forbidden unless the actor is an admin."""
    require_admin(actor, _("Only an admin can manage the account's tracking rules."))


def own_rules(actor: User) -> list[TrackingRule]:
    """The account's own rules, in the order they are tried (admins only)."""
    refuse_non_admin(actor)
    query = select(TrackingRule).where(TrackingRule.account_id == actor.account_id)
    return list(db.session.scalars(query.order_by(TrackingRule.id)))


def built_in_rules() -> list[Rule]:
    """The rules of the packaged file and the installation's admin file, in the order tried."""
    return list(current_rules())


def read_rule_request(sent: Mapping[str, Any]) -> tuple[str, dict[str, Any], str]:
    """The classification, matchers and note of a new rule, or a ValidationFailed naming fields."""
    problems: dict[str, str] = {}
    unknown = set(sent) - {"classification", "note", *MATCHERS}
    for name in sorted(unknown):
        problems[name] = _("not a field of a tracking rule")
    classification = sent.get("classification")
    if classification not in RULE_CLASSIFICATIONS:
        problems["classification"] = ", ".join(RULE_CLASSIFICATIONS)
    note = sent.get("note").strip() if isinstance(sent.get("note"), str) else ""
    if not note or len(note) > MAX_NOTE:
        problems["note"] = _("a reason of 1 to %(max)d characters", max=MAX_NOTE)
    given = {name: _matcher_value(name, sent.get(name)) for name in MATCHERS}
    match = {name: value for name, value in given.items() if value not in (None, "", [])}
    if set(match) <= {"kinds", "methods"}:
        problems["match"] = _("give a user-agent text or an IP network")
    if problems:
        raise ValidationFailed(_("The tracking rule was not added."), details={"fields": problems})
    return classification, match, note


def _matcher_value(name: str, value: Any) -> Any:
    """A matcher as sent; one text stands for a list of one, blank texts are left out, and a
    matcher left blank (a form's other field) is not given."""
    if name in LIST_MATCHERS and isinstance(value, str):
        value = [value]
    if name in LIST_MATCHERS and isinstance(value, list):
        stripped = [v.strip() if isinstance(v, str) else v for v in value]
        return [v for v in stripped if v != ""]
    return value


def add_tracking_rule(actor: User, sent: Mapping[str, Any]) -> TrackingRule:
    """Add a rule for the account's hits, checked by the rules-file parser, and audit it."""
    refuse_non_admin(actor)
    classification, match, note = read_rule_request(sent)
    row = TrackingRule(
        account_id=actor.account_id,
        slug=f"account-{secrets.token_hex(4)}",
        classification=classification,
        match=match,
        note=note,
        added_by_id=actor.id,
    )
    try:
        account_rule(row)
    except RulesError as exc:
        problem = str(exc).removeprefix("tracking rule ('" + row.slug + "'): ")
        field = exc.matcher or "match"
        raise ValidationFailed(
            _("The tracking rule was not added: %(problem)s", problem=problem),
            details={"fields": {field: problem}},
        ) from exc
    db.session.add(row)
    db.session.flush()
    record_audit(
        actor,
        actor.account_id,
        "tracking_rule_added",
        ("tracking_rule", row.id),
        {"classification": [None, classification], "match": [None, match], "note": [None, note]},
    )
    db.session.commit()
    forget_account_rules()
    return row


def remove_tracking_rule(actor: User, rule_id: int) -> None:
    """Remove one of the account's rules, and audit it; hits already classified keep their class
    until they are classified again."""
    refuse_non_admin(actor)
    row = db.session.get(TrackingRule, rule_id)
    if row is None or row.account_id != actor.account_id:
        raise NotFound(_("No such tracking rule."))
    record_audit(
        actor,
        actor.account_id,
        "tracking_rule_removed",
        ("tracking_rule", row.id),
        {
            "classification": [row.classification, None],
            "match": [row.match, None],
            "note": [row.note, None],
        },
    )
    db.session.delete(row)
    db.session.commit()
    forget_account_rules()


def tracking_rule_json(row: TrackingRule) -> dict[str, Any]:
    """One of the account's rules as the API shows it."""
    added_by = row.added_by
    return {
        "id": row.id,
        "rule": row.slug,
        "classification": row.classification,
        "match": row.match,
        "note": row.note,
        "enabled": row.enabled,
        "added_by": {"id": added_by.id, "email": added_by.email} if added_by else None,
        "created_at": row.created_at.isoformat(),
    }


def built_in_rule_json(rule: Rule) -> dict[str, Any]:
    """A rule of the packaged or the admin's file (read-only), its reason in the reader's words."""
    return {
        "rule": rule.id,
        "classification": rule.classification,
        "reason": explain_reason(rule.reason, {"rule": rule.id}),
        "source": rule.source,
        "file": "packaged" if rule.origin == str(RULES_PATH) else "admin",
        "match": dict(rule.match),
    }
