"""Stored explanations put into words in the reader's language: the one registry of their texts.

What tracklog decided is stored as a code and its data, never as a sentence, so that whoever reads
it later reads it in their own language. Each feature registers its codes and their translatable
texts under a namespace ("why", "step", "notification", "reason", "parse") when it is imported;
this module imports no feature, and `render` is the one place a code becomes a sentence.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext

# How an entry's data is filled in: gettext's %(name)s, or str.format's {name} (the tracking
# reasons, whose English is shared with the rules data file).
PERCENT = "percent"
BRACES = "braces"


@dataclass(frozen=True)
class Explanation:
    """A registered text: a lazy_gettext string or a plain msgid, and how its data is filled in."""

    text: Any
    style: str = PERCENT
    # Data that is itself a stored explanation, by name, with the namespace of its code.
    nested: Mapping[str, str] = field(default_factory=dict)

    def sentence(self) -> str:
        """The text in the current language, not yet filled in."""
        return gettext(self.text) if isinstance(self.text, str) else str(self.text)


_registry: dict[str, dict[str, Explanation]] = {}


def register(
    namespace: str,
    texts: Mapping[str, Any],
    style: str = PERCENT,
    nested: Mapping[str, str] | None = None,
) -> None:
    """Make a feature's codes and their texts ({code: _l("...")}) known under a namespace."""
    if style not in (PERCENT, BRACES):
        raise ValueError(f"unknown formatting style {style!r}")
    entries = _registry.setdefault(namespace, {})
    for code, text in texts.items():
        entries[code] = Explanation(text, style, dict(nested or {}))


def registered() -> Iterator[tuple[str, str, Explanation]]:
    """Every registered (namespace, code, explanation), for checks of the whole catalogue."""
    for namespace, entries in _registry.items():
        for code, explanation in entries.items():
            yield namespace, code, explanation


def render(
    namespace: str, code: str, params: Mapping[str, Any] | None = None, fallback: str | None = None
) -> str:
    """A code's sentence in the current language with its data filled in; for a code nobody
    registered, the fallback (stored text) or else the code itself."""
    explanation = _registry.get(namespace, {}).get(code)
    if explanation is None:
        return code if fallback is None else fallback
    data = dict(params) if isinstance(params, Mapping) else {}
    for name, inner_namespace in explanation.nested.items():
        if name in data:
            data[name] = render_stored(inner_namespace, data[name])
    return _filled(explanation, data)


def render_stored(namespace: str, stored: Any) -> str:
    """A stored explanation in words: {"code", "params"} as a mapping or as its JSON text (as
    steps and whys are kept); any other stored text is shown as it is."""
    if isinstance(stored, Mapping):
        return render(namespace, stored.get("code", ""), stored.get("params"))
    try:
        decoded = json.loads(stored)
    except (TypeError, ValueError):
        return stored
    if not isinstance(decoded, dict) or not isinstance(decoded.get("code"), str):
        return stored
    return render(namespace, decoded["code"], decoded.get("params"), fallback=stored)


class _KeepMissing(dict):
    """Formatting data that leaves unknown placeholders as they are."""

    def __missing__(self, key: str) -> str:
        """An unknown placeholder stays visible instead of failing."""
        return "{" + key + "}"


def _filled(explanation: Explanation, data: dict[str, Any]) -> str:
    """The sentence with its data filled in (as it is when the data does not fit)."""
    sentence = explanation.sentence()
    try:
        if explanation.style == BRACES:
            return sentence.format_map(_KeepMissing(data))
        return sentence % data
    except (AttributeError, IndexError, KeyError, TypeError, ValueError):
        return sentence
