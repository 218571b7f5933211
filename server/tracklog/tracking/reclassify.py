"""Classifying an account's stored hits again, after its tracking rules changed.

Only what an event keeps can be judged again: its kind, method, address, user agent, time, link
and, for hits recorded since migration 0020, the request headers the classifier reads. So:
- the checks made before the rules (the sender's own client, a HEAD click, the honeypot link)
  stand as they were: their evidence (a cookie, a sighting since updated) is not kept;
- a hit without kept headers is judged without the rules that read headers, and keeps a
  verdict that such a rule made;
- a timing verdict (fast click, burst, honeypot address) stands unless a rule now matches, since
  rules are tried first (a burst's earlier clicks would not look like one on their own);
- everything else is classified again by classify_hit, with the account's rules first.
Events are read in batches by id, each batch committed on its own; a row is changed only if its
class is still the one read, so hits recorded meanwhile (or re-marked by a burst) are not undone.
When an open moves between a person's class and a machine's, its message's opens are collapsed
again (recording.recount_opens): repeats and the first open follow, and so do the counts.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select, update

from tracklog.audit.log import record_audit
from tracklog.auth.accounts import require_admin
from tracklog.extensions import db
from tracklog.models import EngagementEvent, Message, TrackedLink, User
from tracklog.models.tracking import PERSON_CLASSES
from tracklog.tracking.classify import KINDS, Context, Hit, Rules, Verdict, classify_hit
from tracklog.tracking.recording import (
    Batch,
    country_for,
    current_rules,
    link_count,
    prior_clicks,
    recount_opens,
)

BATCH_SIZE = 500
BEFORE_RULES = ("sender-cookie", "sender-sighting", "head-request", "honeypot-link")
TIMING = ("fast-click", "click-burst", "honeypot-address")
# What a header rule leaves in an event's evidence["matched"].
HEADER_EVIDENCE = ("header", "headers_absent")


def reclassify_hits(actor: User) -> dict[str, Any]:
    """Classify the account's stored hits again; how many were examined and changed, and how."""
    require_admin(actor, _("Only an admin can classify the account's hits again."))
    account_id = actor.account_id
    batch = Batch(current_rules())
    rules = batch.rules_for(account_id)
    examined, changes = 0, Counter()
    recount: set[int] = set()
    after = 0
    while True:
        events = list(
            db.session.scalars(
                select(EngagementEvent)
                .where(
                    EngagementEvent.account_id == account_id,
                    EngagementEvent.kind.in_(KINDS),
                    EngagementEvent.id > after,
                )
                .order_by(EngagementEvent.id)
                .limit(BATCH_SIZE)
            )
        )
        if not events:
            break
        for event in events:
            examined += 1
            verdict = judged_again(event, rules, batch)
            if verdict is not None and _changed(event, verdict):
                changes[(event.classification, verdict.classification)] += 1
                if _counts_differently(event, verdict):
                    recount.add(event.message_id)
        after = events[-1].id
        db.session.commit()
        batch.loaded.clear()
    for message in filter(None, (db.session.get(Message, i) for i in sorted(recount))):
        recount_opens(message)
        db.session.commit()
    result = {
        "examined": examined,
        "changed": sum(changes.values()),
        "changes": [
            {"from": old, "to": new, "count": count}
            for (old, new), count in sorted(changes.items())
        ],
    }
    record_audit(actor, account_id, "hits_reclassified", ("account", account_id), result)
    db.session.commit()
    return result


def judged_again(event: EngagementEvent, rules: Rules, batch: Batch) -> Verdict | None:
    """The event's verdict under the rules in force, or None when its verdict stands."""
    decided_by = event.evidence.get("rule", "")
    if decided_by in BEFORE_RULES:
        return None
    if event.headers is None:
        if any(name in event.evidence.get("matched", {}) for name in HEADER_EVIDENCE):
            return None
        rules = rules.without_header_rules()
    message = batch.load(Message, event.message_id) if event.message_id else None
    link = batch.load(TrackedLink, event.link_id) if event.link_id else None
    hit = Hit(
        kind=event.kind,
        at=event.occurred_at,
        method=event.method,
        ip=event.ip,
        user_agent=event.user_agent,
        headers=event.headers or {},
        link_slot=link.slot if link else None,
        honeypot=bool(link and link.honeypot),
    )
    context = Context(
        sent_at=message.sent_at if message else None,
        link_count=link_count(message) if message else 0,
        prior_hits=prior_clicks(message, hit.kind, hit.ip, hit.at, rules) if message else (),
    )
    verdict = classify_hit(hit, context, rules)
    if verdict.classification == "human" and decided_by in TIMING:
        return None
    return verdict


def _counts_differently(event: EngagementEvent, verdict: Verdict) -> bool:
    """Whether an open moved between a person's class and a machine's, so that its message's
    repeats and first open are to be counted again."""
    was_person = event.classification in PERSON_CLASSES
    is_person = verdict.classification in PERSON_CLASSES
    return event.kind == "open" and event.message_id is not None and was_person != is_person


def _changed(event: EngagementEvent, verdict: Verdict) -> bool:
    """Store a different verdict, unless the event changed meanwhile; whether it was stored."""
    if verdict.classification == event.classification and verdict.rule == event.evidence.get(
        "rule"
    ):
        return False
    written = db.session.execute(
        update(EngagementEvent)
        .where(
            EngagementEvent.id == event.id,
            EngagementEvent.classification == event.classification,
        )
        .values(
            classification=verdict.classification,
            reason=verdict.reason[:500],
            evidence=verdict.evidence | {"rule": verdict.rule, "classified_again": True},
            country=country_for(verdict.classification, event.ip),
        )
        .execution_options(synchronize_session=False)
    )
    return written.rowcount == 1
