"""List, get, create, update and delete for every kind of record, under /api/v1."""

from __future__ import annotations

from flask import Response, g, jsonify, request

from tracklog.api import api, requested_page
from tracklog.crm.resources import RESOURCES, Resource
from tracklog.extensions import db
from tracklog.inputs import json_object


def list_view(resource: Resource) -> Response:
    """A page of records, newest first, optionally searched with ?q= (and filtered by the
    parameters a kind of record adds)."""
    query = resource.scoped(g.api_user)
    if request.args.get("q", "").strip():
        query = resource.search(query, request.args["q"])
    if resource.list_filter is not None:
        query = resource.list_filter(query, request.args)
    rows, next_cursor = requested_page(query, resource.model.id)
    return jsonify({"items": [resource.to_json(row) for row in rows], "next_cursor": next_cursor})


def get_view(resource: Resource, record_id: int) -> Response:
    """One record."""
    return jsonify(resource.to_json(resource.get(g.api_user, record_id)))


def create_view(resource: Resource) -> tuple[Response, int]:
    """A new record in the caller's account."""
    record = resource.create(g.api_user, json_object())
    return jsonify(resource.to_json(record)), 201


def update_view(resource: Resource, record_id: int) -> Response:
    """Change some fields of a record."""
    record = resource.update(g.api_user, record_id, json_object())
    db.session.refresh(record)
    return jsonify(resource.to_json(record))


def delete_view(resource: Resource, record_id: int) -> tuple[str, int]:
    """Delete a record and its associations."""
    resource.delete(g.api_user, record_id)
    return "", 204


def register(resource: Resource) -> None:
    """The five routes of one resource."""
    base = f"/{resource.name}"
    item = f"{base}/<int:record_id>"
    name = resource.name
    api.add_url_rule(base, f"{name}_list", lambda: list_view(resource), methods=["GET"])
    api.add_url_rule(base, f"{name}_create", lambda: create_view(resource), methods=["POST"])
    api.add_url_rule(
        item, f"{name}_get", lambda record_id: get_view(resource, record_id), methods=["GET"]
    )
    api.add_url_rule(
        item,
        f"{name}_update",
        lambda record_id: update_view(resource, record_id),
        methods=["PATCH", "PUT"],
    )
    api.add_url_rule(
        item,
        f"{name}_delete",
        lambda record_id: delete_view(resource, record_id),
        methods=["DELETE"],
    )


for _resource in RESOURCES:
    register(_resource)
