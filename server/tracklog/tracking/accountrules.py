"""Each account's own tracking rules in force: its rows first, then the files' rules.

The recorder classifies every hit with these, so they are cached per account and never read per
hit. A change made in this process forgets the cache at once (`forget_account_rules`); other
processes (the `tracklog record-hits` child of `tracklog serve`, one per host) notice it by a
stamp of the table — how many rules there are and the highest id — read at most every
CHECK_SECONDS.
"""

from __future__ import annotations

import threading
import time
from dataclasses import replace

from flask import current_app
from sqlalchemy import func, select

from tracklog.extensions import db
from tracklog.models import TrackingRule
from tracklog.tracking.classify import Rule, Rules
from tracklog.tracking.rulesfile import RulesError, parse_rule

EXTENSION = "tracklog.account_rules"
CHECK_SECONDS = 5.0


def rule_document(row: TrackingRule) -> dict:
    """The row as a rules file writes a rule; its note is the reason, shown as written."""
    reason = row.note.replace("{", "{{").replace("}", "}}")
    return {
        "id": row.slug,
        "classification": row.classification,
        "reason": reason,
        "match": row.match,
    }


def account_rule(row: TrackingRule) -> Rule:
    """The row as a validated rule (RulesError when it is not one)."""
    return parse_rule(rule_document(row), "tracking rule", f"account {row.account_id}")


def _usable_rule(row: TrackingRule) -> Rule | None:
    """The row's rule; one a later, stricter parser refuses is logged and left out, so that it
    never stops the account's hits from being recorded."""
    try:
        return account_rule(row)
    except RulesError:
        current_app.logger.exception("tracking rule %s of account %s", row.id, row.account_id)
        return None


class AccountRules:
    """Per account, the rules in force; dropped when the table's stamp changes."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.cached: dict[int, tuple[Rules, Rules]] = {}
        self.stamp: tuple[int, int | None] | None = None
        self.checked_at = 0.0

    def rules_for(self, account_id: int, file_rules: Rules) -> Rules:
        """The account's enabled rules, then the files' rules (from cache when still fresh)."""
        self._drop_if_changed()
        with self.lock:
            cached = self.cached.get(account_id)
            if cached is not None and cached[0] is file_rules:
                return cached[1]
        rows = db.session.scalars(
            select(TrackingRule)
            .where(TrackingRule.account_id == account_id, TrackingRule.enabled.is_(True))
            .order_by(TrackingRule.id)
        )
        own = tuple(rule for rule in map(_usable_rule, rows) if rule is not None)
        rules = replace(file_rules, rules=own + file_rules.rules) if own else file_rules
        with self.lock:
            self.cached[account_id] = (file_rules, rules)
        return rules

    def forget(self) -> None:
        """Read every account's rules again on next use."""
        with self.lock:
            self.cached.clear()
            self.checked_at = 0.0

    def _drop_if_changed(self) -> None:
        """Every CHECK_SECONDS, compare the table's stamp and drop the cache when it moved."""
        now = time.monotonic()
        if now - self.checked_at < CHECK_SECONDS:
            return
        stamp = tuple(db.session.execute(select(func.count(), func.max(TrackingRule.id))).one())
        with self.lock:
            if stamp != self.stamp:
                self.cached.clear()
                self.stamp = stamp
            self.checked_at = now


def account_rules() -> AccountRules:
    """The current app's cache of accounts' rules."""
    return current_app.extensions.setdefault(EXTENSION, AccountRules())


def forget_account_rules() -> None:
    """After a change of some account's rules: this process reads them again at once."""
    account_rules().forget()
