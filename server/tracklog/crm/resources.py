"""The kinds of record: which fields each has and the rules around saving them.

Every road in (the API, the record pages, the CSV import) saves through these declarations,
acting as a user it passes in.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import Select, or_, select

from tracklog.auth.accounts import (
    audit_role_and_activation,
    check_address_unused,
    end_sign_ins_if_deactivated,
    set_password,
)
from tracklog.crm.deals import check_stage_entry, create_stage_tasks
from tracklog.crm.fields import Field, to_json
from tracklog.crm.legalbasis import require_offered_basis
from tracklog.crm.pipelines import stage_label
from tracklog.crm.records import (
    bring_in_from,
    commit_or_conflict,
    delete_record_links,
    place_in_pipeline,
    records_in_stages,
)
from tracklog.crm.registrations import active_deal_registrations, with_registrations
from tracklog.errors import Conflict, DomainError, Forbidden, NotFound, ValidationFailed
from tracklog.extensions import db
from tracklog.inputs import INTEGER_MAX, stored_integer
from tracklog.models import (
    ROLES,
    Company,
    Contact,
    Deal,
    Pipeline,
    Stage,
    Ticket,
    User,
)
from tracklog.models.contact import MARKETING_STATUSES
from tracklog.models.pipeline import PIPELINE_OBJECTS, STAGE_KINDS
from tracklog.notify.feed import close_sockets_of

REFERENCED_MODELS = {"company": Company, "user": User, "pipeline": Pipeline, "stage": Stage}
OWNER = Field("owner_id", "reference", nullable=True, references="user")
IN_A_PIPELINE = (
    Field("pipeline_id", "reference", references="pipeline"),
    Field("stage_id", "reference", references="stage"),
)
READ_ONLY_TIMESTAMPS = (
    Field("created_at", "datetime", writable=False),
    Field("updated_at", "datetime", writable=False),
)

# Day counts (a stage task's due date, how far back a new deal's activities come): ten years.
MAX_DAYS = 3650
Hook = Callable[[User, Any, dict[str, Any], bool], None]
CREATED_FROM_FIELDS = (
    Field("from", "object", readable=False, stored=False, create_only=True),
    Field(
        "bring_activities_days",
        "integer",
        readable=False,
        stored=False,
        create_only=True,
        minimum=0,
        maximum=MAX_DAYS,
    ),
)


@dataclass
class Resource:
    """A kind of record that users list, read, create, update and delete."""

    name: str
    singular: str
    model: type
    fields: tuple[Field, ...]
    search_columns: tuple[str, ...]
    admin_writes: bool = False
    before_save: Hook | None = None
    after_save: Hook | None = None
    extra_json: Callable[[Any], dict[str, Any]] = field(default=lambda record: {})
    before_delete: Callable[[User, Any], None] | None = None
    list_filter: Callable[[Select, Mapping[str, str]], Select] | None = None

    def scoped(self, user: User) -> Select:
        """Every row of this kind in the user's account."""
        return select(self.model).where(self.model.account_id == user.account_id)

    def search(self, query: Select, text: str) -> Select:
        """Rows whose searchable columns contain the text, ignoring case."""
        pattern = f"%{text.strip().lower()}%"
        columns = [getattr(self.model, name) for name in self.search_columns]
        return query.where(or_(*(column.ilike(pattern) for column in columns)))

    def get(self, user: User, record_id: int) -> Any:
        """One row of the user's account, or NotFound (also for other accounts' rows)."""
        record = db.session.scalar(self.scoped(user).where(self.model.id == record_id))
        if record is None:
            raise NotFound(
                _("There is no %(type)s with id %(id)s.", type=self.singular, id=record_id),
                details={"type": self.singular, "id": record_id},
            )
        return record

    def to_json(self, record: Any) -> dict[str, Any]:
        """The record as JSON: the API's answer, the shape the OpenAPI document declares."""
        body = {"id": record.id}
        body.update({f.name: to_json(getattr(record, f.name)) for f in self.fields if f.readable})
        body.update(self.extra_json(record))
        return body

    def check_write_allowed(self, user: User) -> None:
        """Only admins change users and pipelines."""
        if self.admin_writes and not user.is_admin:
            raise Forbidden(_("Only an admin of the account can change %(name)s.", name=self.name))

    def apply(self, user: User, record: Any, payload: Any, creating: bool) -> dict[str, Any]:
        """Validate the payload field by field, copy it onto the record; the parsed values."""
        if not isinstance(payload, dict):
            raise ValidationFailed(_("Send a JSON object."), details={"fields": {}})
        errors: dict[str, str] = {}
        values: dict[str, Any] = {}
        known = {f.name: f for f in self.fields}
        for name in payload:
            if name not in known and name != "id":
                errors[name] = _("unknown field")
        for spec in self.fields:
            if not spec.writable:
                continue
            if spec.name not in payload:
                if creating and spec.required:
                    errors[spec.name] = _("is required")
                continue
            if spec.create_only and not creating:
                errors[spec.name] = _("cannot be changed after creation")
                continue
            try:
                value = spec.parse(payload[spec.name])
                self._check_reference(user, spec, value)
            except ValueError as error:
                errors[spec.name] = str(error)
                continue
            values[spec.name] = value
            if spec.stored:
                setattr(record, spec.name, value)
        if errors:
            raise ValidationFailed(_("Some fields are not valid."), details={"fields": errors})
        if self.before_save:
            self.before_save(user, record, values, creating)
        return values

    @staticmethod
    def _check_reference(user: User, spec: Field, value: Any) -> None:
        """A referenced record must exist in the user's account."""
        if spec.references is None or value is None:
            return
        model = REFERENCED_MODELS[spec.references]
        query = select(model.id).where(model.id == value, model.account_id == user.account_id)
        if db.session.scalar(query) is None:
            raise ValueError(_("no %(type)s with id %(id)s", type=spec.references, id=value))

    def create(self, user: User, payload: Any) -> Any:
        """A new record in the user's account, validated and saved with this kind's rules."""
        self.check_write_allowed(user)
        record = self.model(account_id=user.account_id)
        self._save(user, record, payload, creating=True)
        return record

    def update(self, user: User, record_id: int, payload: Any) -> Any:
        """Change some fields of a record, validated and saved with this kind's rules."""
        self.check_write_allowed(user)
        record = self.get(user, record_id)
        self._save(user, record, payload, creating=False)
        return record

    def delete(self, user: User, record_id: int) -> None:
        """Delete a record after this kind's checks (and with its links)."""
        self.check_write_allowed(user)
        record = self.get(user, record_id)
        if self.before_delete:
            self.before_delete(user, record)
        db.session.delete(record)
        commit_or_conflict()

    def _save(self, user: User, record: Any, payload: Any, creating: bool) -> None:
        """Apply the payload and commit; a failure leaves the session as it was."""
        try:
            with db.session.no_autoflush:
                values = self.apply(user, record, payload, creating)
            if creating:
                db.session.add(record)
            after = self.after_save
            commit_or_conflict(after and (lambda: after(user, record, values, creating)))
        except DomainError:
            db.session.rollback()
            raise


