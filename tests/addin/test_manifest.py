"""The add-in manifest: schema-valid, up to date, handler names and icons in step with the files."""

from __future__ import annotations

import importlib.util
import os
import re
import struct
import xml.etree.ElementTree as ET
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from click.testing import CliRunner

from tests.services import unavailable
from tracklog.addin.manifest import (
    LAUNCH_EVENTS,
    ManifestError,
    default_app_id,
    render_manifest,
)
from tracklog.cli import cli

ROOT = Path(__file__).resolve().parents[2]
LOCAL_BASE = "https://localhost:5443"
CLIENT_ID = "0b7c6a52-3f1e-4d8a-9c2b-5e4f3a2b1c0d"
SCHEMAS = Path(os.environ.get("TRACKLOG_OFFICE_SCHEMAS", ROOT.parent / "shared" / "office-schemas"))
KNOWN_EVENTS = {
    "OnNewMessageCompose",
    "OnNewAppointmentOrganizer",
    "OnMessageSend",
    "OnAppointmentSend",
    "OnMessageRecipientsChanged",
    "OnMessageAttachmentsChanged",
    "OnMessageFromChanged",
}


@pytest.fixture(scope="module")
def validate():
    """Microsoft's manifest schemas, offline, from the shared office-schemas folder."""
    script = SCHEMAS / "validate_manifest.py"
    if not script.is_file():
        unavailable("the Office manifest schemas", f"{script} does not exist")
    if importlib.util.find_spec("lxml") is None:
        unavailable("the Office manifest schemas", "lxml is not installed")
    spec = importlib.util.spec_from_file_location("validate_manifest", script)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.validate


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
def test_manifests_pass_microsofts_schema(validate, tmp_path, name, xml):
    path = tmp_path / "manifest.xml"
    path.write_text(xml(), encoding="utf-8")
    assert validate(str(path)) == [], name


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


def test_manifest_command_writes_a_valid_manifest(validate, tmp_path):
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
    assert validate(str(target)) == []


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
