"""The add-in manifest: schema-valid, up to date, handler names and icons in step with the files."""

from __future__ import annotations

import re
import struct
import xml.etree.ElementTree as ET
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from click.testing import CliRunner

from tracklog.addin.manifest import (
    LAUNCH_EVENTS,
    ManifestError,
    default_app_id,
    render_manifest,
)
from tracklog.addin.validation import SCHEMA_DIR, check_manifest
from tracklog.cli import cli

ROOT = Path(__file__).resolve().parents[2]
LOCAL_BASE = "https://localhost:5443"
CLIENT_ID = "0b7c6a52-3f1e-4d8a-9c2b-5e4f3a2b1c0d"
KNOWN_EVENTS = {
    "OnNewMessageCompose",
    "OnNewAppointmentOrganizer",
    "OnMessageSend",
    "OnAppointmentSend",
    "OnMessageRecipientsChanged",
    "OnMessageAttachmentsChanged",
    "OnMessageFromChanged",
}


def parse(xml: str) -> ET.Element:
    """The manifest's root element."""
    return ET.fromstring(xml.encode("utf-8"))


def rendering(base_url: str = "https://tracklog.example.com", client_id: str | None = None) -> str:
    """A fresh manifest for a deployment."""
    return render_manifest(base_url, client_id, default_app_id(base_url))


def png_size(path: Path) -> tuple[int, int]:
    """Width and height from a PNG's IHDR chunk."""
    data = path.read_bytes()[:24]
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR", f"{path} is not a PNG"
    return struct.unpack(">II", data[16:24])


@pytest.mark.parametrize(
    "name, xml",
    [
        ("manifest.xml", lambda: (ROOT / "manifest.xml").read_text("utf-8")),
        ("tracklog.example.com", lambda: rendering()),
        ("tracklog.example.com with SSO", lambda: rendering(client_id=CLIENT_ID)),
    ],
)
def test_manifests_pass_microsofts_schema(tmp_path, name, xml):
    path = tmp_path / "manifest.xml"
    path.write_text(xml(), encoding="utf-8")
    assert check_manifest(path) == [], name


def test_repo_manifest_is_the_fresh_rendering_for_localhost():
    committed = (ROOT / "manifest.xml").read_text("utf-8")
    assert committed == render_manifest(LOCAL_BASE, None, default_app_id(LOCAL_BASE)), (
        "manifest.xml is stale: tracklog manifest --base-url https://localhost:5443 -o manifest.xml"
    )


def test_launch_event_handlers_are_in_step_with_launchevent_js():
    manifest = parse(rendering())
    events = {
        event.get("Type"): event
        for event in manifest.iterfind(".//{*}LaunchEvent")
        if event.get("Type")
    }
    assert set(events) <= KNOWN_EVENTS
    assert {name: event.get("FunctionName") for name, event in events.items()} == LAUNCH_EVENTS
    assert events["OnMessageSend"].get("SendMode") == "SoftBlock"
    script = (ROOT / "addin" / "launchevent.js").read_text("utf-8")
    associated = set(re.findall(r'Office\.actions\.associate\("(\w+)"', script))
    assert associated == set(LAUNCH_EVENTS.values())


def test_every_resource_id_is_defined_where_it_is_used():
    manifest = parse(rendering(client_id=CLIENT_ID))
    for overrides in manifest.iterfind(".//{*}VersionOverrides"):
        resources = overrides.find("{*}Resources")
        defined = {element.get("id") for element in resources.iter() if element.get("id")}
        used = set()
        for element in overrides.iter():
            if element.get("resid") and resources not in element.iter():
                used.add(element.get("resid"))
        assert used - defined == set(), overrides.get(
            "{http://www.w3.org/2001/XMLSchema-instance}type"
        )


def test_requirement_sets_rise_with_the_features():
    manifest = parse(rendering())
    top = manifest.find("{*}Requirements/{*}Sets/{*}Set")
    assert (top.get("Name"), top.get("MinVersion")) == ("Mailbox", "1.1")
    outer = manifest.find("{*}VersionOverrides")
    inner = outer.find("{*}VersionOverrides")
    assert outer.find("{*}Requirements/{*}Sets").get("DefaultMinVersion") == "1.3"
    assert inner.find("{*}Requirements/{*}Sets").get("DefaultMinVersion") == "1.12"
    assert outer.find("{*}Hosts//{*}LaunchEvent") is None, "events need 1.10+: not in 1.0 overrides"
    assert inner.find(".//{*}LaunchEvents") is not None
    assert inner.find(".//{*}Runtimes/{*}Runtime/{*}Override").get("type") == "javascript"


