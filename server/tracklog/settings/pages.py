"""The settings pages: the user's own settings, the account's switches for admins, never-log
lists, tracking rules, the audit log."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from babel import Locale
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import refresh
from flask_login import current_user, login_required
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response

from tracklog.audit.log import audit_query
from tracklog.auth.accounts import require_admin
from tracklog.config import LANGUAGES
from tracklog.crm.legalbasis import LEGAL_BASIS_LABELS
from tracklog.errors import DomainError, ValidationFailed
from tracklog.extensions import db
from tracklog.inputs import stored_integer
from tracklog.models import AuditEntry
from tracklog.notify.feed import preferences
from tracklog.notify.preferences import OPEN_CHOICES
from tracklog.settings.account import (
    ACCOUNT_SETTINGS,
    Setting,
    account_settings,
    change_account_settings,
)
from tracklog.settings.loggingkey import logging_address_json, rotate_logging_address
from tracklog.settings.neverlog import add_entry, remove_entry, visible_entries
from tracklog.settings.personal import change_own_settings, personal_settings, time_zones
from tracklog.settings.trackingrules import (
    OFFERED_MATCHERS,
    add_tracking_rule,
    built_in_rule_json,
    built_in_rules,
    own_rules,
    remove_tracking_rule,
)
from tracklog.tracking.classify import RULE_CLASSIFICATIONS
from tracklog.tracking.reclassify import reclassify_hits

settings_pages = Blueprint("settings_pages", __name__, url_prefix="/settings")

MEGABYTE = 1024 * 1024
AUDIT_PAGE_SIZE = 100
SETTING_TEXTS = {
    "log_by_default": (_l("Log mail by default"), _l("New mail starts with Log turned on.")),
    "track_by_default": (_l("Track mail by default"), _l("New mail starts with Track turned on.")),
    "create_contacts": (
        _l("Create contacts for unknown recipients"),
        _l("A logged mail to an address that is no contact yet creates the contact."),
    ),
    "default_association_types": (
        _l("Records a mail is put on automatically"),
        _l("Besides the records chosen in Outlook."),
    ),
    "max_associated_deals": (
        _l("Recent open deals per contact"),
        _l("At most five open deals and tickets in total are chosen."),
    ),
    "max_associated_tickets": (
        _l("Recent open tickets per contact"),
        _l("At most five open deals and tickets in total are chosen."),
    ),
    "privacy_mode": (
        _l("Privacy mode"),
        _l("Only recipients who are contacts with a legal basis are tracked and logged."),
    ),
    "legal_bases": (_l("Legal bases offered"), _l("What a contact's legal basis may be.")),
    "internal_domains": (
        _l("Internal domains"),
        _l("Mail to these domains is internal: never tracked or logged. One domain a line."),
    ),
    "attachment_size_limit": (
        _l("Attachment size limit (MB)"),
        _l("Larger attachments are left out of logged mail, with a note."),
    ),
    "tracked_attachment_days": (
        _l("Days a tracked attachment's link works"),
        _l("Empty: the installation's default."),
    ),
    "open_repeat_window_seconds": (
        _l("Seconds in which repeated opens count once"),
        _l("Empty: the installation's default."),
    ),
    "currency": (_l("Currency"), _l("The ISO 4217 code of amounts, such as EUR.")),
    "accent_color": (
        _l("Accent colour"),
        _l("Buttons, links and the selected page take this colour. Empty: Fluent blue."),
    ),
    "event_retention_days": (
        _l("Keep engagement events (days)"),
        _l("Older opens and clicks are deleted. Empty: kept."),
    ),
    "mail_retention_days": (
        _l("Keep logged mail (days)"),
        _l("Older logged mail is deleted. Empty: kept."),
    ),
    "recipient_opt_out_link": (
        _l("Let recipients opt out of tracking"),
        _l("Tracked mail carries a small link to a page where the recipient can opt out."),
    ),
}
CHOICE_LABELS = {
    "contact": _l("Contacts"),
    "company": _l("Companies"),
    "deal": _l("Deals"),
    "ticket": _l("Tickets"),
    **LEGAL_BASIS_LABELS,
}

# The three-way choice of a personal default: the form's value and the API's.
DEFAULT_CHOICES = {"account": None, "on": True, "off": False}
OPEN_LABELS = {
    "first": _l("The first open of each mail"),
    "every": _l("Every open"),
    "none": _l("No opens"),
}
NOTIFIED_EVENTS = {
    "clicks": _l("Clicks on links"),
    "attachments": _l("Views of tracked attachments"),
    "replies": _l("Replies"),
    "logging": _l("Mail that was not logged"),
}

ACTION_LABELS = {
    "settings_changed": _l("Settings changed"),
    "never_log_added": _l("Never-log entry added"),
    "never_log_removed": _l("Never-log entry removed"),
    "user_invited": _l("User invited"),
    "invitation_revoked": _l("Invitation withdrawn"),
    "role_changed": _l("Role changed"),
    "user_deactivated": _l("User deactivated"),
    "user_reactivated": _l("User reactivated"),
    "token_created": _l("API token created"),
    "token_revoked": _l("API token revoked"),
    "bcc_address_rotated": _l("Logging address rotated"),
    "tracking_rule_added": _l("Tracking rule added"),
    "tracking_rule_removed": _l("Tracking rule removed"),
    "hits_reclassified": _l("Hits classified again"),
    "contact_exported": _l("Contact exported"),
    "contact_erased": _l("Contact erased"),
    "retention_run": _l("Old data deleted (retention)"),
    "recipient_opted_out": _l("A recipient opted out of tracking"),
    "partner_invited": _l("Partner invited"),
    "partner_accepted": _l("Partnership accepted"),
    "partner_changed": _l("Partnership changed"),
    "partner_ended": _l("Partnership ended"),
    "deal_shared": _l("Deal shared with a partner"),
    "mailbox_connected": _l("Mailbox connected"),
    "mailbox_disconnected": _l("Mailbox disconnected"),
    "webhook_created": _l("Webhook added"),
    "webhook_deleted": _l("Webhook deleted"),
}

MATCHER_LABELS = {
    "user_agent_contains": _l("User agent contains"),
    "ip_networks": _l("IP network"),
    "kinds": _l("Hits"),
}


def form_value(setting: Setting, form: MultiDict) -> Any:
    """What the form says for one setting, in the API's terms."""
    text = form.get(setting.name, "").strip()
    if setting.kind == "boolean":
        return setting.name in form
    if setting.kind == "choices":
        return form.getlist(setting.name)
    if setting.kind == "domains":
        return [line for line in text.replace(",", "\n").split() if line]
    if setting.kind == "number":
        if not text and setting.nullable:
            return None
        number = stored_integer(text, from_text=True)
        if number is not None and setting.name == "attachment_size_limit":
            return number * MEGABYTE
        return text if number is None else number
    return text


