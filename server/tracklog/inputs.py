"""What clients send, read in one place: database-safe integers, JSON objects, storable text.

Every road in (API, pages, websocket, CSV import) reads untrusted values through these
functions, so that a value the database cannot hold is a 4xx naming the field, never a 500.
"""

from __future__ import annotations

import re
from typing import Any

from flask import Flask, current_app, request
from flask_babel import gettext as _
from werkzeug.routing import IntegerConverter

from tracklog.errors import ValidationFailed

# PostgreSQL's integer is 32-bit (SQLite's is 64-bit): the narrower one decides for both.
INTEGER_MIN = -(2**31)
INTEGER_MAX = 2**31 - 1
# ASCII digits only: "²" or "٣" pass str.isdigit() but are no number a user typed.
WHOLE_NUMBER = re.compile(r"[+-]?[0-9]{1,10}", re.ASCII)
# The tracking endpoints answer every request the same way, whatever it carries (the contract).
UNCHECKED_BLUEPRINTS = {"tracking"}
# The API's views read their JSON bodies with json_object, which knows their free-text fields.
JSON_READ_BY_VIEWS = {"api"}


def stored_integer(value: Any, *, from_text: bool = False) -> int | None:
    """A whole number the database can store, or None: from JSON (7, or 7.0 as JSON Schema's
    integer allows) and, with from_text, also from typed text (a query string, a form, CSV)."""
    if from_text and isinstance(value, str):
        if not WHOLE_NUMBER.fullmatch(value.strip()):
            return None
        value = int(value.strip())
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return value if INTEGER_MIN <= value <= INTEGER_MAX else None


def whole_number_reason() -> str:
    """Why a value is not a storable whole number, in the user's language."""
    return _("must be a whole number from %(min)d to %(max)d", min=INTEGER_MIN, max=INTEGER_MAX)


def unstorable_text_at(value: Any, where: str) -> str | None:
    """Where in a JSON value a string holds a NUL byte or a lone surrogate, or None."""
    if isinstance(value, str):
        return where if "\x00" in value or has_surrogates(value) else None
    if isinstance(value, dict):
        items = value.items()
    elif isinstance(value, list):
        items = enumerate(value)
    else:
        return None
    for key, item in items:
        place = f"{where}[{key}]" if isinstance(key, int) else f"{where}.{key}".lstrip(".")
        for found in (unstorable_text_at(key, where), unstorable_text_at(item, place)):
            if found is not None:
                return found
    return None


def has_surrogates(value: str) -> bool:
    """Whether a string holds lone surrogates (JSON's \\udxxx, bytes a mail parser left)."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def storable_text(value: str) -> str:
    """Free text from mail made storable: no NUL characters and no lone surrogates."""
    if has_surrogates(value):
        value = value.encode("utf-8", "replace").decode("utf-8")
    return value.replace("\x00", "")


def refuse_unstorable_text(value: Any, where: str = "") -> None:
    """ValidationFailed naming the field when a string in value holds a NUL byte or bad text."""
    found = unstorable_text_at(value, where)
    if found is not None:
        field = found or _("the request")
        raise ValidationFailed(
            _("%(field)s holds a NUL byte or text that is not valid Unicode.", field=field),
            code="invalid_text",
            details={"fields": {field: _("must not contain NUL bytes or invalid characters")}},
        )


def json_object(free_text: tuple[str, ...] = ()) -> dict[str, Any]:
    """The request's JSON body, which must be an object of storable text (422 otherwise).

    free_text names fields that carry mail content (a draft's HTML from Outlook): their NUL bytes
    and bad characters are dropped instead, since refusing them would block the mail."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise ValidationFailed(
            _("Send a JSON object with Content-Type: application/json."),
            code="invalid_json",
        )
    for name in free_text:
        if isinstance(body.get(name), str):
            body[name] = storable_text(body[name])
    refuse_unstorable_text(body)
    return body


def refuse_unstorable_request() -> None:
    """Before every request: no NUL byte or bad text in the path, query string, form fields or
    JSON body, and a JSON body is an object (forms of the pages read JSON bodies too)."""
    if request.blueprint in UNCHECKED_BLUEPRINTS:
        return
    refuse_unstorable_text(request.view_args or {})
    body_read_here = within_usual_size()
    for source in (request.args, request.form) if body_read_here else (request.args,):
        for name, value in source.items(multi=True):
            refuse_unstorable_text({name: value})
    if request.blueprint in JSON_READ_BY_VIEWS or not body_read_here:
        return
    if request.is_json and request.get_data(cache=True):
        json_object()


def numbers_up_to(limit: int) -> str:
    """A regular expression of the ASCII numbers from 0 to limit (leading zeros allowed)."""
    digits = str(limit)
    options = [f"[0-9]{{1,{len(digits) - 1}}}"] if len(digits) > 1 else []
    for place, digit in enumerate(digits):
        if digit != "0":
            rest = len(digits) - place - 1
            options.append(f"{digits[:place]}[0-{int(digit) - 1}][0-9]{{{rest}}}")
    options.append(digits)
    return "(?:" + "|".join(options) + ")"


def within_usual_size() -> bool:
    """Whether the body fits the usual request limit; a larger upload (a mail to log) is read
    by its view, within the limit that view sets, not here."""
    limit = current_app.config["MAX_CONTENT_LENGTH"]
    return limit is None or (request.content_length or 0) <= limit


class DatabaseIdConverter(IntegerConverter):
    """<int:...> in routes: ids the database's integer can hold; any other is no match (404).

    The range is in the regular expression, not only in to_python: a rule that matched the path
    but refused the value would make Werkzeug answer 405 when another method's rule matched."""

    regex = numbers_up_to(INTEGER_MAX)


def init_inputs(app: Flask) -> None:
    """Route integers within the database's range, and refuse unstorable text up front."""
    app.url_map.converters["int"] = DatabaseIdConverter
    app.before_request(refuse_unstorable_request)
