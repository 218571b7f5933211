"""The data rights operations of /api/v1: export a contact's data, erase a contact."""

from __future__ import annotations

import io

from flask import Response, g, jsonify, send_file

from tracklog.api import api
from tracklog.privacy.erase import erase_contact
from tracklog.privacy.export import export_contact


@api.get("/contacts/<int:contact_id>/export")
def export_contact_data(contact_id: int) -> Response:
    """Everything held about the contact, as a ZIP download."""
    contact, archive = export_contact(g.api_user, contact_id)
    return send_file(
        io.BytesIO(archive),
        mimetype="application/zip",
        as_attachment=True,
        download_name=f"contact-{contact.id}.zip",
    )


@api.post("/contacts/<int:contact_id>/erase")
def erase_contact_data(contact_id: int) -> Response:
    """Erase the contact and what was held about them only (admins only); the counts removed."""
    return jsonify({"contact_id": contact_id, "removed": erase_contact(g.api_user, contact_id)})