def shown_values(values: dict[str, Any]) -> dict[str, Any]:
    """Settings as the form shows them (the attachment limit in MB, domains a line each)."""
    shown = dict(values)
    limit = shown["attachment_size_limit"]
    shown["attachment_size_limit"] = limit // MEGABYTE if isinstance(limit, int) else limit
    shown["internal_domains"] = "\n".join(shown["internal_domains"] or [])
    return shown


def render_account_form(values: dict[str, Any], problems: dict[str, str], status: int = 200):
    """The account settings page with these values and problems."""
    page = render_template(
        "settings/account.html",
        logging_address=logging_address_json(current_user.account),
        settings=ACCOUNT_SETTINGS,
        texts=SETTING_TEXTS,
        choice_labels=CHOICE_LABELS,
        values=shown_values(values),
        problems=problems,
    )
    return page, status


@settings_pages.get("")
@login_required
def index() -> Any:
    """Admins land on the account's settings, everyone else on their own."""
    if not current_user.is_admin:
        return redirect(url_for("settings_pages.my_settings"))
    return render_account_form(account_settings(current_user.account), {})


@settings_pages.post("/account")
@login_required
def save_account() -> Any:
    """Save the account settings form; nothing changes unless every value is right."""
    require_admin(current_user, _("Only an admin can change the account's settings."))
    sent = {setting.name: form_value(setting, request.form) for setting in ACCOUNT_SETTINGS}
    try:
        change_account_settings(current_user, sent)
    except ValidationFailed as refused:
        db.session.rollback()
        flash(refused.message, "error")
        return render_account_form(sent, refused.details.get("fields", {}), 422)
    flash(_("The settings were saved."), "info")
    return redirect(url_for("settings_pages.index"))


def own_settings_from_form(form: MultiDict) -> dict[str, Any]:
    """What the form says for the user's own settings, in the API's terms (a value the form
    never offers is passed on as sent, for the reader to refuse)."""
    chosen = {name: form.get(name, "") for name in ("track_by_default", "log_by_default")}
    return {
        **{name: DEFAULT_CHOICES.get(value, value) for name, value in chosen.items()},
        "locale": form.get("locale") or None,
        "time_zone": form.get("time_zone", "").strip(),
    }


def preferences_from_form(form: MultiDict) -> dict[str, Any]:
    """What the form says for the notification preferences, in the API's terms."""
    start, end = form.get("quiet_start", "").strip(), form.get("quiet_end", "").strip()
    return {
        "opens": form.get("opens", ""),
        **{name: name in form for name in NOTIFIED_EVENTS},
        "quiet_hours": {"start": start, "end": end} if start or end else None,
    }


def render_own_form(
    values: dict[str, Any], chosen: dict[str, Any], problems: dict[str, str], status: int = 200
):
    """The user's own settings page with these values, preferences and problems."""
    page = render_template(
        "settings/me.html",
        values=values,
        chosen=chosen,
        problems=problems,
        default_choices=DEFAULT_CHOICES,
        account=current_user.account,
        languages=[(code, Locale.parse(code).get_display_name(code).title()) for code in LANGUAGES],
        time_zones=time_zones(),
        open_labels=OPEN_LABELS,
        open_choices=OPEN_CHOICES,
        notified_events=NOTIFIED_EVENTS,
    )
    return page, status