def field_errors(error: DomainError) -> dict[str, str]:
    """Each field's problem from a domain error's details (what apply() reports)."""
    fields = error.details.get("fields") if isinstance(error.details, dict) else None
    return {str(k): str(v) for k, v in fields.items()} if isinstance(fields, dict) else {}


def _save_contact(user: User, contact: Contact, values: dict[str, Any], creating: bool) -> None:
    """A contact's legal basis is one the account offers; one contact per address."""
    require_offered_basis(user.account, contact.legal_basis)
    query = select(Contact.id).where(
        Contact.account_id == contact.account_id, Contact.email == contact.email
    )
    if contact.id is not None:
        query = query.where(Contact.id != contact.id)
    if db.session.scalar(query) is not None:
        raise Conflict(
            _("A contact with the address %(email)s already exists.", email=contact.email),
            details={"fields": {"email": _("already used by another contact")}},
        )


def _lower_domain(user: User, company: Company, values: dict[str, Any], creating: bool) -> None:
    """Domains are stored lower-case without a leading www."""
    if company.domain:
        company.domain = company.domain.lower().removeprefix("www.")


def _companies_filtered(query: Select, args: Mapping[str, str]) -> Select:
    """?min_active_deal_registrations=N: companies with at least N open shared deals."""
    raw = args.get("min_active_deal_registrations", "").strip()
    if not raw:
        return query
    at_least = stored_integer(raw, from_text=True)
    if at_least is None or at_least < 0:
        reason = _("must be a whole number from %(min)d to %(max)d", min=0, max=INTEGER_MAX)
        raise ValidationFailed(
            _("Some fields are not valid."),
            details={"fields": {"min_active_deal_registrations": reason}},
        )
    return with_registrations(query, at_least)


