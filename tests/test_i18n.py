"""Japanese and Swedish ship complete: every message translated, compiled, and used."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from click.testing import CliRunner
from flask_babel import force_locale, gettext

from tests.conftest import app_environment
from tracklog.cli import cli
from tracklog.config import Config

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "server" / "tracklog"
TRANSLATIONS = PACKAGE / "translations"
LOCALES = ["ja", "sv"]
# As in the Makefile's i18n target: pybabel extract -F babel.cfg -k _l -k lazy_gettext ...
SOURCES = [PACKAGE, ROOT / "taskpane"]
KEYWORDS = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None, "lazy_pgettext": ((1, "c"), 2)}
PLACEHOLDER = re.compile(r"%\(\w+\)[-#0 +]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa]")


def extracted_messages(*sources: Path) -> dict[str, list[str]]:
    """Each msgid the project's babel.cfg finds in the sources, with the places it is used."""
    with (ROOT / "babel.cfg").open() as handle:
        method_map, options_map = parse_mapping_cfg(handle)
    found: dict[str, list[str]] = {}
    for source in sources:
        if not source.is_dir():
            continue
        for filename, lineno, message, _comments, _context in extract_from_dir(
            source, method_map, options_map, keywords=KEYWORDS
        ):
            msgid = message[0] if isinstance(message, tuple) else message
            found.setdefault(msgid, []).append(f"{source.name}/{filename}:{lineno}")
    return found


