"""What the walk over a mail's parts has found so far, passed along to every reader of a part."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tracklog.maillog.parse.problems import Problem


@dataclass
class Reading:
    """The charset hint for unlabelled headers, the problems noted and the attachments kept."""

    hint: str | None
    problems: list[Problem] = field(default_factory=list)
    attachments: list[dict] = field(default_factory=list)

    def note(self, code: str, **params: Any) -> None:
        """Record a problem once."""
        self.add(Problem.of(code, **params))

    def add(self, problem: Problem) -> None:
        """Record an already made problem once."""
        if problem not in self.problems:
            self.problems.append(problem)