def test_panes_and_handlers_point_at_the_deployment():
    xml = rendering("https://crm.example.org/")
    for path in (
        "/taskpane/compose.html",
        "/taskpane/read.html",
        "/addin/launchevent.html",
        "/addin/launchevent.js",
        "/addin/commands.html",
    ):
        assert f'"https://crm.example.org{path}"' in xml
    assert "localhost" not in xml
    assert "<AppDomain>https://crm.example.org</AppDomain>" in xml


def test_single_sign_on_only_with_a_client_id():
    assert parse(rendering()).find(".//{*}WebApplicationInfo") is None
    info = parse(rendering("https://crm.example.org:8443", CLIENT_ID)).find(
        ".//{*}WebApplicationInfo"
    )
    assert info.find("{*}Id").text == CLIENT_ID
    assert info.find("{*}Resource").text == f"api://crm.example.org:8443/{CLIENT_ID}"


def test_every_icon_in_the_manifest_is_a_png_of_its_size():
    manifest = parse((ROOT / "manifest.xml").read_text("utf-8"))
    urls = {}
    for element in manifest.iter():
        if element.tag.endswith(("IconUrl", "HighResolutionIconUrl")):
            urls[element.get("DefaultValue")] = None
        if element.tag.endswith("}Image") and element.get("DefaultValue"):
            urls[element.get("DefaultValue")] = element.get("id")
    declared = {
        image.get("resid"): int(image.get("size"))
        for image in manifest.iterfind(".//{*}Image")
        if image.get("size")
    }
    assert len(urls) >= 9
    for url in urls:
        path = urlsplit(url).path
        assert path.startswith("/addin/icons/"), url
        file = ROOT / "addin" / path.removeprefix("/addin/")
        assert file.is_file(), f"{url} has no file {file}"
        expected = int(re.search(r"icon-(\d+)\.png$", path).group(1))
        assert png_size(file) == (expected, expected), url
        if urls[url] in declared:
            assert declared[urls[url]] == expected, url
    assert {16, 32, 80} <= set(declared.values()), "Outlook buttons need 16, 32 and 80 px"


def test_add_in_id_is_stable_per_deployment_and_must_be_a_guid():
    assert default_app_id("https://a.example") == default_app_id("https://a.example/")
    assert default_app_id("https://a.example") != default_app_id("https://b.example")
    with pytest.raises(ManifestError, match="GUID"):
        render_manifest("https://a.example", None, "not-a-guid")
    with pytest.raises(ManifestError, match="https://"):
        render_manifest("http://a.example", None, default_app_id("https://a.example"))


def test_manifest_command_writes_a_valid_manifest(tmp_path):
    target = tmp_path / "out" / "manifest.xml"
    target.parent.mkdir()
    environment = {"TRACKLOG_ENTRA_CLIENT_ID": ""}
    result = CliRunner().invoke(
        cli, ["manifest", "--base-url", "https://x.example", "-o", str(target)], env=environment
    )
    assert result.exit_code == 0, result.output
    xml = target.read_text("utf-8")
    assert "https://x.example/taskpane/compose.html" in xml
    assert "WebApplicationInfo" not in xml
    assert check_manifest(target) == []


def test_manifest_command_takes_the_client_id_from_the_environment():
    environment = {"TRACKLOG_ENTRA_CLIENT_ID": CLIENT_ID}
    result = CliRunner().invoke(
        cli, ["manifest", "--base-url", "https://x.example"], env=environment
    )
    assert result.exit_code == 0, result.output
    assert f"<Resource>api://x.example/{CLIENT_ID}</Resource>" in result.output


def test_manifest_command_refuses_a_plain_http_base_url_in_one_line():
    result = CliRunner().invoke(cli, ["manifest", "--base-url", "http://x.example"])
    assert result.exit_code == 2
    assert "must be an https:// URL" in result.output
    assert "Traceback" not in result.output


