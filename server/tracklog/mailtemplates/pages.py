"""The template library's pages: every template with its results, a form to add and change them."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from tracklog.errors import DomainError, ValidationFailed
from tracklog.extensions import db
from tracklog.mailtemplates.library import (
    MIN_SENDS,
    change_template,
    create_template,
    delete_template,
    one_template,
    templates_with_results,
)

template_pages = Blueprint("template_pages", __name__, url_prefix="/templates")


def sent_fields() -> dict[str, Any]:
    """The template form's fields as the library takes them."""
    return {
        "name": request.form.get("name", ""),
        "subject": request.form.get("subject", ""),
        "html": request.form.get("html", ""),
        "shared": request.form.get("shared") == "on",
    }


def library_page(
    editing: dict[str, Any] | None = None, problems: dict | None = None, status: int = 200
) -> tuple[str, int]:
    """The library with the form filled for a new template or the one being changed."""
    return render_template(
        "mailtemplates/library.html",
        templates=templates_with_results(current_user),
        editing=editing or {},
        problems=problems or {},
        min_sends=MIN_SENDS,
    ), status


@template_pages.get("")
@login_required
def library() -> tuple[str, int]:
    """Your templates and the team's, with uses, open and reply rates and recommendations."""
    return library_page()


@template_pages.get("/<int:template_id>")
@login_required
def edit(template_id: int) -> tuple[str, int]:
    """The library with one template in the form, to change it."""
    return library_page(one_template(current_user, template_id))


@template_pages.post("")
@login_required
def create() -> Any:
    """Add a template from the form."""
    try:
        template = create_template(current_user, sent_fields())
    except ValidationFailed as refused:
        db.session.rollback()
        return library_page(sent_fields(), refused.details.get("fields", {}), 422)
    flash(_("The template %(name)s was saved.", name=template.name), "info")
    return redirect(url_for("template_pages.library"))


@template_pages.post("/<int:template_id>")
@login_required
def change(template_id: int) -> Any:
    """Change a template from the form."""
    try:
        template = change_template(current_user, template_id, sent_fields())
    except ValidationFailed as refused:
        db.session.rollback()
        editing = {"id": template_id, **sent_fields()}
        return library_page(editing, refused.details.get("fields", {}), 422)
    flash(_("The template %(name)s was saved.", name=template.name), "info")
    return redirect(url_for("template_pages.library"))


@template_pages.post("/<int:template_id>/delete")
@login_required
def delete(template_id: int) -> Response:
    """Delete a template; mail sent from it stays."""
    try:
        delete_template(current_user, template_id)
        flash(_("The template was deleted."), "info")
    except DomainError as refused:
        db.session.rollback()
        flash(refused.message, "error")
    return redirect(url_for("template_pages.library"))