def _place_deal(user: User, deal: Deal, values: dict[str, Any], creating: bool) -> None:
    """A deal sits in a stage of a deal pipeline, with the properties that stage requires."""
    place_in_pipeline(deal, "deal")
    if "properties" in values:
        deal.properties = {**(deal.properties or {}), **values["properties"]}
    values["entered_stage"] = check_stage_entry(deal)


def _link_created_from(
    user: User, record: Deal | Ticket, values: dict[str, Any], creating: bool
) -> None:
    """Link a new deal or ticket to the record it was created from, with its recent activities."""
    if creating and values.get("from"):
        record_type = "deal" if isinstance(record, Deal) else "ticket"
        bring_in_from(
            user, record, record_type, values["from"], values.get("bring_activities_days")
        )


def _deal_entered_stage(user: User, deal: Deal, values: dict[str, Any], creating: bool) -> None:
    """Create the tasks of the stage the deal entered; link the record it was created from."""
    if values.get("entered_stage"):
        create_stage_tasks(deal, user)
    _link_created_from(user, deal, values, creating)


def _place_ticket(user: User, ticket: Ticket, values: dict[str, Any], creating: bool) -> None:
    """A ticket sits in a stage of a ticket pipeline."""
    place_in_pipeline(ticket, "ticket")


def _save_user(admin: User, user: User, values: dict[str, Any], creating: bool) -> None:
    """One address is one user's; hash a given password; audit role and activation changes; a
    deactivated user is signed out everywhere and their open sockets close."""
    check_address_unused(user)
    if "password" in values:
        set_password(user, values["password"])
    if not creating and audit_role_and_activation(admin, user):
        close_sockets_of(user, _("Your user was deactivated."))
    end_sign_ins_if_deactivated(user)


def _refuse_self_delete(admin: User, user: User) -> None:
    """An admin cannot delete their own user."""
    if user.id == admin.id:
        raise Conflict(_("You cannot delete yourself."), code="cannot_delete_self")


def _stage_json(stage: Stage) -> dict[str, Any]:
    """A stage as shown inside its pipeline."""
    return {
        "id": stage.id,
        "name": stage.name,
        "label": stage_label(stage.name),
        "order": stage.order,
        "probability": stage.probability,
        "kind": stage.kind,
        "required_properties": stage.required_properties,
        "tasks": stage.tasks or [],
    }


STAGE_FIELDS = (
    Field("name", required=True, max_length=200),
    Field("probability", "integer"),
    Field("kind", choices=STAGE_KINDS),
    Field("required_properties", "list"),
    Field("tasks", "list"),
)


