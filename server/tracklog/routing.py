"""URL rules that start fast: each rule string is parsed once per process, and URL builders are
compiled when first used, not when the app starts."""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable
from typing import Any

from werkzeug.routing import BaseConverter, Rule
from werkzeug.routing.rules import RulePart

# What parsing a rule string gave: its parts, the trace entries it added and its converters.
ParsedRule = tuple[list[RulePart], list[tuple[bool, str]], dict[str, BaseConverter]]


class QuickStartRule(Rule):
    """A Werkzeug rule for an app of a thousand rules built many times in one process (each test,
    each gunicorn worker after a restart): parsing the rule strings and compiling the builders
    (Python code generated per rule) was most of an app's start-up."""

    parsed: dict[tuple[Any, ...], ParsedRule] = {}

    def _parse_rule(self, rule: str) -> Iterable[RulePart]:
        """The rule's parts, parsed once per rule string and set of converters; the cached
        converters are copied and bound to this rule's map, as a fresh parse would make them."""
        key = (rule, self.merge_slashes, tuple(self.map.converters.items()))
        if key not in self.parsed:
            trace_start, known = len(self._trace), set(self._converters)
            parts = list(super()._parse_rule(rule))
            added = {name: conv for name, conv in self._converters.items() if name not in known}
            self.parsed[key] = (parts, self._trace[trace_start:], added)
            return parts
        parts, trace, converters = self.parsed[key]
        self._trace.extend(trace)
        for name, converter in converters.items():
            bound = copy.copy(converter)
            bound.map = self.map
            self._converters[name] = bound
            self.arguments.add(name)
        return parts

    def _compile_builder(self, append_unknown: bool = True) -> Callable[..., tuple[str, str]]:
        """A builder that compiles the real one on its first call."""
        compiled: Callable[..., tuple[str, str]] | None = None

        def build(rule: Rule, **values: Any) -> tuple[str, str]:
            nonlocal compiled
            if compiled is None:
                compiled = Rule._compile_builder(rule, append_unknown).__get__(rule, None)
            return compiled(**values)

        return build
