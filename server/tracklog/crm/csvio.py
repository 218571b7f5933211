"""CSV export and import of contacts and companies, validated by the declared resources.

An import runs in one transaction with a savepoint per row: a row that fails validation (or
clashes with another record) is rolled back to its savepoint and reported as skipped with its
row number and reason, every other row is committed together at the end. A file that cannot be
read at all imports nothing. Contacts are matched by email and companies by domain: a match is
updated, anything else is created. Empty cells leave a value as it is (they never erase).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import IO, Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from tracklog.crm.fields import Field, to_json
from tracklog.crm.resources import Resource, field_errors
from tracklog.errors import DomainError, ValidationFailed
from tracklog.extensions import db
from tracklog.inputs import refuse_unstorable_text, stored_integer
from tracklog.models import User

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
EXPORT_BATCH = 500
MAX_IMPORT_BYTES = 5 * 1024 * 1024
MAX_IMPORT_ROWS = 20_000
IMPORTABLE = ("contacts", "companies")
MATCH_FIELD = {"contacts": "email", "companies": "domain"}
HEADER_ALIASES = {
    "e_mail": "email",
    "email_address": "email",
    "mail": "email",
    "firstname": "first_name",
    "given_name": "first_name",
    "lastname": "last_name",
    "surname": "last_name",
    "family_name": "last_name",
    "company": "name",
    "company_name": "name",
    "website": "domain",
    "owner": "owner_id",
    "timezone": "time_zone",
}
TRUE_WORDS = {"true", "yes", "1", "y"}
FALSE_WORDS = {"false", "no", "0", "n"}
FIELD_LABELS = {
    "email": _l("Email"),
    "first_name": _l("First name"),
    "last_name": _l("Last name"),
    "company_id": _l("Company"),
    "owner_id": _l("Owner"),
    "legal_basis": _l("Legal basis"),
    "marketing_status": _l("Marketing status"),
    "time_zone": _l("Time zone"),
    "source": _l("Source"),
    "name": _l("Name"),
    "domain": _l("Domain"),
    "pipeline_id": _l("Pipeline"),
    "stage_id": _l("Stage"),
    "amount": _l("Amount"),
    "close_date": _l("Close date"),
    "subject": _l("Subject"),
    "properties": _l("Custom properties"),
    "status": _l("Status"),
    "created_at": _l("Created"),
    "updated_at": _l("Updated"),
}


def safe_cell(value: Any) -> str:
    """A cell as text that spreadsheets will not run as a formula."""
    text = "" if value is None else str(to_json(value))
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def export_columns(resource: Resource) -> list[str]:
    """The columns of an export: the id and every readable declared field."""
    return ["id", *(spec.name for spec in resource.fields if spec.readable)]


def csv_text(columns: list[str] | tuple[str, ...], batches: Iterator[list]) -> Iterator[str]:
    """CSV text of a header and batches of rows, one chunk per batch; cells made safe."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(columns)
    for rows in batches:
        for row in rows:
            writer.writerow([safe_cell(value) for value in row])
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()


def export_csv(resource: Resource, account_id: int) -> Iterator[str]:
    """Every record of the account as CSV text, a batch at a time, oldest first."""
    columns = export_columns(resource)
    return csv_text(columns, _record_batches(resource, columns, account_id))


def _record_batches(resource: Resource, columns: list[str], account_id: int) -> Iterator[list]:
    """The account's records as rows of these columns, a batch at a time, oldest first."""
    model = resource.model
    selected = [getattr(model, name) for name in columns]
    last_id = 0
    while True:
        rows = db.session.execute(
            select(*selected)
            .where(model.account_id == account_id, model.id > last_id)
            .order_by(model.id)
            .limit(EXPORT_BATCH)
        ).all()
        yield rows
        if len(rows) < EXPORT_BATCH:
            return
        last_id = rows[-1].id


def text_value(spec: Field, raw: str) -> Any:
    """A typed-in or imported text as the JSON value the field's validation expects."""
    raw = raw.strip()
    if raw == "" and spec.nullable:
        return None
    number = stored_integer(raw, from_text=True)
    if spec.kind in ("integer", "reference") and number is not None:
        return number
    if spec.kind == "boolean":
        if raw.lower() in TRUE_WORDS:
            return True
        if raw.lower() in FALSE_WORDS:
            return False
    return raw


def _normalised(header: str) -> str:
    """A header as a field-like name: lower case, words joined by underscores."""
    return re.sub(r"[^0-9a-z]+", "_", header.strip().lower()).strip("_")


@dataclass
class ColumnMapping:
    """Which declared field a column of the file fills, or why it is ignored."""

    header: str
    field: str | None
    note: str = ""


def map_headers(resource: Resource, headers: list[str]) -> list[ColumnMapping]:
    """Match each header to a writable declared field by name, label or a common alias."""
    known = {spec.name: spec for spec in resource.fields}
    by_label = {_normalised(str(label)): name for name, label in FIELD_LABELS.items()}
    mapping, taken = [], set()
    for header in headers:
        key = _normalised(header)
        name = key if key in known else HEADER_ALIASES.get(key) or by_label.get(key)
        spec = known.get(name) if name else None
        if spec is None and key != "id":
            mapping.append(ColumnMapping(header, None, _("not a field; ignored")))
        elif spec is None or not spec.writable or spec.create_only or not spec.stored:
            mapping.append(ColumnMapping(header, None, _("read-only; ignored")))
        elif name in taken:
            mapping.append(ColumnMapping(header, None, _("another column fills this field")))
        else:
            taken.add(name)
            mapping.append(ColumnMapping(header, name))
    return mapping