def _parse_stage(raw: Any, index: int) -> dict[str, Any]:
    """One stage of a pipeline payload, validated."""
    if not isinstance(raw, dict):
        raise ValidationFailed(
            _("Each stage must be an object."), details={"fields": {f"stages[{index}]": "object"}}
        )
    parsed: dict[str, Any] = {"id": raw.get("id")}
    for spec in STAGE_FIELDS:
        if spec.name in raw:
            try:
                parsed[spec.name] = spec.parse(raw[spec.name])
            except ValueError as error:
                raise ValidationFailed(
                    _("A stage is not valid."),
                    details={"fields": {f"stages[{index}].{spec.name}": str(error)}},
                ) from None
        elif spec.required and parsed["id"] is None:
            raise ValidationFailed(
                _("A stage is not valid."),
                details={"fields": {f"stages[{index}].{spec.name}": _("is required")}},
            )
    if not 0 <= parsed.get("probability", 0) <= 100:
        raise ValidationFailed(
            _("A probability is a percentage from 0 to 100."),
            details={"fields": {f"stages[{index}].probability": _("must be 0 to 100")}},
        )
    if any(not isinstance(name, str) or not name for name in parsed.get("required_properties", [])):
        raise ValidationFailed(
            _("Required properties are names."),
            details={"fields": {f"stages[{index}].required_properties": _("must be names")}},
        )
    for number, task in enumerate(parsed.get("tasks", [])):
        days = task.get("due_in_days") if isinstance(task, dict) else None
        valid = (
            isinstance(task, dict)
            and isinstance(task.get("title"), str)
            and 0 < len(task["title"].strip()) <= 300
            and (days is None or (type(days) is int and 0 <= days <= MAX_DAYS))
        )
        if not valid:
            raise ValidationFailed(
                _(
                    "A stage task needs a title and a number of days from 0 to %(max)d.",
                    max=MAX_DAYS,
                ),
                details={"fields": {f"stages[{index}].tasks[{number}]": _("not a valid task")}},
            )
    if "tasks" in parsed:
        parsed["tasks"] = [
            {"title": task["title"].strip(), "due_in_days": task.get("due_in_days")}
            for task in parsed["tasks"]
        ]
    return parsed


def _save_stages(user: User, pipeline: Pipeline, values: dict[str, Any], creating: bool) -> None:
    """Replace the pipeline's stages with the given list: keep, rename, reorder, add, remove."""
    if "stages" not in values:
        if creating:
            raise ValidationFailed(
                _("A pipeline needs at least one stage."),
                details={"fields": {"stages": _("is required")}},
            )
        return
    wanted = [_parse_stage(raw, index) for index, raw in enumerate(values["stages"])]
    if not wanted:
        raise ValidationFailed(
            _("A pipeline needs at least one stage."),
            details={"fields": {"stages": _("must not be empty")}},
        )
    existing = {stage.id: stage for stage in pipeline.stages}
    kept_ids = {item["id"] for item in wanted if item["id"] is not None}
    unknown = kept_ids - existing.keys()
    if unknown:
        raise ValidationFailed(
            _("Some stages do not belong to this pipeline."),
            details={"fields": {"stages": sorted(unknown)}},
        )
    removed = [stage_id for stage_id in existing if stage_id not in kept_ids]
    in_use = records_in_stages(pipeline.account_id, removed)
    if in_use:
        raise Conflict(
            _("Move the %(count)d records out of the stages you remove first.", count=in_use),
            code="stage_in_use",
            details={"stage_ids": removed, "records": in_use},
        )
    stages = []
    for order, item in enumerate(wanted):
        stage = existing.get(item["id"]) or Stage(account_id=pipeline.account_id)
        for name in ("name", "probability", "kind", "required_properties", "tasks"):
            if name in item:
                setattr(stage, name, item[name])
        stage.order = order
        stages.append(stage)
    pipeline.stages = stages


def _refuse_pipeline_in_use(user: User, pipeline: Pipeline) -> None:
    """A pipeline with deals or tickets in it cannot be deleted."""
    count = records_in_stages(pipeline.account_id, [stage.id for stage in pipeline.stages])
    if count:
        raise Conflict(
            _("Move the %(count)d records out of this pipeline first.", count=count),
            code="pipeline_in_use",
            details={"records": count},
        )


