"""A mail's parse problems: codes with data, put into words in the reader's language when shown."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask_babel import force_locale

import tracklog.maillog.parse as parse_package
from tests.maillog.mail import outgoing, raw
from tests.tracking.helpers import compose
from tracklog.extensions import db
from tracklog.maillog.parse import PROBLEM_TEXTS, Problem, parse_mail, render_problems
from tracklog.maillog.parse.mime import BOUNDARY_DEFECT_CODES, DEFECT_CODES
from tracklog.maillog.parse.problems import IN_HEADER
from tracklog.maillog.why import warning_json
from tracklog.models import Activity

PACKAGE = Path(parse_package.__file__).parent
UNREADABLE_DATE = {
    "en": "the Date header is unreadable",
    "ja": "Date ヘッダーを読み取れません",
    "sv": "Date-rubriken går inte att läsa",
}


def with_unreadable_date(mail_bytes: bytes) -> bytes:
    """The mail with a Date header no parser can read."""
    return re.sub(rb"Date: [^\r\n]*", b"Date: the day after tomorrow", mail_bytes, count=1)


def test_every_problem_code_the_parser_notes_has_a_sentence() -> None:
    source = "\n".join(path.read_text() for path in PACKAGE.glob("*.py"))
    noted = set(re.findall(r"(?:note|Problem\.of)\(\s*\"([a-z0-9_]+)\"", source))
    tabled = {code for _defect, code in DEFECT_CODES}
    tabled |= {code for _defect, *codes in BOUNDARY_DEFECT_CODES for code in codes}
    assert len(noted) > 20
    assert noted | tabled | set(IN_HEADER.values()) <= set(PROBLEM_TEXTS)


def test_a_problem_is_a_code_with_its_data() -> None:
    mail = b"From: a@example.com\r\nFrom: b@example.com\r\n\r\nbody"
    [problem] = parse_mail(mail).problems
    assert problem == Problem("repeated_header", {"count": 2, "header": "From"})
    assert problem.stored() == {"code": "repeated_header", "params": {"count": 2, "header": "From"}}
    assert problem.text() == "the mail has 2 From headers; the first was used"


def test_data_from_the_mail_is_made_storable() -> None:
    assert Problem.of("malformed", defect="Bad\x00\udcff").params == {"defect": "Bad?"}


@pytest.mark.parametrize("locale", ["ja", "sv"])
def test_a_problem_reads_in_the_current_language(app, locale) -> None:
    [problem] = parse_mail(with_unreadable_date(raw(outgoing()))).problems
    with app.test_request_context(), force_locale(locale):
        assert problem.text() == UNREADABLE_DATE[locale]


@pytest.mark.parametrize("locale", ["ja", "sv"])
def test_the_why_shows_parse_problems_in_the_readers_language(api, world, deliver, locale):
    world.admin.locale = locale
    db.session.commit()
    composed = compose(api, ["peter@initech.example"])
    deliver(with_unreadable_date(raw(outgoing())), draft=composed["message_id"])
    [copy] = api.get(f"/messages/{composed['message_id']}/why").json["received"]
    [parse_step] = [step for step in copy["why"] if step["code"] == "parse_problems"]
    assert UNREADABLE_DATE[locale] in parse_step["text"]
    assert UNREADABLE_DATE["en"] not in parse_step["text"]


def test_the_why_page_shows_parse_problems_in_the_readers_language(api, client, world, deliver):
    composed = compose(api, ["peter@initech.example"])
    deliver(with_unreadable_date(raw(outgoing())), draft=composed["message_id"])
    client.post(
        "/sign-in", data={"email": "alice@acme.example", "password": "correct horse battery"}
    )
    world.admin.locale = "ja"
    db.session.commit()
    page = client.get(f"/messages/{composed['message_id']}/why").get_data(as_text=True)
    assert UNREADABLE_DATE["ja"] in page


def test_a_logged_mail_warns_of_its_problems_in_the_readers_language(app, world, deliver):
    deliver(with_unreadable_date(raw(outgoing())))
    activity = db.session.scalars(db.select(Activity)).one()
    [warning] = activity.warnings
    assert warning["problem"] == {"code": "unreadable_date", "params": {}}
    with app.test_request_context(), force_locale("sv"):
        assert warning_json(warning)["text"] == UNREADABLE_DATE["sv"]
        assert warning_json(warning)["code"] == "parse_problem"


def test_problems_stored_as_english_text_still_show(api, world, deliver):
    world.admin.locale = "ja"
    composed = compose(api, ["peter@initech.example"])
    inbound = deliver(with_unreadable_date(raw(outgoing())), draft=composed["message_id"])
    old = "the Date header is unreadable; a part's charset x-foo is unknown; read as UTF-8"
    inbound.steps = [
        {**recorded, "params": {"problems": old}}
        if recorded["code"] == "parse_problems"
        else recorded
        for recorded in inbound.steps
    ]
    db.session.commit()
    [copy] = api.get(f"/messages/{composed['message_id']}/why").json["received"]
    [parse_step] = [step for step in copy["why"] if step["code"] == "parse_problems"]
    assert parse_step["text"].endswith(old)
    assert render_problems(old) == old
    assert warning_json({"code": "parse_problem", "text": old})["text"] == old
