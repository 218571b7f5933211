"""GET /openapi.json describes every /api/v1 route; GET /api/docs renders it without a CDN."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any

import pytest
from flask import Flask, jsonify
from flask.testing import FlaskClient
from openapi_spec_validator import validate

from tracklog import __version__

BASE_URL = "https://tracklog.test"  # what conftest configures
IGNORED_METHODS = {"HEAD", "OPTIONS"}
CONTRACT_FIELDS = {
    "Contact": {
        "id",
        "email",
        "first_name",
        "last_name",
        "company_id",
        "owner_id",
        "legal_basis",
        "created_at",
        "updated_at",
    },
    "Company": {"id", "name", "domain"},
    "Deal": {"id", "name", "pipeline_id", "stage_id", "amount", "close_date", "owner_id", "status"},
    "Ticket": {"id", "subject", "pipeline_id", "stage_id", "status"},
    "Pipeline": {"id", "name", "object", "stages"},
}

# Path ids are the ones the database can hold; others are a 404 (docs/api.md).
DATABASE_ID = {"type": "integer", "minimum": 0, "maximum": 2**31 - 1}


def fetch_document(client: FlaskClient) -> dict[str, Any]:
    """The document as an anonymous client gets it."""
    response = client.get("/openapi.json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    return response.json


def documented_path(rule_text: str) -> str:
    """A Flask rule written the OpenAPI way, relative to /api/v1."""
    return re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule_text).removeprefix("/api/v1")


def api_operations(app: Flask) -> list[tuple[str, str, str]]:
    """(endpoint, path, method) of every /api/v1 route in the app's url_map."""
    return [
        (rule.endpoint, documented_path(rule.rule), method.lower())
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/v1")
        for method in sorted((rule.methods or set()) - IGNORED_METHODS)
    ]


def schema(document: dict[str, Any], name: str) -> dict[str, Any]:
    """A component schema by name."""
    return document["components"]["schemas"][name]


def test_document_is_valid_openapi_3_1(client):
    document = fetch_document(client)
    assert document["openapi"].startswith("3.1")
    validate(document)


def test_openapi_json_needs_no_token_and_answers_json(client):
    response = client.get("/openapi.json", headers={"Authorization": "Bearer nonsense"})
    assert response.status_code == 200
    assert response.json["info"]["title"] == "tracklog"


def test_every_api_route_and_method_is_in_the_document(app, client):
    document = fetch_document(client)
    operations = api_operations(app)
    assert len(operations) >= 30  # the six record resources alone have five routes each
    missing = [
        f"{method.upper()} {path} ({endpoint})"
        for endpoint, path, method in operations
        if method not in document["paths"].get(path, {})
        or not document["paths"][path][method]["operationId"].startswith(endpoint)
    ]
    assert missing == []


def test_operation_ids_are_the_endpoint_names_and_unique(app, client):
    document = fetch_document(client)
    ids = [op["operationId"] for item in document["paths"].values() for op in item.values()]
    assert len(ids) == len(set(ids))
    endpoints = {endpoint for endpoint, _path, _method in api_operations(app)}
    assert endpoints <= set(ids)
    assert document["paths"]["/contacts/{record_id}"]["patch"]["operationId"] == (
        "api.contacts_update"
    )


def test_a_new_route_appears_described_by_its_docstring(app, client):
    def poke_widget(widget_id: int):
        """Poke a widget so it wakes up.

        The widget answers with its new mood.
        """
        return jsonify({"id": widget_id})

    app.add_url_rule(
        "/api/v1/widgets/<int:widget_id>/poke", "api.poke_widget", poke_widget, methods=["POST"]
    )
    document = fetch_document(client)
    validate(document)
    operation = document["paths"]["/widgets/{widget_id}/poke"]["post"]
    assert operation["operationId"] == "api.poke_widget"
    assert operation["summary"] == "Poke a widget so it wakes up."
    assert operation["description"] == "The widget answers with its new mood."
    assert operation["tags"] == ["widgets"]
    assert operation["parameters"] == [
        {"name": "widget_id", "in": "path", "required": True, "schema": DATABASE_ID}
    ]
    assert "application/json" in operation["requestBody"]["content"]
    assert operation["responses"]["401"] == {"$ref": "#/components/responses/Unauthorized"}
    assert operation["responses"]["404"] == {"$ref": "#/components/responses/NotFound"}
    assert operation["responses"]["422"] == {"$ref": "#/components/responses/ValidationFailed"}


def test_info_servers_and_bearer_security(client):
    document = fetch_document(client)
    assert document["info"] == {**document["info"], "title": "tracklog", "version": __version__}
    assert document["servers"] == [{"url": f"{BASE_URL}/api/v1"}]
    assert document["security"] == [{"bearer": []}]
    bearer = document["components"]["securitySchemes"]["bearer"]
    assert (bearer["type"], bearer["scheme"]) == ("http", "bearer")
    assert "personal API token" in bearer["description"]
    assert "Entra ID" in bearer["description"]


