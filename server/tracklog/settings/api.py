"""The settings operations of /api/v1: the account's settings, your own, the never-log lists,
tracking rules."""

from __future__ import annotations

from flask import Response, g, jsonify
from flask_babel import gettext as _

from tracklog.api import api
from tracklog.auth.accounts import require_admin
from tracklog.inputs import json_object
from tracklog.settings.account import account_settings, change_account_settings
from tracklog.settings.loggingkey import logging_address_json, rotate_logging_address
from tracklog.settings.neverlog import add_entry, entry_json, remove_entry, visible_entries
from tracklog.settings.personal import change_personal_settings, personal_settings_json
from tracklog.settings.trackingrules import (
    add_tracking_rule,
    built_in_rule_json,
    built_in_rules,
    own_rules,
    remove_tracking_rule,
    tracking_rule_json,
)
from tracklog.tracking.reclassify import reclassify_hits


@api.get("/account/settings")
def get_account_settings() -> Response:
    """The account's settings (admins only)."""
    require_admin(g.api_user, _("Only an admin can read the account's settings."))
    return jsonify(account_settings(g.api_user.account))


@api.patch("/account/settings")
def patch_account_settings() -> Response:
    """Change some of the account's settings, all or none (admins only)."""
    return jsonify(change_account_settings(g.api_user, json_object()))


@api.get("/me/settings")
def get_my_settings() -> Response:
    """Your own defaults, language and time zone, and the account's defaults."""
    return jsonify(personal_settings_json(g.api_user))


@api.patch("/me/settings")
def patch_my_settings() -> Response:
    """Change some of your own settings, all or none (null: the account's or browser's)."""
    return jsonify(change_personal_settings(g.api_user, json_object()))


@api.get("/never-log")
def list_never_log() -> Response:
    """The account's never-log list and the caller's own."""
    return jsonify({"items": [entry_json(entry) for entry in visible_entries(g.api_user)]})


@api.post("/never-log")
def create_never_log() -> tuple[Response, int]:
    """Add an address or a domain to the account's list (admins) or to the caller's own."""
    sent = json_object()
    entry = add_entry(g.api_user, sent.get("pattern"), sent.get("scope"))
    return jsonify(entry_json(entry)), 201


@api.delete("/never-log/<int:entry_id>")
def delete_never_log(entry_id: int) -> tuple[str, int]:
    """Remove an entry (the account's: admins only)."""
    remove_entry(g.api_user, entry_id)
    return "", 204


@api.get("/account/logging-address")
def get_logging_address() -> Response:
    """The account's logging address, and the previous one while it still works."""
    return jsonify(logging_address_json(g.api_user.account))


@api.post("/account/logging-address/rotate")
def rotate_logging_address_now() -> Response:
    """A new logging address; the old one works for grace_days more (default 7, admins only)."""
    return jsonify(rotate_logging_address(g.api_user, json_object().get("grace_days")))


@api.get("/tracking-rules")
def list_tracking_rules() -> Response:
    """The account's own tracking rules and the files' rules they are tried before (admins)."""
    items = [tracking_rule_json(row) for row in own_rules(g.api_user)]
    return jsonify({"items": items, "built_in": [built_in_rule_json(r) for r in built_in_rules()]})


@api.post("/tracking-rules")
def create_tracking_rule() -> tuple[Response, int]:
    """Add a rule for the account's hits (admins only)."""
    return jsonify(tracking_rule_json(add_tracking_rule(g.api_user, json_object()))), 201


@api.delete("/tracking-rules/<int:rule_id>")
def delete_tracking_rule(rule_id: int) -> tuple[str, int]:
    """Remove one of the account's rules (admins only)."""
    remove_tracking_rule(g.api_user, rule_id)
    return "", 204


@api.post("/tracking-rules/reclassify")
def reclassify_tracking_hits() -> Response:
    """Classify the account's stored hits again with the rules in force (admins only)."""
    return jsonify(reclassify_hits(g.api_user))
