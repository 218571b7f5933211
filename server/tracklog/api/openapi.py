"""The OpenAPI 3.1 description of /api/v1, built from the routes and the resource definitions."""

from __future__ import annotations

import inspect
import re
from typing import Any

from flask import Flask
from werkzeug.routing import AnyConverter, FloatConverter, IntegerConverter, Rule, UUIDConverter

import tracklog
from tracklog.api import record_routes
from tracklog.api.errors import API_PREFIX
from tracklog.api.schemas import JSON, OPERATIONS, PAGING, SCHEMAS, WEBHOOKS, query
from tracklog.crm.resources import RESOURCES, STAGE_FIELDS, Resource
from tracklog.inputs import INTEGER_MAX

OPENAPI_VERSION = "3.1.0"
# An endpoint's first method here gets the endpoint name as operationId (PATCH before PUT).
METHOD_ORDER = ("GET", "POST", "PATCH", "PUT", "DELETE")
BODY_METHODS = {"POST", "PUT", "PATCH"}
RULE_VARIABLE = re.compile(r"<(?:(?P<converter>\w+)(?:\((?P<args>.*?)\))?:)?(?P<name>\w+)>")

ERROR_RESPONSES = {
    "400": ("BadRequest", "The request is malformed (a bad cursor, limit or parameter)."),
    "401": ("Unauthorized", "The bearer token is missing, unknown, expired or revoked."),
    "403": ("Forbidden", "The caller is known but may not do this."),
    "404": ("NotFound", "No such record in the caller's account."),
    "409": ("Conflict", "The request clashes with the current state (a duplicate, a pin...)."),
    "422": (
        "ValidationFailed",
        "The input is not valid (a body field, a number past the database's range, text with "
        "a NUL byte...); details.fields names each bad field.",
    ),
}

STAGE_LABEL_TEXT = "The name as shown to the caller: a default stage's name in their language."
STAGE_ORDER_FIELD = {"type": "integer", "readOnly": True, "description": "Position in the pipeline"}

# Output and input that a resource builds in code (extra_json, before_save) rather than
# declaring as a Field: described here so the document shows them.
RESOURCE_EXTRAS: dict[str, dict[str, Any]] = {
    "companies": {
        "read": {
            "active_deal_registrations": {
                "type": "integer",
                "readOnly": True,
                "description": "Open shared deals of this account associated with the company",
            }
        }
    },
    "pipelines": {
        "read": {"stages": {"type": "array", "items": {"$ref": "#/components/schemas/Stage"}}},
        "write": {
            "stages": {
                "type": "array",
                "minItems": 1,
                "items": {"$ref": "#/components/schemas/StageInput"},
                "description": "The full list of stages, in order: listed ids are kept, "
                "stages without id are added, missing ones are removed.",
            }
        },
        "create_required": ("stages",),
    },
}


def build_document(app: Flask) -> dict[str, Any]:
    """The OpenAPI 3.1 document of every /api/v1 route of the app."""
    resources = {resource.name: resource for resource in RESOURCES}
    paths: dict[str, dict[str, Any]] = {}
    for rule in sorted(api_rules(app), key=lambda rule: (rule.rule, rule.endpoint)):
        path_item = paths.setdefault(openapi_path(rule), {})
        methods = [method for method in METHOD_ORDER if method in (rule.methods or ())]
        for method in methods:
            operation = _record_operation(rule, method, resources) or _generic_operation(
                app, rule, method
            )
            operation["operationId"] = _operation_id(rule.endpoint, method, methods)
            parameters = path_parameters(rule) + operation.get("parameters", [])
            if parameters:
                operation["parameters"] = parameters
            declared = OPERATIONS.get(rule.endpoint)
            if declared is not None and "requestBody" not in declared:
                operation.pop("requestBody", None)  # it takes no body
            _apply_declared(operation, declared)
            # Any input may hold text the database cannot store (a NUL byte): 422 everywhere.
            operation["responses"].update(_error_refs("422"))
            path_item[method.lower()] = operation
    return {
        "openapi": OPENAPI_VERSION,
        "info": {
            "title": "tracklog",
            "version": tracklog.__version__,
            "description": "Records, timeline, compose and tracking data of a tracklog account. "
            'Every error answers {"error": {"code", "message", "details"}}.',
        },
        "servers": [{"url": app.config["BASE_URL"].rstrip("/") + API_PREFIX}],
        "security": [{"bearer": []}],
        "tags": _tags(paths, resources),
        "paths": paths,
        "webhooks": WEBHOOKS,
        "components": {
            "securitySchemes": {
                "bearer": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "A personal API token (tracklog token create, or the web "
                    "app's API tokens page) or a Microsoft Entra ID access token for this add-in.",
                }
            },
            "schemas": {**_shared_schemas(), **_resource_schemas(), **SCHEMAS},
            "responses": {
                name: {
                    "description": description,
                    "content": {JSON: {"schema": {"$ref": "#/components/schemas/Error"}}},
                }
                for name, description in ERROR_RESPONSES.values()
            },
        },
    }


