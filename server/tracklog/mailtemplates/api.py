"""The template operations of /api/v1: the library with each template's results."""

from __future__ import annotations

from flask import Response, g, jsonify

from tracklog.api import api
from tracklog.inputs import json_object
from tracklog.mailtemplates.library import (
    change_template,
    create_template,
    delete_template,
    one_template,
    templates_with_results,
)


@api.get("/templates")
def list_templates() -> Response:
    """The caller's templates and the team's shared ones, with uses, open and reply rates
    (people only) and whether each is recommended, with the reason."""
    return jsonify({"items": templates_with_results(g.api_user)})


@api.post("/templates")
def post_template() -> tuple[Response, int]:
    """A new template owned by the caller (`shared` makes it the team's)."""
    template = create_template(g.api_user, json_object())
    return jsonify(one_template(g.api_user, template.id)), 201


@api.get("/templates/<int:template_id>")
def get_template(template_id: int) -> Response:
    """One template with its results."""
    return jsonify(one_template(g.api_user, template_id))


@api.patch("/templates/<int:template_id>")
def patch_template(template_id: int) -> Response:
    """Change a template (its owner, or an admin)."""
    change_template(g.api_user, template_id, json_object())
    return jsonify(one_template(g.api_user, template_id))


@api.delete("/templates/<int:template_id>")
def remove_template(template_id: int) -> tuple[str, int]:
    """Delete a template (its owner, or an admin); mail sent from it stays."""
    delete_template(g.api_user, template_id)
    return "", 204