def broken_manifest(tmp_path: Path) -> Path:
    """The repo's manifest with a bad version, a misspelt event and a plain-http page."""
    xml = (ROOT / "manifest.xml").read_text("utf-8")
    xml = xml.replace("<Version>1.0.0.0</Version>", "<Version>one</Version>", 1)
    xml = xml.replace('Type="OnMessageSend"', 'Type="OnMessageSent"')
    xml = xml.replace(
        f"{LOCAL_BASE}/addin/commands.html", "http://localhost:5443/addin/commands.html"
    )
    path = tmp_path / "broken.xml"
    path.write_text(xml, encoding="utf-8")
    return path


def line_of(path: Path, text: str) -> int:
    """The first line of the file that contains text."""
    lines = path.read_text("utf-8").splitlines()
    return next(number for number, line in enumerate(lines, 1) if text in line)


def test_check_names_each_problem_at_its_line(tmp_path):
    path = broken_manifest(tmp_path)

    problems = check_manifest(path)

    by_line = {problem.line: problem.message for problem in problems}
    assert "not accepted by the pattern" in by_line[line_of(path, "<Version>one")]
    assert by_line[line_of(path, "OnMessageSent")] == (
        "unknown LaunchEvent Type 'OnMessageSent' (did you mean OnMessageSend?)"
    )
    assert (
        "URL not https: http://localhost:5443/addin/commands.html"
        in (by_line[line_of(path, "http://localhost")])
    )
    assert problems == sorted(problems)


def test_check_reports_a_file_that_is_not_xml_in_one_problem(tmp_path):
    path = tmp_path / "manifest.xml"
    path.write_text("<OfficeApp><Id></OfficeApp>", encoding="utf-8")

    (problem,) = check_manifest(path)

    assert problem.line == 1 and problem.message.startswith("not well-formed XML")


def test_a_doctype_is_refused_and_its_entities_never_expanded(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET", encoding="utf-8")
    xml = (
        (ROOT / "manifest.xml")
        .read_text("utf-8")
        .replace("<ProviderName>tracklog</ProviderName>", "<ProviderName>&leak;</ProviderName>")
    )
    doctype = f'<!DOCTYPE OfficeApp [<!ENTITY leak SYSTEM "{secret.as_uri()}">]>\n'
    path = tmp_path / "manifest.xml"
    path.write_text(xml.replace("?>\n", "?>\n" + doctype, 1), encoding="utf-8")

    problems = check_manifest(path)

    assert "<ProviderName>&leak;" in path.read_text("utf-8")
    assert [problem.message for problem in problems] == ["a manifest must not have a DOCTYPE"]


def test_check_uses_the_schemas_and_licences_carried_in_the_package():
    names = {path.name for path in SCHEMA_DIR.rglob("*")}

    assert "OfficeAppManifestV1_1.xsd" in names and "SOURCES.md" in names
    assert {"office-js-docs-pr-LICENSE-CODE", "Outlook-Add-in-SSO-LICENSE.txt"} <= names
    assert SCHEMA_DIR.is_relative_to(ROOT / "server" / "tracklog")


def test_manifest_check_command_answers_one_ok_line(tmp_path):
    result = CliRunner().invoke(cli, ["manifest", "--check", str(ROOT / "manifest.xml")])

    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        f"{ROOT / 'manifest.xml'}: OK, a valid Outlook add-in manifest"
    ]


def test_manifest_check_command_prints_each_problem_on_its_line_and_exits_1(tmp_path):
    path = broken_manifest(tmp_path)

    result = CliRunner().invoke(cli, ["manifest", "--check", str(path)])

    assert result.exit_code == 1
    expected = [f"{path}:{p.line}: {p.message}" for p in check_manifest(path)]
    assert result.output.splitlines() == expected
    assert len(expected) == 4  # the version, the event, the page in both VersionOverrides


def test_manifest_command_needs_a_base_url_or_a_file_to_check():
    result = CliRunner().invoke(cli, ["manifest"])

    assert result.exit_code == 2
    assert "--base-url URL" in result.output and "--check FILE" in result.output
