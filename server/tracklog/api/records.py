"""List, get, create, update and delete for every record resource."""

from __future__ import annotations

from collections.abc import Callable

from flask import Response, g, jsonify, request
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from tracklog.api import api
from tracklog.api.pagination import paginate_by_id
from tracklog.api.resources import RESOURCES, Resource
from tracklog.errors import Conflict
from tracklog.extensions import db
from tracklog.inputs import json_object


def commit_or_conflict(after_flush: Callable[[], None] | None = None) -> None:
    """Flush, run what needs the new ids, commit; a constraint violation is a 409, not a 500."""
    try:
        db.session.flush()
        if after_flush is not None:
            after_flush()
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise Conflict(_("The change clashes with another record.")) from None


def list_view(resource: Resource) -> Response:
    """A page of records, newest first, optionally searched with ?q=."""
    query = resource.scoped()
    if request.args.get("q", "").strip():
        query = resource.search(query, request.args["q"])
    rows, next_cursor = paginate_by_id(query, resource.model.id)
    return jsonify({"items": [resource.to_json(row) for row in rows], "next_cursor": next_cursor})


def get_view(resource: Resource, record_id: int) -> Response:
    """One record."""
    return jsonify(resource.to_json(resource.get(record_id)))


def create_view(resource: Resource) -> tuple[Response, int]:
    """A new record in the caller's account."""
    resource.check_write_allowed()
    record = resource.model(account_id=g.api_user.account_id)
    with db.session.no_autoflush:
        values = resource.apply(record, json_object(), creating=True)
    db.session.add(record)
    commit_or_conflict(resource.after_save and (lambda: resource.after_save(record, values, True)))
    return jsonify(resource.to_json(record)), 201


def update_view(resource: Resource, record_id: int) -> Response:
    """Change some fields of a record."""
    resource.check_write_allowed()
    record = resource.get(record_id)
    with db.session.no_autoflush:
        values = resource.apply(record, json_object(), creating=False)
    commit_or_conflict(resource.after_save and (lambda: resource.after_save(record, values, False)))
    db.session.refresh(record)
    return jsonify(resource.to_json(record))


def delete_view(resource: Resource, record_id: int) -> tuple[str, int]:
    """Delete a record and its associations."""
    resource.check_write_allowed()
    record = resource.get(record_id)
    if resource.before_delete:
        resource.before_delete(record)
    db.session.delete(record)
    commit_or_conflict()
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
