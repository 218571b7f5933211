"""The pane's catalogues: the same keys in English, Japanese and Swedish, and every used key."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

TASKPANE = Path(__file__).resolve().parents[2] / "taskpane"
LANGUAGES = ("en", "ja", "sv")
USED_KEY = re.compile(r'data-i18n(?:-[a-z-]+)?="([^"]+)"|\bt\(\s*"([^"]+)"')
PLACEHOLDER = re.compile(r"\{(\w+)\}")


def catalogue(language: str) -> dict[str, str]:
    """One language's catalogue."""
    return json.loads((TASKPANE / "i18n" / f"{language}.json").read_text(encoding="utf-8"))


def used_keys() -> dict[str, str]:
    """Every key the pane's pages and scripts use, with a file that uses it."""
    found: dict[str, str] = {}
    for path in sorted([*TASKPANE.glob("*.html"), *TASKPANE.glob("*.js")]):
        for match in USED_KEY.finditer(path.read_text(encoding="utf-8")):
            found.setdefault(match.group(1) or match.group(2), path.name)
    return found


@pytest.mark.parametrize("language", LANGUAGES[1:])
def test_every_language_has_the_english_keys(language: str) -> None:
    english, other = catalogue("en"), catalogue(language)
    assert sorted(set(english) - set(other)) == []
    assert sorted(set(other) - set(english)) == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_text_is_empty(language: str) -> None:
    empty = [key for key, text in catalogue(language).items() if not str(text).strip()]
    assert empty == []


@pytest.mark.parametrize("language", LANGUAGES[1:])
def test_translations_keep_the_placeholders(language: str) -> None:
    english, other = catalogue("en"), catalogue(language)
    changed = [
        key
        for key, text in english.items()
        if set(PLACEHOLDER.findall(text)) != set(PLACEHOLDER.findall(other.get(key, "")))
    ]
    assert changed == []


def test_every_used_key_is_in_the_catalogue() -> None:
    english = catalogue("en")
    used = used_keys()
    assert used, "no data-i18n or t(...) keys found in taskpane/"
    missing = {key: where for key, where in used.items() if key not in english}
    assert missing == {}
