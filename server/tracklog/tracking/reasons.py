"""Classification reasons in the reader's language, and their extraction for the catalogues.

Events store the reason in English (the record of what was decided) and the id of the check or
rule that decided it. Shown, the sentence is looked up by that id, translated, and filled from
the event's evidence again; a reason from an admin's own rule is shown as the admin wrote it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from functools import lru_cache
from typing import IO, Any

from flask_babel import gettext

from tracklog.tracking.classify import REASONS
from tracklog.tracking.rulesfile import RULES_PATH


@lru_cache(maxsize=1)
def packaged_rule_reasons() -> dict[str, str]:
    """The reason of each packaged rule, by rule id."""
    document = json.loads(RULES_PATH.read_text())
    return {rule["id"]: rule["reason"] for rule in document["rules"]}


class _KeepMissing(dict):
    """Formatting data that leaves unknown placeholders as they are."""

    def __missing__(self, key: str) -> str:
        """An unknown placeholder stays visible instead of failing."""
        return "{" + key + "}"


def explain_reason(stored: str, evidence: dict[str, Any]) -> str:
    """The reason of an event in the current language (the stored English text as a fallback)."""
    rule = evidence.get("rule", "")
    template = REASONS.get(rule) or packaged_rule_reasons().get(rule)
    if template is None:
        return stored
    return gettext(template).format_map(_KeepMissing(evidence))


def extract_classify_reasons(
    fileobj: IO[bytes], keywords: Any, comment_tags: Any, options: Any
) -> Iterator[tuple[int, str | None, str, list[str]]]:
    """Babel extractor: the built-in checks' reasons, so translators see them."""
    for reason in REASONS.values():
        yield 1, None, reason, ["Reason shown for a tracked hit; keep the {placeholders}."]


def extract_rule_reasons(
    fileobj: IO[bytes], keywords: Any, comment_tags: Any, options: Any
) -> Iterator[tuple[int, str | None, str, list[str]]]:
    """Babel extractor: the reasons of the packaged classification rules (rules.json)."""
    document = json.loads(fileobj.read())
    for rule in document.get("rules", []):
        comment = f"Reason of the tracking rule {rule['id']}; keep the {{placeholders}}."
        yield 1, None, rule["reason"], [comment]
