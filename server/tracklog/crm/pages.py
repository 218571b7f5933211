"""The CRM's record pages: lists, one record with its properties, associations and timeline."""

from __future__ import annotations

import math
import re
from datetime import datetime
from typing import Any

from flask import (
    Blueprint,
    Response,
    flash,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext, ngettext
from flask_login import current_user, login_required
from sqlalchemy import Select, func, or_, select

from tracklog.auth.accounts import account_users
from tracklog.crm import csvio
from tracklog.crm.activities import plain_text_html
from tracklog.crm.associations import RECORD_MODELS, record_label, record_labels
from tracklog.crm.deal_mail import MAIL_VIEWS, contact_mail_page, with_deal_facts
from tracklog.crm.fields import Field
from tracklog.crm.highlights import engagement_counts, record_highlights
from tracklog.crm.legalbasis import LEGAL_BASIS_LABELS, set_legal_basis
from tracklog.crm.paths import PLURALS, RECORD_ROUTE, SINGULARS
from tracklog.crm.people import contacts_by_email
from tracklog.crm.pipelines import account_pipelines
from tracklog.crm.records import record_choices
from tracklog.crm.registrations import registration_counts, with_registrations
from tracklog.crm.related import related_records
from tracklog.crm.replies import reply_links, team_addresses
from tracklog.crm.resources import RESOURCE_BY_NAME, Resource, field_errors
from tracklog.crm.timeline import (
    add_note,
    require_activity,
    saved_types,
    timeline_page,
)
from tracklog.errors import DomainError, NotFound, ValidationFailed
from tracklog.extensions import db
from tracklog.inputs import stored_integer
from tracklog.models import ACTIVITY_TYPES, Activity, Company, Contact, Deal, Stage
from tracklog.partners.notes import shared_timeline
from tracklog.tracking.pages import tracking_labels
from tracklog.tracking.untrack import untracked_html

record_pages = Blueprint("record_pages", __name__)

IMPORT_ROUTE = "<any(contacts,companies):plural>"
PAGE_SIZE = 25
TIMELINE_PAGE_SIZE = 20
TYPE_LABELS = {
    "contact": _l("Contact"),
    "company": _l("Company"),
    "deal": _l("Deal"),
    "ticket": _l("Ticket"),
}
PLURAL_LABELS = {
    "contacts": _l("Contacts"),
    "companies": _l("Companies"),
    "deals": _l("Deals"),
    "tickets": _l("Tickets"),
}
ACTIVITY_LABELS = {
    "email": lazy_pgettext("activity type", "Email"),
    "note": _l("Note"),
    "task": _l("Task"),
    "call": _l("Call"),
    "meeting": _l("Meeting"),
}
CHOICE_LABELS = {
    "marketing": _l("Marketing contact"),
    "non_marketing": _l("Non-marketing contact"),
    "open": _l("Open"),
    "won": _l("Won"),
    "lost": _l("Lost"),
    "closed": _l("Closed"),
}
FIELD_LABELS = csvio.FIELD_LABELS
SORTS = {
    "contacts": {
        "name": (Contact.last_name, Contact.first_name),
        "email": (Contact.email,),
        "created": (Contact.created_at,),
        "updated": (Contact.updated_at,),
    },
    "companies": {
        "name": (Company.name,),
        "domain": (Company.domain,),
        "created": (Company.created_at,),
        "updated": (Company.updated_at,),
    },
    "deals": {
        "name": (Deal.name,),
        "amount": (Deal.amount,),
        "close_date": (Deal.close_date,),
        "created": (Deal.created_at,),
        "updated": (Deal.updated_at,),
    },
    "tickets": {
        "subject": (RECORD_MODELS["ticket"].subject,),
        "created": (RECORD_MODELS["ticket"].created_at,),
        "updated": (RECORD_MODELS["ticket"].updated_at,),
    },
}
TEXT_SORTS = {"name", "email", "domain", "subject"}


def resource_for(plural: str) -> Resource:
    """The declared resource behind a list URL."""
    return RESOURCE_BY_NAME[plural]


def int_arg(name: str) -> int | None:
    """A whole-number query argument, or None."""
    return stored_integer(request.args.get(name, ""), from_text=True)


def filtered_query(resource: Resource, args: dict[str, str]) -> Select:
    """The account's records of a list, searched and filtered by the list's arguments."""
    model = resource.model
    query = resource.scoped(current_user)
    if args.get("q", "").strip():
        query = resource.search(query, args["q"])
    numbers = {key: stored_integer(value, from_text=True) for key, value in args.items()}
    number = {key: value for key, value in numbers.items() if value is not None}
    if "owner" in number:
        query = query.where(model.owner_id == number["owner"])
    if resource.name == "contacts":
        if "company" in number:
            query = query.where(model.company_id == number["company"])
        if args.get("legal_basis") == "yes":
            query = query.where(model.legal_basis.is_not(None), model.legal_basis != "")
        elif args.get("legal_basis") == "no":
            query = query.where(or_(model.legal_basis.is_(None), model.legal_basis == ""))
    if resource.name == "companies" and "registrations" in number:
        query = with_registrations(query, number["registrations"])
    if resource.name in ("deals", "tickets"):
        if "pipeline" in number:
            query = query.where(model.pipeline_id == number["pipeline"])
        if "stage" in number:
            query = query.where(model.stage_id == number["stage"])
        status = args.get("status")
        kind = Stage.kind
        if resource.name == "deals" and status in ("open", "won", "lost"):
            query = query.join(Stage, Stage.id == model.stage_id).where(kind == status)
        elif resource.name == "tickets" and status in ("open", "closed"):
            wanted = kind == "open" if status == "open" else kind != "open"
            query = query.join(Stage, Stage.id == model.stage_id).where(wanted)
    return query


def sorted_query(resource: Resource, query: Select, sort: str, direction: str) -> Select:
    """The query ordered by a list column, empty values last, newest id breaking ties."""
    columns = SORTS[resource.name][sort]
    order = []
    for column in columns:
        value = func.lower(column) if sort in TEXT_SORTS else column
        value = value.desc() if direction == "desc" else value.asc()
        order.append(value.nulls_last())
    order.append(resource.model.id.desc() if direction == "desc" else resource.model.id.asc())
    return query.order_by(*order)


def list_url(plural: str, args: dict[str, str], **changes: Any) -> str:
    """This list's URL with some arguments changed (None removes one)."""
    merged = {k: v for k, v in {**args, **changes}.items() if v not in (None, "")}
    return url_for("record_pages.list_page", plural=plural, **merged)


@record_pages.get(f"/{RECORD_ROUTE}")
@login_required
def list_page(plural: str) -> str:
    """A searchable, filterable, sortable list of one record type, a page at a time."""
    resource = resource_for(plural)
    args = {key: value for key, value in request.args.items() if key != "page"}
    sort = args.get("sort") if args.get("sort") in SORTS[plural] else "updated"
    direction = "asc" if args.get("dir") == "asc" else "desc"
    query = filtered_query(resource, args)
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    pages = max(1, math.ceil(total / PAGE_SIZE))
    page = min(max(int_arg("page") or 1, 1), pages)
    rows = db.session.scalars(
        sorted_query(resource, query, sort, direction)
        .limit(PAGE_SIZE)
        .offset((page - 1) * PAGE_SIZE)
    ).all()
    object_type = SINGULARS[plural]
    return render_template(
        "crm/records_list.html",
        plural=plural,
        object_type=object_type,
        rows=rows,
        args=args,
        sort=sort,
        direction=direction,
        page=page,
        pages=pages,
        total=total,
        users={user.id: user for user in account_users(current_user.account_id)},
        companies=record_choices(Company, current_user.account_id) if plural == "contacts" else [],
        pipelines=(
            account_pipelines(current_user.account_id, object_type)
            if plural in ("deals", "tickets")
            else []
        ),
        list_url=lambda **changes: list_url(plural, args, **changes),
        legal_bases=current_user.account.legal_bases if plural == "contacts" else [],
        legal_basis_labels=LEGAL_BASIS_LABELS,
        registrations=registration_counts(rows) if plural == "companies" else {},
    )


@record_pages.post("/contacts/legal-basis")
@login_required
def bulk_legal_basis() -> Response:
    """The contacts list's action: the chosen legal basis (or none) on the selected contacts."""
    chosen = request.form.get("legal_basis", "")
    ids = [stored_integer(value, from_text=True) for value in request.form.getlist("ids")]
    try:
        if not chosen:
            raise ValidationFailed(_("Choose a legal basis, or none."))
        count = set_legal_basis(current_user, ids, None if chosen == "none" else chosen)
    except DomainError as error:
        flash(error.message, "error")
    else:
        flash(
            ngettext(
                "Legal basis set on %(num)d contact.", "Legal basis set on %(num)d contacts.", count
            ),
            "success",
        )
    return redirect(url_for("record_pages.list_page", plural="contacts"))


def form_fields(resource: Resource) -> list[Field]:
    """The declared fields a person edits in a form (custom properties have their own inputs)."""
    return [
        spec
        for spec in resource.fields
        if spec.writable
        and spec.stored
        and not spec.create_only
        and spec.name != "properties"
        and spec.readable
    ]


def form_value(record: Any, spec: Field) -> str:
    """A record's value of a field as a form shows it."""
    value = getattr(record, spec.name, None)
    if value is None:
        return ""
    if spec.kind == "boolean":
        return "on" if value else ""
    return str(value)


def form_payload(resource: Resource, record: Any | None, form: Any) -> dict[str, Any]:
    """The API payload of a submitted form: for an existing record only what changed."""
    payload: dict[str, Any] = {}
    for spec in form_fields(resource):
        raw = form.get(spec.name)
        if raw is None and spec.kind != "boolean":
            continue
        raw = "on" if spec.kind == "boolean" and raw is not None else (raw or "")
        if record is not None and raw.strip() == form_value(record, spec):
            continue
        if record is None and raw.strip() == "":
            continue
        payload[spec.name] = csvio.text_value(spec, raw)
    if resource.name == "deals":
        properties = posted_properties(form)
        current = (record.properties or {}) if record is not None else {}
        changed = {k: v for k, v in properties.items() if current.get(k, "") != v}
        if changed:
            payload["properties"] = changed
    return payload


def posted_properties(form: Any) -> dict[str, str]:
    """Custom deal properties from inputs named properties.<name> and the new-property pair."""
    properties = {
        key.removeprefix("properties."): value.strip()
        for key, value in form.items()
        if key.startswith("properties.") and key != "properties."
    }
    name = re.sub(r"\s+", "_", form.get("new_property_name", "").strip())
    if name:
        properties[name] = form.get("new_property_value", "").strip()
    return properties


def form_options(resource: Resource) -> dict[str, Any]:
    """What the selects of a form offer: users, pipelines with their stages."""
    options: dict[str, Any] = {"users": account_users(current_user.account_id)}
    if resource.name in ("deals", "tickets"):
        options["pipelines"] = account_pipelines(current_user.account_id, resource.singular)
    return options


@record_pages.route(f"/{RECORD_ROUTE}/new", methods=["GET", "POST"])
@login_required
def new_record(plural: str) -> Response | tuple[str, int] | str:
    """A form creating a record; deals and tickets may come from a contact or company."""
    resource = resource_for(plural)
    errors: dict[str, str] = {}
    message = ""
    values = dict(request.form) if request.method == "POST" else dict(request.args)
    if request.method == "POST":
        payload = form_payload(resource, None, request.form)
        source = created_from(request.form)
        if source and plural in ("deals", "tickets"):
            payload["from"] = source
            days = request.form.get("bring_activities_days", "").strip() or "30"
            number = stored_integer(days, from_text=True)
            payload["bring_activities_days"] = days if number is None else number
        try:
            record = resource.create(current_user, payload)
        except DomainError as error:
            errors, message = field_errors(error), error.message
        else:
            flash(_("%(type)s created.", type=TYPE_LABELS[resource.singular]), "success")
            return redirect(url_for("record_pages.record_page", plural=plural, record_id=record.id))
    html = render_template(
        "crm/record_new.html",
        plural=plural,
        object_type=resource.singular,
        fields=form_fields(resource),
        values=values,
        errors=errors,
        message=message,
        source=created_from(values),
        **form_options(resource),
    )
    return (html, 422) if errors or message else html


def created_from(form: Any) -> dict[str, Any] | None:
    """The contact or company a new deal or ticket is created from, if the form says."""
    source_type, source_id = form.get("from_type"), str(form.get("from_id", ""))
    source = stored_integer(source_id, from_text=True)
    if source_type in ("contact", "company") and source is not None:
        return {"type": source_type, "id": source}
    return None


@record_pages.get(f"/{RECORD_ROUTE}/<int:record_id>")
@login_required
def record_page(plural: str, record_id: int) -> str:
    """One record: its properties, associated records and timeline."""
    resource = resource_for(plural)
    return render_record(resource, resource.get(current_user, record_id))


@record_pages.post(f"/{RECORD_ROUTE}/<int:record_id>")
@login_required
def update_record(plural: str, record_id: int) -> Response | tuple[str, int]:
    """Save the properties form; invalid fields come back with their problems."""
    resource = resource_for(plural)
    record = resource.get(current_user, record_id)
    payload = form_payload(resource, record, request.form)
    if not payload:
        flash(_("Nothing changed."), "info")
        return redirect(url_for("record_pages.record_page", plural=plural, record_id=record_id))
    try:
        resource.update(current_user, record_id, payload)
    except DomainError as error:
        record = resource.get(current_user, record_id)
        return render_record(
            resource, record, dict(request.form), field_errors(error), error.message
        ), 422
    flash(_("Saved."), "success")
    return redirect(url_for("record_pages.record_page", plural=plural, record_id=record_id))


def render_record(
    resource: Resource,
    record: Any,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    message: str = "",
    **panels: Any,
) -> str:
    """The record page, with posted values and their errors when a save failed; panels are what
    a feature's card on the page shows instead of its defaults (a refused form, kept as sent)."""
    object_type = resource.singular
    fields = form_fields(resource)
    shown = {spec.name: form_value(record, spec) for spec in fields}
    properties = dict(getattr(record, "properties", None) or {})
    if values is not None:
        shown.update({k: v for k, v in values.items() if k in shown})
        properties.update(posted_properties(values))
    errors = errors or {}
    declared = {spec.name for spec in resource.fields}
    for name in errors:
        if resource.name == "deals" and name not in declared:
            properties.setdefault(name, "")
    return render_template(
        "crm/record_page.html",
        plural=resource.name,
        object_type=object_type,
        record=record,
        title=record_label(record),
        fields=fields,
        values=shown,
        properties=properties,
        errors=errors,
        message=message,
        related=related_records(current_user, object_type, record.id),
        highlights=record_highlights(object_type, record),
        timeline=timeline_context(object_type, record.id),
        filter_types=saved_types(current_user, object_type),
        script_labels=script_labels(),
        **form_options(resource),
        **panels,
    )


def _parse_time(value: str | None) -> datetime | None:
    """An ISO timestamp from the timeline contract as a datetime."""
    return datetime.fromisoformat(value.replace("Z", "+00:00")) if value else None


def threads(account_id: int, keys: set[str]) -> dict[str, list[Activity]]:
    """The activities of several threads, newest first."""
    if not keys:
        return {}
    query = (
        select(Activity)
        .where(Activity.account_id == account_id, Activity.thread_key.in_(keys))
        .order_by(Activity.occurred_at.desc(), Activity.id.desc())
    )
    grouped: dict[str, list[Activity]] = {key: [] for key in keys}
    for activity in db.session.scalars(query):
        grouped[activity.thread_key].append(activity)
    return grouped


def decorate(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Timeline items with what their cards show: times, record names, thread and replies."""
    account_id = current_user.account_id
    pairs = {(link["type"], link["id"]) for item in items for link in item["associations"]}
    labels = record_labels(account_id, pairs)
    grouped = threads(account_id, {i["thread_key"] for i in items if i["thread_key"]})
    team = team_addresses(account_id)
    addresses = [a for i in items for a in [i["sender"], *(i["recipients"] or [])] if a]
    people = contacts_by_email(account_id, addresses)
    tracked = {item["message_id"] for item in items if item.get("message_id")}
    engagement = engagement_counts(account_id, tracked)
    for item in items:
        item["engagement"] = engagement.get(item.get("message_id") or "")
        item["when"] = _parse_time(item["occurred_at"])
        item["people"] = people
        for link in item["associations"]:
            link["label"] = labels.get((link["type"], link["id"]), "")
            link["url"] = url_for(
                "record_pages.record_page", plural=PLURALS[link["type"]], record_id=link["id"]
            )
        thread = grouped.get(item["thread_key"]) or []
        item["thread_size"] = len(thread)
        item["replies"] = reply_links(item, thread, team) if item["type"] == "email" else {}
    return items


def timeline_context(record_type: str, record_id: int) -> dict[str, Any]:
    """One page of a record's timeline with the user's saved filter for this record type; on a
    deal, ?mail=deal shows its mail, ?mail=contacts the mail of its contacts and ?mail=shared
    only what it shares with a partner."""
    cursor, mail = request.args.get("cursor"), request.args.get("mail")
    mail = mail if record_type == "deal" and mail in (*MAIL_VIEWS, "shared") else None
    types = ["email"] if mail else saved_types(current_user, record_type)
    if mail == "shared":
        page = {"items": shared_tab_items(record_id), "next_cursor": None}
    elif mail == "contacts":
        page = contact_mail_page(current_user, record_id, cursor, TIMELINE_PAGE_SIZE)
    else:
        page = timeline_page(
            current_user, record_type, record_id, types, cursor, TIMELINE_PAGE_SIZE
        )
        if record_type == "deal":
            page["items"] = with_deal_facts(current_user.account_id, record_id, page["items"])
    return {
        "items": page["items"] if mail == "shared" else decorate(page["items"]),
        "next_cursor": page["next_cursor"],
        "types": types,
        "record_type": record_type,
        "record_id": record_id,
        "mail": mail,
    }


def shared_tab_items(deal_id: int) -> list[dict[str, Any]]:
    """The Shared tab of a deal: its shared notes as cards and its change log, newest first."""
    items = shared_timeline(current_user, deal_id)["items"]
    decorate([item["note"] for item in items if item["kind"] == "note"])
    return [item["note"] if item["kind"] == "note" else item for item in items]


@record_pages.get(f"/{RECORD_ROUTE}/<int:record_id>/timeline")
@login_required
def timeline_items(plural: str, record_id: int) -> str:
    """The cards of one timeline page, for the page's script to insert."""
    timeline = timeline_context(SINGULARS[plural], record_id)
    return render_template("crm/_timeline_items.html", timeline=timeline, plural=plural)


@record_pages.post(f"/{RECORD_ROUTE}/<int:record_id>/notes")
@login_required
def post_note(plural: str, record_id: int) -> Response:
    """Add a note typed as plain text (line breaks kept) to the record's timeline."""
    text = request.form.get("body", "")
    html = plain_text_html(text)
    try:
        add_note(current_user, SINGULARS[plural], record_id, html if text.strip() else "")
    except ValidationFailed as error:
        flash(error.message, "error")
    else:
        flash(_("Note added."), "success")
    return redirect(
        url_for("record_pages.record_page", plural=plural, record_id=record_id) + "#timeline"
    )


@record_pages.get("/activities/<int:activity_id>/thread")
@login_required
def activity_thread(activity_id: int) -> str:
    """Every activity of the mail's thread, newest first."""
    activity = require_activity(current_user, activity_id)
    if not activity.thread_key:
        raise NotFound(_("This activity is not part of a thread."))
    thread = threads(current_user.account_id, {activity.thread_key})[activity.thread_key]
    bodies = {item.id: untracked_html(item.body_html, item.account_id) for item in thread}
    people = contacts_by_email(current_user.account_id, [a.sender for a in thread if a.sender])
    return render_template(
        "crm/_timeline_thread.html",
        thread=thread,
        bodies=bodies,
        current=activity.id,
        people=people,
    )


@record_pages.get(f"/{IMPORT_ROUTE}/export.csv")
@login_required
def export(plural: str) -> Response:
    """Every contact or company of the account as CSV, streamed."""
    rows = csvio.export_csv(resource_for(plural), current_user.account_id)
    response = Response(stream_with_context(rows), mimetype="text/csv")
    response.headers["Content-Disposition"] = f"attachment; filename={plural}.csv"
    return response


@record_pages.route(f"/{IMPORT_ROUTE}/import", methods=["GET", "POST"])
@login_required
def import_page(plural: str) -> tuple[str, int] | str:
    """Upload a CSV of contacts or companies; the result lists created, updated and skipped."""
    resource = resource_for(plural)
    fields = form_fields(resource)
    if request.method == "GET":
        return render_template("crm/csv_import.html", plural=plural, fields=fields)
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        error = _("Choose a CSV file to upload.")
        return render_template(
            "crm/csv_import.html", plural=plural, fields=fields, error=error
        ), 422
    try:
        result = csvio.import_csv(current_user, resource, upload.stream)
    except ValidationFailed as failure:
        db.session.rollback()
        return render_template(
            "crm/csv_import.html", plural=plural, fields=fields, error=failure.message
        ), 422
    return render_template("crm/csv_result.html", plural=plural, result=result)


def script_labels() -> dict[str, Any]:
    """The sentences the record and timeline scripts show, in the reader's language."""
    tracking = tracking_labels()
    return {
        "types": {key: str(label) for key, label in TYPE_LABELS.items()},
        "kinds": {key: str(label) for key, label in tracking["kind_labels"].items()},
        "classifications": {
            key: str(label) for key, label in tracking["classification_labels"].items()
        },
        "noResults": _("No matching records."),
        "searching": _("Searching…"),
        "remove": _("Remove"),
        "removeNamed": _("Remove %(name)s", name="{name}"),
        "none": _("None yet."),
        "pin": _("Pin"),
        "unpin": _("Unpin"),
        "pinned": _("Pinned to the top of this timeline."),
        "unpinned": _("Unpinned."),
        "replacePinTitle": _("Another activity is pinned"),
        "replacePinText": _(
            "Only one activity can be pinned to a record, for everyone. "
            "Unpin the other one and pin this one instead?"
        ),
        "replacePinConfirm": _("Unpin the other and pin this"),
        "deleteTitle": _("Delete this activity?"),
        "deleteText": _(
            "It disappears from every record's timeline, for everyone. This cannot be undone."
        ),
        "deleteConfirm": _("Delete"),
        "deleted": _("Activity deleted."),
        "cancel": _("Cancel"),
        "saved": _("Saved."),
        "loading": _("Loading…"),
        "failed": _("That did not work: %(reason)s", reason="{reason}"),
        "noHistory": _("No open seen yet."),
        "historyHidden": _("Only the sender and admins can see this mail's history."),
        "when": _("When"),
        "what": _("What"),
        "who": _("Who"),
        "where": _("Where"),
        "countedAs": _("Counted as"),
        "why": _("Why"),
        "someone": _("someone"),
        "unknown": _("unknown"),
        "repeat": _("repeat, counted once"),
        "filterSaved": _("Filter saved for every %(type)s timeline.", type="{type}"),
        "associationsSaved": _("The activity's records were changed."),
        "notOnThisRecord": _("This activity is no longer on this record's timeline."),
    }


@record_pages.app_context_processor
def record_labels_for_templates() -> dict[str, Any]:
    """Translated names of record types, activity types, fields and choices for templates."""
    return {
        "record_type_labels": TYPE_LABELS,
        "record_list_labels": PLURAL_LABELS,
        "activity_labels": ACTIVITY_LABELS,
        "field_labels": FIELD_LABELS,
        "choice_labels": CHOICE_LABELS,
        "record_plurals": PLURALS,
        "activity_types": ACTIVITY_TYPES,
    }