@dataclass
class ImportResult:
    """What an import did: created and updated records, skipped rows with reasons."""

    columns: list[ColumnMapping] = field(default_factory=list)
    created: list[tuple[int, Any]] = field(default_factory=list)
    updated: list[tuple[int, Any]] = field(default_factory=list)
    skipped: list[tuple[int, str]] = field(default_factory=list)


def read_rows(upload: IO[bytes]) -> tuple[list[str], list[list[str]]]:
    """The header and the rows of an uploaded CSV (UTF-8, comma, semicolon or tab separated)."""
    data = upload.read(MAX_IMPORT_BYTES + 1)
    if len(data) > MAX_IMPORT_BYTES:
        raise ValidationFailed(
            _("The file is larger than %(size)d MB.", size=MAX_IMPORT_BYTES // (1024 * 1024))
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationFailed(_("Save the file as CSV in UTF-8 and upload it again.")) from None
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    rows = [row for row in csv.reader(io.StringIO(text), dialect) if any(c.strip() for c in row)]
    if not rows:
        raise ValidationFailed(_("The file is empty."))
    if len(rows) - 1 > MAX_IMPORT_ROWS:
        raise ValidationFailed(_("Import at most %(count)d rows at a time.", count=MAX_IMPORT_ROWS))
    return rows[0], rows[1:]


def _row_payload(resource: Resource, mapping: list[ColumnMapping], row: list[str]) -> dict:
    """The non-empty cells of a row as an API payload."""
    known = {spec.name: spec for spec in resource.fields}
    payload = {}
    for column, raw in zip(mapping, row, strict=False):
        if column.field and raw.strip():
            payload[column.field] = text_value(known[column.field], unescape_cell(raw))
    return payload


def unescape_cell(raw: str) -> str:
    """A cell without the apostrophe an export put before a formula-like value."""
    return raw[1:] if raw.startswith("'") and raw[1:].startswith(FORMULA_STARTS) else raw


def _find(resource: Resource, account_id: int, name: str, value: Any) -> Any:
    """The account's record whose matching field has this value, if any."""
    if not value:
        return None
    model = resource.model
    column = getattr(model, name)
    query = select(model).where(model.account_id == account_id, column == value)
    return db.session.scalars(query.order_by(model.id).limit(1)).first()


def _import_row(user: User, resource: Resource, payload: dict) -> tuple[str, Any]:
    """Create or update one record from a payload; ("created" | "updated", record)."""
    refuse_unstorable_text(payload)
    account_id = user.account_id
    model = resource.model
    match = MATCH_FIELD[resource.name]
    known = {spec.name: spec for spec in resource.fields}
    if match == "email":
        if "email" not in payload:
            raise ValidationFailed(
                _("Some fields are not valid."), details={"fields": {"email": _("is required")}}
            )
        try:
            existing = _find(resource, account_id, "email", known["email"].parse(payload["email"]))
        except ValueError as error:
            raise ValidationFailed(
                _("Some fields are not valid."), details={"fields": {"email": str(error)}}
            ) from None
    else:
        # The resource's own rules normalise the domain (lower case, no www.) before matching.
        probe = model(account_id=account_id)
        with db.session.no_autoflush:
            resource.apply(user, probe, payload, creating=True)
        existing = _find(resource, account_id, match, getattr(probe, match))
        if existing is None:
            db.session.add(probe)
            db.session.flush()
            return "created", probe
    record = existing or model(account_id=account_id)
    with db.session.no_autoflush:
        resource.apply(user, record, payload, creating=existing is None)
    if existing is None:
        db.session.add(record)
    db.session.flush()
    return ("updated" if existing else "created"), record


def skip_reason(error: DomainError) -> str:
    """A skipped row's reason: each field with its problem, else the message."""
    problems = field_errors(error)
    return "; ".join(f"{name}: {problem}" for name, problem in problems.items()) or error.message


def import_csv(user: User, resource: Resource, upload: IO[bytes]) -> ImportResult:
    """Import a CSV of contacts or companies into the user's account, acting as that user."""
    headers, rows = read_rows(upload)
    result = ImportResult(columns=map_headers(resource, headers))
    mapped = {column.field for column in result.columns if column.field}
    match = MATCH_FIELD[resource.name]
    if match == "email" and "email" not in mapped:
        raise ValidationFailed(_("The file needs an email column."))
    if match == "domain" and not {"name", "domain"} & mapped:
        raise ValidationFailed(_("The file needs a name or domain column."))
    for number, row in enumerate(rows, start=2):
        payload = _row_payload(resource, result.columns, row)
        try:
            with db.session.begin_nested():
                outcome, record = _import_row(user, resource, payload)
        except DomainError as error:
            result.skipped.append((number, skip_reason(error)))
            continue
        except IntegrityError:
            result.skipped.append((number, _("The change clashes with another record.")))
            continue
        target = result.created if outcome == "created" else result.updated
        target.append((number, record))
    db.session.commit()
    return result