def load_po(locale: str) -> Catalog:
    """The locale's .po catalogue."""
    with (TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        return read_po(handle, locale=locale)


def load_mo(locale: str) -> Catalog:
    """The locale's compiled .mo catalogue."""
    with (TRANSLATIONS / locale / "LC_MESSAGES" / "messages.mo").open("rb") as handle:
        return read_mo(handle)


def translations(catalog: Catalog) -> dict[object, object]:
    """(Context, msgid) to translation of every translated, non-fuzzy entry (what compile keeps)."""
    return {
        (m.context, as_tuple(m.id)): as_tuple(m.string)
        for m in catalog
        if m.id and is_translated(m.string) and not m.fuzzy
    }


def as_tuple(value: object) -> object:
    """Plural ids and strings as tuples (compiled catalogues give lists), others unchanged."""
    return tuple(value) if isinstance(value, list | tuple) else value


def is_translated(string: object) -> bool:
    """Whether an entry has a translation (for plurals: every form)."""
    forms = tuple(string) if isinstance(string, list | tuple) else (string,)
    return bool(forms) and all(forms)


def placeholders(text: str) -> list[str]:
    """The %(name)s placeholders of a message, sorted."""
    return sorted(PLACEHOLDER.findall(text))


class VisibleText(HTMLParser):
    """The text nodes and the labelling attributes of an HTML page."""

    def __init__(self) -> None:
        super().__init__()
        self.texts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        """Keep the attributes people read or hear (not hidden fields such as the CSRF token)."""
        if ("type", "hidden") in attrs:
            return
        for name, value in attrs:
            if name in {"aria-label", "title", "placeholder", "alt", "value"} and value:
                self.texts.append(value)

    def handle_data(self, data: str) -> None:
        """Keep every non-blank text node."""
        if data.strip():
            self.texts.append(data.strip())


def visible_texts(html: str) -> list[str]:
    """What a reader of the page sees or hears."""
    parser = VisibleText()
    parser.feed(html)
    return parser.texts


def test_extraction_finds_python_and_template_messages():
    found = extracted_messages(*SOURCES)
    assert "The API token is not known." in found
    assert "Keep me signed in" in found
    assert "Skip to content" in found
    assert "Request body" in found


@pytest.mark.parametrize("locale", LOCALES)
def test_every_message_in_the_source_is_in_the_catalogue(locale):
    catalog = load_po(locale)
    missing = {
        msgid: where
        for msgid, where in extracted_messages(*SOURCES).items()
        if msgid not in catalog
    }
    assert not missing, f"run `make i18n` and translate these for {locale}: {missing}"


@pytest.mark.parametrize("locale", LOCALES)
def test_every_entry_is_translated_with_the_same_placeholders(locale):
    catalog = load_po(locale)
    assert not catalog.fuzzy, f"the {locale} catalogue's header is marked fuzzy"
    problems = []
    for message in catalog:
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if message.fuzzy:
            problems.append(("fuzzy", ids[0]))
        for index, string in enumerate(strings):
            source = ids[min(index, len(ids) - 1)]
            if not string or not string.strip():
                problems.append(("untranslated", ids[0]))
            elif placeholders(string) != placeholders(source):
                problems.append(("placeholders differ", ids[0], string))
            elif "%" in PLACEHOLDER.sub("", string) and "%" not in PLACEHOLDER.sub("", source):
                problems.append(("stray %", ids[0], string))
    problems += [("check", message.id, str(errors)) for message, errors in catalog.check()]
    assert not problems


@pytest.mark.parametrize("locale", LOCALES)
def test_compiled_catalogues_match_the_po_files(locale):
    assert translations(load_mo(locale)) == translations(load_po(locale)), (
        "run `pybabel compile -d server/tracklog/translations`"
    )


SIGN_IN_SOURCES = {
    "tracklog/templates/base.html",
    "tracklog/templates/auth/sign_in.html",
    "tracklog/auth/views.py",
}
SIGN_IN_TITLES = {"ja": "サインイン · tracklog", "sv": "Logga in · tracklog"}


@pytest.mark.parametrize("locale", LOCALES)
def test_sign_in_page_is_translated(client, locale):
    response = client.get("/sign-in", headers={"Accept-Language": f"{locale},en;q=0.5"})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert f"<title>{SIGN_IN_TITLES[locale]}</title>" in html
    assert f'<html lang="{locale}"' in html
    english = {
        msgid
        for msgid, places in extracted_messages(PACKAGE).items()
        if any(place.split(":")[0] in SIGN_IN_SOURCES for place in places)
    }
    assert {"Sign in", "Skip to content", "Keep me signed in"} <= english
    seen = visible_texts(html)
    leftovers = sorted({msgid for msgid in english for text in seen if msgid in text})
    assert not leftovers, f"English left on the {locale} sign-in page: {leftovers}"


@pytest.mark.parametrize(
    ("locale", "message"),
    [("ja", "この API トークンは認識されません。"), ("sv", "API-token är okänd.")],
)
def test_api_errors_follow_accept_language(client, locale, message):
    response = client.get(
        "/api/v1/contacts",
        headers={"Authorization": "Bearer tlp_x", "Accept-Language": locale},
    )
    assert response.status_code == 401
    assert response.json["error"] == {"code": "invalid_token", "message": message, "details": {}}


@pytest.mark.parametrize(
    ("environ", "locale"),
    [
        ({"LANG": "ja_JP.UTF-8"}, "ja"),
        ({"LANG": "sv_SE.UTF-8"}, "sv"),
        ({"LANG": "sv"}, "sv"),
        ({"LANG": "fr_FR.UTF-8"}, "en"),
        ({"LANG": "C.UTF-8"}, "en"),
        ({}, "en"),
        ({"LC_MESSAGES": "sv_SE.UTF-8", "LANG": "ja_JP.UTF-8"}, "sv"),
        ({"LC_ALL": "ja_JP.UTF-8", "LC_MESSAGES": "sv_SE.UTF-8"}, "ja"),
        ({"LANGUAGE": "fr:sv", "LC_ALL": "ja_JP.UTF-8"}, "sv"),
        ({"LC_ALL": "", "LANG": "ja_JP.eucJP"}, "ja"),
    ],
)
def test_cli_locale_follows_the_environment(environ, locale):
    assert Config(environ).CLI_LOCALE == locale


def test_messages_outside_a_request_use_the_cli_locale(app):
    app.config["CLI_LOCALE"] = "sv"
    with app.app_context():
        assert gettext("The API token is not known.") == "API-token är okänd."
    with app.app_context(), force_locale("ja"):
        assert gettext("The API token is not known.") == "この API トークンは認識されません。"


def test_requests_ignore_the_cli_locale(app, client):
    app.config["CLI_LOCALE"] = "sv"
    headers = {"Authorization": "Bearer tlp_x"}
    english = client.get("/api/v1/contacts", headers=headers)
    japanese = client.get("/api/v1/contacts", headers={**headers, "Accept-Language": "ja"})
    assert english.json["error"]["message"] == "The API token is not known."
    assert japanese.json["error"]["message"] == "この API トークンは認識されません。"


def test_cli_output_follows_lang(app, database_url, tmp_path):
    environ = {
        **app_environment(database_url, tmp_path),
        "LANGUAGE": None,
        "LC_ALL": None,
        "LC_MESSAGES": None,
        "LANG": "ja_JP.UTF-8",
    }
    result = CliRunner().invoke(cli, ["demo"], env=environ)
    assert result.exit_code == 0, result.output
    assert "を作成しました。" in result.output
    assert "Sign in at" not in result.output
