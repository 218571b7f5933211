"""Rules parsed once per process route and build URLs like Werkzeug's own rules."""

from __future__ import annotations

from werkzeug.routing import Map, Rule

from tracklog.inputs import DatabaseIdConverter
from tracklog.routing import QuickStartRule

RULES = ["/records/<record_type>/<int:record_id>", "/t/o/<token>.gif", "/static/<path:filename>"]
PATHS = [
    "/records/contact/12",
    "/records/deal/99999999999999999999",
    "/t/o/abc.gif",
    "/static/a/b.css",
]


def routing_map(rule_class: type[Rule]) -> Map:
    """A map of the RULES made of this rule class, with the app's integer converter."""
    return Map(
        [rule_class(rule, endpoint=rule) for rule in RULES],
        converters={"int": DatabaseIdConverter},
    )


def answers(routes: Map) -> list[object]:
    """What the map makes of PATHS, and the URLs it builds back."""
    adapter = routes.bind("tracklog.test")
    found: list[object] = []
    for path in PATHS:
        try:
            found.append(adapter.match(path))
        except Exception as error:  # noqa: BLE001 - the kind of refusal is the answer
            found.append(type(error).__name__)
    found.append(adapter.build(RULES[0], {"record_type": "deal", "record_id": 7, "q": "x"}))
    found.append(adapter.build(RULES[2], {"filename": "a b/c.js"}))
    return found


def test_a_rule_string_parsed_before_routes_and_builds_the_same() -> None:
    expected = answers(routing_map(Rule))
    first = routing_map(QuickStartRule)
    second = routing_map(QuickStartRule)  # parsed from the cache of the first
    assert answers(first) == answers(second) == expected
    converter = second._rules[0]._converters["record_id"]
    assert isinstance(converter, DatabaseIdConverter) and converter.map is second
    assert second._rules[0].arguments == {"record_type", "record_id"}