@settings_pages.get("/me")
@login_required
def my_settings() -> Any:
    """The user's own defaults, language, time zone and notification preferences."""
    return render_own_form(personal_settings(current_user), preferences(current_user), {})


@settings_pages.post("/me")
@login_required
def save_my_settings() -> Any:
    """Save the user's own settings form; nothing changes unless every value is right."""
    sent, chosen = own_settings_from_form(request.form), preferences_from_form(request.form)
    try:
        change_own_settings(current_user, sent, chosen)
    except ValidationFailed as refused:
        db.session.rollback()
        flash(refused.message, "error")
        return render_own_form(sent, chosen, refused.details.get("fields", {}), 422)
    refresh()  # the message is already in the language just chosen
    flash(_("Your settings were saved."), "info")
    return redirect(url_for("settings_pages.my_settings"))


@settings_pages.post("/logging-address/rotate")
@login_required
def rotate_logging_address_page() -> Response:
    """Give the account a new logging address; the old one works for 7 more days."""
    require_admin(current_user, _("Only an admin can change the account's logging address."))
    rotated = rotate_logging_address(current_user)
    flash(_("The new logging address is %(address)s.", address=rotated["address"]), "info")
    return redirect(url_for("settings_pages.index"))


@settings_pages.get("/never-log")
@login_required
def never_log() -> str:
    """The account's never-log list and the user's own, with forms to change them."""
    entries = visible_entries(current_user)
    return render_template(
        "settings/never_log.html",
        account_entries=[entry for entry in entries if entry.user_id is None],
        own_entries=[entry for entry in entries if entry.user_id is not None],
    )


def changed_never_log(change: Callable[[], str]) -> Response:
    """Make a change to a never-log list and say what happened (or why it was refused)."""
    try:
        flash(change(), "info")
    except DomainError as refused:
        db.session.rollback()
        flash(refused.message, "error")
    return redirect(url_for("settings_pages.never_log"))


@settings_pages.post("/never-log")
@login_required
def add_never_log() -> Response:
    """Add a pattern to the account's list or the user's own."""

    def add() -> str:
        entry = add_entry(current_user, request.form.get("pattern"), request.form.get("scope"))
        return _("%(pattern)s will not be logged.", pattern=entry.pattern)

    return changed_never_log(add)


@settings_pages.post("/never-log/<int:entry_id>/remove")
@login_required
def remove_never_log(entry_id: int) -> Response:
    """Remove an entry of the account's list (admins) or of the user's own."""

    def remove() -> str:
        remove_entry(current_user, entry_id)
        return _("The entry was removed.")

    return changed_never_log(remove)


def render_tracking_rules(
    sent: dict[str, str] | None = None,
    problems: dict[str, str] | None = None,
    reclassified: dict[str, Any] | None = None,
    status: int = 200,
):
    """The tracking rules page: the account's rules, the add form, the files' rules."""
    page = render_template(
        "settings/tracking_rules.html",
        own=own_rules(current_user),
        built_in=[built_in_rule_json(rule) for rule in built_in_rules()],
        matcher_labels=MATCHER_LABELS,
        classifications=RULE_CLASSIFICATIONS,
        sent=sent or {},
        problems=problems or {},
        reclassified=reclassified,
    )
    return page, status


@settings_pages.get("/tracking-rules")
@login_required
def tracking_rules() -> Any:
    """The account's tracking rules and the built-in ones (admins only)."""
    return render_tracking_rules()


@settings_pages.post("/tracking-rules")
@login_required
def add_tracking_rule_page() -> Any:
    """Add a rule from the form; a refused one is shown again with its problems at their fields."""
    fields = ("classification", "note", *OFFERED_MATCHERS)
    sent = {name: request.form.get(name, "") for name in fields}
    try:
        add_tracking_rule(current_user, sent)
    except ValidationFailed as refused:
        db.session.rollback()
        flash(refused.message, "error")
        return render_tracking_rules(sent, refused.details.get("fields", {}), status=422)
    flash(
        _("The rule was added. It applies to new hits; classify existing hits again below."), "info"
    )
    return redirect(url_for("settings_pages.tracking_rules"))


@settings_pages.post("/tracking-rules/<int:rule_id>/remove")
@login_required
def remove_tracking_rule_page(rule_id: int) -> Response:
    """Remove one of the account's rules."""
    remove_tracking_rule(current_user, rule_id)
    flash(_("The rule was removed."), "info")
    return redirect(url_for("settings_pages.tracking_rules"))


@settings_pages.post("/tracking-rules/reclassify")
@login_required
def reclassify_page() -> Any:
    """Classify the account's stored hits again and show what changed."""
    return render_tracking_rules(reclassified=reclassify_hits(current_user))


@settings_pages.get("/audit")
@login_required
def audit_log() -> str:
    """The account's audit log, newest first (admins only)."""
    require_admin(current_user, _("Only an admin can read the audit log."))
    query = audit_query(current_user.account_id).order_by(AuditEntry.id.desc())
    entries = db.session.scalars(query.limit(AUDIT_PAGE_SIZE))
    return render_template("settings/audit.html", entries=entries, action_labels=ACTION_LABELS)
