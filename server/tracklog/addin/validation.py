"""Offline checks of an Outlook add-in manifest: Microsoft's schemas, event names, https URLs."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from lxml import etree

SCHEMA_DIR = Path(__file__).resolve().parent / "schemas"
ENTRY_SCHEMA = SCHEMA_DIR / "OfficeAppManifestV1_1.xsd"
# Microsoft's schema takes any LaunchEvent Type string, so a misspelt event would pass it and never
# fire. The names: "Supported events" of learn.microsoft.com/office/dev/add-ins/outlook/autolaunch
# and the LaunchEvent manifest reference (learn.microsoft.com/javascript/api/manifest/launchevent).
KNOWN_LAUNCH_EVENTS = frozenset(
    {
        "OnNewMessageCompose",
        "OnNewAppointmentOrganizer",
        "OnMessageAttachmentsChanged",
        "OnAppointmentAttachmentsChanged",
        "OnMessageRecipientsChanged",
        "OnAppointmentAttendeesChanged",
        "OnAppointmentTimeChanged",
        "OnAppointmentRecurrenceChanged",
        "OnInfoBarDismissClicked",
        "OnMessageSend",
        "OnAppointmentSend",
        "OnMessageCompose",
        "OnAppointmentOrganizer",
        "OnMessageFromChanged",
        "OnAppointmentFromChanged",
        "OnSensitivityLabelChanged",
        "OnMessageRead",
        "OnMessageReadWithCustomAttachment",
        "OnMessageReadWithCustomHeader",
    }
)
URL_SCHEME = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.-]*)://")
# api://host/client-id in WebApplicationInfo names the Entra application; nothing loads it.
IDENTIFIER_SCHEMES = {"https", "api"}


@dataclass(frozen=True, order=True)
class ManifestProblem:
    """One thing wrong with a manifest, at a line of its file (0 when it has none)."""

    line: int
    message: str


def _safe_parser() -> etree.XMLParser:
    """A parser that never fetches anything nor expands entities (a manifest is untrusted)."""
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)


@cache
def manifest_schema() -> etree.XMLSchema:
    """Microsoft's manifest schema, compiled once from the files carried in the package."""
    return etree.XMLSchema(etree.parse(str(ENTRY_SCHEMA), _safe_parser()))


def _local_name(element: etree._Element) -> str:
    """An element's name without its namespace."""
    return etree.QName(element).localname


def schema_problems(document: etree._ElementTree) -> list[ManifestProblem]:
    """Where the manifest breaks Microsoft's schema."""
    schema = manifest_schema()
    if schema.validate(document):
        return []
    return [ManifestProblem(error.line, error.message) for error in schema.error_log]


def launch_event_problems(document: etree._ElementTree) -> list[ManifestProblem]:
    """LaunchEvent types Outlook does not know: the handler would never run."""
    problems = []
    for element in document.iter(etree.Element):
        name = element.get("Type")
        if _local_name(element) != "LaunchEvent" or name is None or name in KNOWN_LAUNCH_EVENTS:
            continue
        close = difflib.get_close_matches(name, KNOWN_LAUNCH_EVENTS, n=1)
        hint = f" (did you mean {close[0]}?)" if close else ""
        problems.append(
            ManifestProblem(element.sourceline, f"unknown LaunchEvent Type {name!r}{hint}")
        )
    return problems


def url_problems(document: etree._ElementTree) -> list[ManifestProblem]:
    """URLs that are not https: Office loads add-in pages, scripts and icons only over HTTPS."""
    problems = []
    for element in document.iter(etree.Element):
        values = [*element.attrib.values(), (element.text or "").strip()]
        for value in values:
            scheme = URL_SCHEME.match(value)
            if scheme and scheme.group(1).lower() not in IDENTIFIER_SCHEMES:
                message = f"<{_local_name(element)}> URL not https: {value}"
                problems.append(ManifestProblem(element.sourceline, message))
    return problems


def check_manifest(path: str | Path) -> list[ManifestProblem]:
    """Every problem found in the manifest file, in line order; empty when Office would take it."""
    try:
        document = etree.parse(str(path), _safe_parser())
    except OSError as error:
        return [ManifestProblem(0, f"cannot read the file: {error}")]
    except etree.XMLSyntaxError as error:
        line = error.position[0] if error.position else 0
        return [ManifestProblem(line, f"not well-formed XML: {error.msg}")]
    if document.docinfo.doctype:
        # Office manifests have no DTD; its entities are never expanded here, and lxml's schema
        # validator cannot check a tree that still holds them.
        return [ManifestProblem(1, "a manifest must not have a DOCTYPE")]
    found = schema_problems(document) + launch_event_problems(document) + url_problems(document)
    return sorted(found)
