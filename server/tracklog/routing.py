"""URL rules whose builders are compiled when first used, not when the app starts."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from werkzeug.routing import Rule


class LazyBuilderRule(Rule):
    """A Werkzeug rule that compiles its two URL builders (Python code generated per rule) on
    the first url_for that needs them. With a thousand rules, compiling them all took most of
    an app's start-up, though a process builds URLs for few of them."""

    def _compile_builder(self, append_unknown: bool = True) -> Callable[..., tuple[str, str]]:
        """A builder that compiles the real one on its first call."""
        compiled: Callable[..., tuple[str, str]] | None = None

        def build(rule: Rule, **values: Any) -> tuple[str, str]:
            nonlocal compiled
            if compiled is None:
                compiled = Rule._compile_builder(rule, append_unknown).__get__(rule, None)
            return compiled(**values)

        return build
