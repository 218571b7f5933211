"""Classification reasons in the reader's language, and their extraction for the catalogues.

Events store the reason in English (the record of what was decided) and the id of the check or
rule that decided it. Shown, the sentence is looked up by that id, translated, and filled from
the event's evidence again; a reason from an admin's own rule is shown as the admin wrote it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import IO, Any

from tracklog.explanations import BRACES, register, render
from tracklog.tracking.classify import REASONS
from tracklog.tracking.rulesfile import RULES_PATH


def packaged_rule_reasons() -> dict[str, str]:
    """The reason of each packaged rule, by rule id."""
    document = json.loads(RULES_PATH.read_text())
    return {rule["id"]: rule["reason"] for rule in document["rules"]}


# A built-in check's reason wins over a packaged rule's of the same id.
register("reason", {**packaged_rule_reasons(), **REASONS}, style=BRACES)


def explain_reason(stored: str, evidence: dict[str, Any]) -> str:
    """The reason of an event in the current language (the stored English text as a fallback)."""
    return render("reason", evidence.get("rule", ""), evidence, fallback=stored)


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