def test_error_schema_matches_the_contract(client):
    document = fetch_document(client)
    error = schema(document, "Error")
    assert error["required"] == ["error"]
    inner = error["properties"]["error"]
    assert set(inner["required"]) == {"code", "message", "details"}
    responses = document["components"]["responses"]
    for name in ("BadRequest", "Unauthorized", "Forbidden", "NotFound", "Conflict"):
        content = responses[name]["content"]["application/json"]
        assert content["schema"] == {"$ref": "#/components/schemas/Error"}
    assert "ValidationFailed" in responses


@pytest.mark.parametrize("name", sorted(CONTRACT_FIELDS))
def test_record_schemas_carry_the_contract_fields(client, name):
    document = fetch_document(client)
    properties = schema(document, name)["properties"]
    assert CONTRACT_FIELDS[name] <= set(properties)
    assert set(schema(document, name)["required"]) == set(properties)


def test_schemas_describe_types_and_choices(client):
    document = fetch_document(client)
    contact = schema(document, "Contact")["properties"]
    assert contact["email"]["format"] == "email"
    assert contact["legal_basis"]["type"] == ["string", "null"]
    assert contact["created_at"] == {"type": "string", "format": "date-time", "readOnly": True}
    deal = schema(document, "Deal")["properties"]
    assert deal["status"]["enum"] == ["open", "won", "lost"]
    assert deal["close_date"]["format"] == "date"
    stages = schema(document, "Pipeline")["properties"]["stages"]
    assert stages["items"] == {"$ref": "#/components/schemas/Stage"}
    stage = schema(document, "Stage")["properties"]
    assert {"id", "name", "order", "probability", "kind"} <= set(stage)


def test_create_and_update_bodies(client):
    document = fetch_document(client)
    create = schema(document, "ContactCreate")
    assert create["required"] == ["email"]
    assert "created_at" not in create["properties"]
    assert "id" not in create["properties"]
    assert set(schema(document, "PipelineCreate")["required"]) == {"name", "stages"}
    assert "object" not in schema(document, "PipelineUpdate")["properties"]
    assert "required" not in schema(document, "DealUpdate")
    assert "status" not in schema(document, "DealCreate")["properties"]
    assert schema(document, "UserCreate")["properties"]["password"]["writeOnly"] is True
    assert "password" not in schema(document, "User")["properties"]


def test_lists_answer_items_and_next_cursor(client):
    document = fetch_document(client)
    page = schema(document, "DealList")
    assert page["required"] == ["items", "next_cursor"]
    assert page["properties"]["items"]["items"] == {"$ref": "#/components/schemas/Deal"}
    assert page["properties"]["next_cursor"]["type"] == ["string", "null"]
    operation = document["paths"]["/deals"]["get"]
    assert [p["name"] for p in operation["parameters"]] == ["q", "cursor", "limit"]
    assert operation["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/DealList"
    }


def test_record_operations_name_their_path_ids_and_errors(client):
    document = fetch_document(client)
    item = document["paths"]["/contacts/{record_id}"]
    assert set(item) == {"get", "patch", "put", "delete"}
    assert item["get"]["parameters"] == [
        {"name": "record_id", "in": "path", "required": True, "schema": DATABASE_ID}
    ]
    assert set(item["patch"]["responses"]) == {"200", "401", "404", "409", "422"}
    assert item["delete"]["responses"]["204"]
    create = document["paths"]["/contacts"]["post"]
    assert create["requestBody"]["required"] is True
    assert "201" in create["responses"]
    assert "403" not in create["responses"]
    assert "403" in document["paths"]["/pipelines"]["post"]["responses"]


def test_the_api_answers_what_the_document_promises(api, client):
    document = fetch_document(client)
    created = api.post("/contacts", json={"email": "peter@initech.example"})
    assert created.status_code == 201, created.json
    assert set(created.json) == set(schema(document, "Contact")["properties"])
    pipelines = api.get("/pipelines").json["items"]
    assert set(pipelines[0]) == set(schema(document, "Pipeline")["properties"])
    stage_keys = set(schema(document, "Stage")["properties"])
    assert set(pipelines[0]["stages"][0]) == stage_keys


class AssetLinks(HTMLParser):
    """Collects the src and href attributes of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        """Keep every src and href."""
        self.links += [value for name, value in attrs if name in {"src", "href"} and value]


def page_links(html: str) -> list[str]:
    """The src and href values of a page."""
    parser = AssetLinks()
    parser.feed(html)
    return parser.links


def external_urls(text: str) -> list[str]:
    """http(s) URLs in a text that do not point at the configured base URL."""
    return [
        url for url in re.findall(r"https?://[^\s\"'<>)]+", text) if not url.startswith(BASE_URL)
    ]


def test_docs_page_renders_without_a_token_or_any_external_host(client):
    response = client.get("/api/docs")
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    assert external_urls(html) == []
    assert "/openapi.json" in html
    assert 'type="module"' in html


def test_docs_page_assets_are_served_and_local(client):
    html = client.get("/api/docs").get_data(as_text=True)
    assets = [link for link in page_links(html) if link.startswith("/static/")]
    assert any(link.endswith(".js") for link in assets)
    assert any(link.endswith(".css") for link in assets)
    for link in assets:
        response = client.get(link)
        assert response.status_code == 200, link
        assert external_urls(response.get_data(as_text=True)) == [], link
        response.close()
    for link in page_links(html):
        assert link.startswith(("/", "#")), link