def _unlink(record_type: str) -> Callable[[User, Any], None]:
    """A before_delete hook removing the record's associations and pin."""

    def unlink(user: User, record: Any) -> None:
        """Remove the record's links."""
        delete_record_links(record.account_id, record_type, record.id)

    return unlink


RESOURCES = (
    Resource(
        name="contacts",
        singular="contact",
        model=Contact,
        fields=(
            Field("email", "email", required=True),
            Field("first_name", max_length=100),
            Field("last_name", max_length=100),
            Field("company_id", "reference", nullable=True, references="company"),
            OWNER,
            Field("legal_basis", nullable=True, max_length=40),
            Field("marketing_status", choices=MARKETING_STATUSES),
            Field("time_zone", nullable=True, max_length=64),
            Field("source", max_length=40),
            *READ_ONLY_TIMESTAMPS,
        ),
        search_columns=("email", "first_name", "last_name"),
        before_save=_save_contact,
        before_delete=_unlink("contact"),
    ),
    Resource(
        name="companies",
        singular="company",
        model=Company,
        fields=(
            Field("name", required=True, max_length=200),
            Field("domain", nullable=True, max_length=253),
            OWNER,
            *READ_ONLY_TIMESTAMPS,
        ),
        search_columns=("name", "domain"),
        before_save=_lower_domain,
        extra_json=lambda company: {
            "active_deal_registrations": active_deal_registrations(company)
        },
        list_filter=_companies_filtered,
        before_delete=_unlink("company"),
    ),
    Resource(
        name="deals",
        singular="deal",
        model=Deal,
        fields=(
            Field("name", required=True, max_length=200),
            *IN_A_PIPELINE,
            Field("amount", "number", nullable=True),
            Field("close_date", "date", nullable=True),
            OWNER,
            Field("properties", "object", stored=False),
            Field("status", writable=False, choices=("open", "won", "lost")),
            *CREATED_FROM_FIELDS,
            *READ_ONLY_TIMESTAMPS,
        ),
        search_columns=("name",),
        before_save=_place_deal,
        after_save=_deal_entered_stage,
        before_delete=_unlink("deal"),
    ),
    Resource(
        name="tickets",
        singular="ticket",
        model=Ticket,
        fields=(
            Field("subject", required=True, max_length=300),
            *IN_A_PIPELINE,
            OWNER,
            Field("status", writable=False, choices=("open", "closed")),
            *CREATED_FROM_FIELDS,
            *READ_ONLY_TIMESTAMPS,
        ),
        search_columns=("subject",),
        before_save=_place_ticket,
        after_save=_link_created_from,
        before_delete=_unlink("ticket"),
    ),
    Resource(
        name="pipelines",
        singular="pipeline",
        model=Pipeline,
        fields=(
            Field("name", required=True, max_length=200),
            Field("object", choices=PIPELINE_OBJECTS, create_only=True),
            Field("display_order", "integer"),
            Field("stages", "list", readable=False, stored=False),
        ),
        search_columns=("name",),
        admin_writes=True,
        before_save=_save_stages,
        extra_json=lambda pipeline: {"stages": [_stage_json(s) for s in pipeline.stages]},
        before_delete=_refuse_pipeline_in_use,
    ),
    Resource(
        name="users",
        singular="user",
        model=User,
        fields=(
            Field("email", "email", required=True),
            Field("display_name", max_length=200),
            Field("role", choices=ROLES),
            Field("locale", nullable=True, choices=("en", "ja", "sv")),
            Field("time_zone", max_length=64),
            Field("active", "boolean"),
            Field("password", readable=False, stored=False),
            Field("created_at", "datetime", writable=False),
        ),
        search_columns=("email", "display_name"),
        admin_writes=True,
        before_save=_save_user,
        before_delete=_refuse_self_delete,
    ),
)
RESOURCE_BY_NAME = {resource.name: resource for resource in RESOURCES}
