"""The explanation registry: every registered code reads in each shipped language, unknown codes
and plain stored text are shown as they are, and both stored shapes are read."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask_babel import force_locale

from tests.conftest import app_environment
from tracklog import create_app
from tracklog.config import LANGUAGES, Config
from tracklog.crm.explain import encode_why, render_why
from tracklog.explanations import BRACES, Explanation, registered, render, render_stored
from tracklog.maillog.why import render_step, step, warning_json
from tracklog.tracking.reasons import explain_reason

PERCENT_PLACEHOLDER = re.compile(r"%\((\w+)\)([sd])")
BRACES_PLACEHOLDER = re.compile(r"\{(\w+)\}")
FEATURE_NAMESPACES = {"why", "step", "notification", "reason"}


@pytest.fixture
def babel_app(sqlite_url: str, tmp_path: Path) -> Iterator[Flask]:
    """The app (with every feature's codes registered) for translating outside a request."""
    application = create_app(Config(app_environment(sqlite_url, tmp_path)), {"TESTING": True})
    with application.app_context():
        yield application


def sample_data(explanation: Explanation) -> dict[str, object]:
    """Data for every placeholder of the English text: a number for %d, else a marked word."""
    with force_locale("en"):
        english = explanation.sentence()
    if explanation.style == BRACES:
        return {name: f"<{name}>" for name in BRACES_PLACEHOLDER.findall(english)}
    return {
        name: 3 if kind == "d" else f"<{name}>"
        for name, kind in PERCENT_PLACEHOLDER.findall(english)
    }


@pytest.mark.usefixtures("babel_app")
def test_every_feature_registers_its_codes():
    assert FEATURE_NAMESPACES <= {namespace for namespace, _code, _entry in registered()}


@pytest.mark.usefixtures("babel_app")
@pytest.mark.parametrize("language", LANGUAGES)
def test_every_registered_code_renders_filled_in_each_language(language):
    for namespace, code, explanation in registered():
        data = sample_data(explanation)
        with force_locale(language):
            sentence = render(namespace, code, data)
        leftover = PERCENT_PLACEHOLDER if explanation.style != BRACES else BRACES_PLACEHOLDER
        assert sentence and not leftover.search(sentence), (language, namespace, code, sentence)


@pytest.mark.usefixtures("babel_app")
def test_unknown_codes_fall_back_to_stored_text_or_the_code():
    assert render("why", "no_such_code", {"a": 1}, fallback="as stored") == "as stored"
    assert render("no_such_namespace", "no_such_code") == "no_such_code"
    assert render_why("added by hand, in 2019") == "added by hand, in 2019"
    assert render_why(encode_why("no_such_code")) == encode_why("no_such_code")
    assert render_step(step("x", "no_such_step"))["text"] == "no_such_step"
    assert warning_json({"code": "parse_problem", "text": "bad header"})["text"] == "bad header"
    english = "Matched an admin's own rule."
    assert explain_reason(english, {"rule": "admin-rule-7"}) == english


@pytest.mark.usefixtures("babel_app")
def test_both_stored_shapes_render_in_the_readers_language():
    stored = encode_why("added_by_user", user="Alice")
    with force_locale("sv"):
        swedish = render_why(stored)
    assert "Alice" in swedish and swedish != render_why(stored)
    recorded = step("associations", "associated", record="Initech", why=stored)
    assert (
        render_stored("step", recorded) == f"Put on the timeline of Initech: {render_why(stored)}."
    )
    assert render_stored("why", json.loads(stored)) == "added by Alice"


@pytest.mark.usefixtures("babel_app")
def test_data_that_does_not_fit_leaves_the_sentence_unfilled():
    assert render("why", "company_of_contact", {"someone": "else"}) == "the company of %(contact)s"
    assert "{seconds_since_send} seconds" in render("reason", "fast-click", {})
    assert "2 seconds" in render("reason", "fast-click", {"seconds_since_send": 2})