def api_rules(app: Flask) -> list[Rule]:
    """The app's rules that belong to the API blueprint."""
    return [rule for rule in app.url_map.iter_rules() if rule.endpoint.startswith("api.")]


def openapi_path(rule: Rule) -> str:
    """The rule's path relative to the server URL, with {name} parameters."""
    return RULE_VARIABLE.sub(r"{\g<name>}", rule.rule).removeprefix(API_PREFIX) or "/"


def path_parameters(rule: Rule) -> list[dict[str, Any]]:
    """The rule's variables as OpenAPI path parameters, in the order they appear."""
    # Werkzeug keeps a bound rule's converters only in this private mapping.
    converters = getattr(rule, "_converters", {})
    return [
        {
            "name": match["name"],
            "in": "path",
            "required": True,
            "schema": _converter_schema(converters.get(match["name"])),
        }
        for match in RULE_VARIABLE.finditer(rule.rule)
    ]


def _converter_schema(converter: Any) -> dict[str, Any]:
    """The JSON schema of the values a URL converter accepts."""
    if isinstance(converter, IntegerConverter):
        return {"type": "integer", "minimum": 0, "maximum": INTEGER_MAX}
    if isinstance(converter, FloatConverter):
        return {"type": "number"}
    if isinstance(converter, UUIDConverter):
        return {"type": "string", "format": "uuid"}
    if isinstance(converter, AnyConverter):
        return {"type": "string", "enum": sorted(converter.items)}
    return {"type": "string"}


def _operation_id(endpoint: str, method: str, methods: list[str]) -> str:
    """The endpoint name; further methods of the same endpoint get a _method suffix."""
    return endpoint if method == methods[0] else f"{endpoint}_{method.lower()}"


def _error_refs(*statuses: str) -> dict[str, Any]:
    """Responses pointing at the shared error responses."""
    return {
        status: {"$ref": f"#/components/responses/{ERROR_RESPONSES[status][0]}"}
        for status in statuses
    }


def _json_content(schema: dict[str, Any]) -> dict[str, Any]:
    """A JSON content map with one schema."""
    return {JSON: {"schema": schema}}


def _schema_ref(name: str) -> dict[str, str]:
    """A reference to a component schema."""
    return {"$ref": f"#/components/schemas/{name}"}


def _schema_name(resource: Resource) -> str:
    """Contact for contacts, Company for companies."""
    return resource.singular.capitalize()


def _record_operation(
    rule: Rule, method: str, resources: dict[str, Resource]
) -> dict[str, Any] | None:
    """A full description of a record route (contacts_list, deals_update...), else None."""
    name, _sep, action = rule.endpoint.removeprefix("api.").rpartition("_")
    resource = resources.get(name)
    if resource is None or action not in {"list", "create", "get", "update", "delete"}:
        return None
    schema = _schema_name(resource)
    singular = resource.singular
    writes = ("403",) if resource.admin_writes else ()
    if action == "list":
        columns = ", ".join(resource.search_columns)
        return {
            "tags": [resource.name],
            "summary": f"List {resource.name}",
            "description": inspect.getdoc(record_routes.list_view),
            "parameters": [
                {
                    "name": "q",
                    "in": "query",
                    "description": f"Text searched case-insensitively in: {columns}.",
                    "schema": {"type": "string"},
                },
                *query(**PAGING)["parameters"],
            ],
            "responses": {
                "200": {
                    "description": f"A page of {resource.name}.",
                    "content": _json_content(_schema_ref(f"{schema}List")),
                },
                **_error_refs("400", "401"),
            },
        }
    if action == "create":
        return {
            "tags": [resource.name],
            "summary": f"Create a {singular}",
            "description": inspect.getdoc(record_routes.create_view),
            "requestBody": {
                "required": True,
                "content": _json_content(_schema_ref(f"{schema}Create")),
            },
            "responses": {
                "201": {
                    "description": f"The new {singular}.",
                    "content": _json_content(_schema_ref(schema)),
                },
                **_error_refs("401", *writes, "409", "422"),
            },
        }
    if action == "get":
        return {
            "tags": [resource.name],
            "summary": f"Get a {singular}",
            "description": inspect.getdoc(record_routes.get_view),
            "responses": {
                "200": {
                    "description": f"The {singular}.",
                    "content": _json_content(_schema_ref(schema)),
                },
                **_error_refs("401", "404"),
            },
        }
    if action == "update":
        description = inspect.getdoc(record_routes.update_view) or ""
        if method == "PUT":
            description += " PUT is accepted as a synonym of PATCH: absent fields are kept."
        return {
            "tags": [resource.name],
            "summary": f"Update a {singular}",
            "description": description,
            "requestBody": {
                "required": True,
                "content": _json_content(_schema_ref(f"{schema}Update")),
            },
            "responses": {
                "200": {
                    "description": f"The changed {singular}.",
                    "content": _json_content(_schema_ref(schema)),
                },
                **_error_refs("401", *writes, "404", "409", "422"),
            },
        }
    return {
        "tags": [resource.name],
        "summary": f"Delete a {singular}",
        "description": inspect.getdoc(record_routes.delete_view),
        "responses": {
            "204": {"description": f"The {singular} is deleted."},
            **_error_refs("401", *writes, "404", "409"),
        },
    }


def _generic_operation(app: Flask, rule: Rule, method: str) -> dict[str, Any]:
    """An operation described from its view's docstring, with open request and response bodies."""
    doc = inspect.getdoc(app.view_functions.get(rule.endpoint)) or ""
    summary, _sep, description = doc.partition("\n")
    path = openapi_path(rule)
    operation: dict[str, Any] = {
        "tags": [path.strip("/").split("/")[0] or "api"],
        "summary": summary.strip() or f"{method} {path}",
    }
    if description.strip():
        operation["description"] = description.strip()
    if method in BODY_METHODS:
        operation["requestBody"] = {
            "required": False,
            "content": _json_content({"type": "object"}),
        }
    errors = ["400", "401", "404"]  # 404 also for a record named in the body or query
    if method != "GET":
        errors.append("409")
    if method in BODY_METHODS:
        errors.append("422")
    operation["responses"] = {
        "2XX": {"description": "Success.", "content": _json_content({})},
        **_error_refs(*errors),
    }
    return operation


def _apply_declared(operation: dict[str, Any], declared: dict[str, Any] | None) -> None:
    """Merge what schemas.OPERATIONS declares over the operation."""
    for key, value in (declared or {}).items():
        if key == "responses":
            responses = {**operation.get("responses", {}), **value}
            if any(status.startswith("2") and status != "2XX" for status in value):
                responses.pop("2XX", None)
            operation["responses"] = responses
        elif key == "parameters":
            names = {(p["name"], p["in"]) for p in value}
            kept = [p for p in operation.get("parameters", []) if (p["name"], p["in"]) not in names]
            operation["parameters"] = kept + list(value)
        else:
            operation[key] = value


def _tags(paths: dict[str, dict[str, Any]], resources: dict[str, Resource]) -> list[dict]:
    """Every tag used, records first in their declared order, then the others by name."""
    used = {tag for item in paths.values() for op in item.values() for tag in op.get("tags", ())}
    ordered = [name for name in resources if name in used]
    ordered += sorted(used - set(ordered))
    return [{"name": name} for name in ordered]


def _shared_schemas() -> dict[str, Any]:
    """The error shape and the stages of a pipeline."""
    stage_properties = {spec.name: spec.schema() for spec in STAGE_FIELDS}
    stage_properties["probability"] = {"type": "integer", "minimum": 0, "maximum": 100}
    return {
        "Error": {
            "type": "object",
            "required": ["error"],
            "properties": {
                "error": {
                    "type": "object",
                    "required": ["code", "message", "details"],
                    "properties": {
                        "code": {"type": "string", "pattern": "^[a-z0-9_]+$"},
                        "message": {"type": "string"},
                        "details": {"type": "object"},
                    },
                }
            },
        },
        "Stage": {
            "type": "object",
            "required": ["id", "name", "order", "probability", "kind", "required_properties"],
            "properties": {
                "id": {"type": "integer", "readOnly": True},
                "name": stage_properties["name"],
                "label": {"type": "string", "readOnly": True, "description": STAGE_LABEL_TEXT},
                "order": STAGE_ORDER_FIELD,
                **{k: v for k, v in stage_properties.items() if k != "name"},
            },
        },
        "StageInput": {
            "type": "object",
            "description": "A stage to keep (with its id) or to add (without id, then with name).",
            "properties": {
                "id": {"type": ["integer", "null"]},
                **stage_properties,
            },
            "additionalProperties": False,
        },
    }


def _resource_schemas() -> dict[str, Any]:
    """For each resource: the record, its create and update bodies, and a page of the list."""
    schemas: dict[str, Any] = {}
    for resource in RESOURCES:
        name = _schema_name(resource)
        extras = RESOURCE_EXTRAS.get(resource.name, {})
        readable = {spec.name: spec.schema() for spec in resource.fields if spec.readable}
        readable.update(extras.get("read", {}))
        writable = {spec.name: spec.schema() for spec in resource.fields if spec.writable}
        writable.update(extras.get("write", {}))
        updatable = {
            spec.name: writable[spec.name]
            for spec in resource.fields
            if spec.writable and not spec.create_only
        }
        required = [spec.name for spec in resource.fields if spec.writable and spec.required]
        required += list(extras.get("create_required", ()))
        record_properties = {"id": {"type": "integer", "readOnly": True}, **readable}
        schemas[name] = {
            "type": "object",
            "required": list(record_properties),
            "properties": record_properties,
        }
        schemas[f"{name}Create"] = {
            "type": "object",
            "required": required,
            "properties": writable,
            "additionalProperties": False,
        }
        schemas[f"{name}Update"] = {
            "type": "object",
            "properties": updatable,
            "additionalProperties": False,
        }
        schemas[f"{name}List"] = {
            "type": "object",
            "required": ["items", "next_cursor"],
            "properties": {
                "items": {"type": "array", "items": _schema_ref(name)},
                "next_cursor": {"type": ["string", "null"]},
            },
        }
    return schemas
