"""Boards of deals and tickets by stage, and the pipeline settings."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from sqlalchemy import func, select, update
from wtforms import SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length

from tracklog.auth.accounts import require_admin, user_names
from tracklog.crm.deals import STANDARD_PROPERTIES
from tracklog.crm.pipelines import (
    DEFAULT_SALES_STAGES,
    DEFAULT_TICKET_STAGES,
    account_pipelines,
    build_pipeline,
    pipeline_label,
    stage_label,
)
from tracklog.errors import NotFound, ValidationFailed
from tracklog.extensions import db
from tracklog.inputs import json_object
from tracklog.models import Deal, Pipeline, Stage, Ticket, User, utcnow

pipelines = Blueprint("pipelines", __name__)

RECORD_MODELS: dict[str, type[Deal] | type[Ticket]] = {"deal": Deal, "ticket": Ticket}
KINDS = {"deal": ("open", "won", "lost"), "ticket": ("open", "closed")}
CARD_LIMIT = 200
CENT = Decimal("0.01")


@dataclass
class Column:
    """One stage of a board with its cards and sums."""

    stage: Stage
    cards: list[Deal | Ticket] = field(default_factory=list)
    count: int = 0
    total: Decimal = Decimal("0.00")
    weighted: Decimal = Decimal("0.00")


CLOSE_WINDOWS = ("overdue", "30", "90")


@dataclass(frozen=True)
class BoardFilters:
    """Which cards a board shows: one owner's (or nobody's), deals closing in a window."""

    owner: str = ""  # "", "me", "none" or a user's id
    close: str = ""  # "", "overdue", or the number of coming days

    @classmethod
    def from_args(cls, args: Any) -> BoardFilters:
        """The filters a board's query string asks for; unknown values mean no filter."""
        owner = args.get("owner", "")
        close = args.get("close", "")
        return cls(
            owner=owner if owner in ("me", "none") or owner.isdigit() else "",
            close=close if close in CLOSE_WINDOWS else "",
        )

    def conditions(self, model: type[Deal] | type[Ticket], user_id: int) -> list[Any]:
        """The WHERE conditions of these filters on deals or tickets."""
        found: list[Any] = []
        if self.owner == "me":
            found.append(model.owner_id == user_id)
        elif self.owner == "none":
            found.append(model.owner_id.is_(None))
        elif self.owner:
            found.append(model.owner_id == int(self.owner))
        if self.close and model is Deal:
            today = utcnow().date()
            if self.close == "overdue":
                found.append(Deal.close_date < today)
            else:
                found.append(Deal.close_date.between(today, today + timedelta(int(self.close))))
        return found


def weighted_amount(amount: Decimal | None, probability: int) -> Decimal:
    """What a deal is worth in a stage: its amount times the stage's probability."""
    return (Decimal(amount or 0) * probability / 100).quantize(CENT)


def find_pipeline(user: User, pipeline_id: int, object_type: str | None = None) -> Pipeline:
    """One pipeline of the user's account, or NotFound (also for another account's)."""
    pipeline = db.session.scalar(
        select(Pipeline).where(Pipeline.id == pipeline_id, Pipeline.account_id == user.account_id)
    )
    if pipeline is None or (object_type and pipeline.object != object_type):
        raise NotFound(_("There is no pipeline %(id)s.", id=pipeline_id))
    return pipeline


def board_columns(
    pipeline: Pipeline, filters: BoardFilters | None = None, user_id: int = 0
) -> list[Column]:
    """The pipeline's stages in order, each with its records (those the filters let through),
    count, total and weighted amount."""
    model = RECORD_MODELS[pipeline.object]
    columns = {stage.id: Column(stage) for stage in pipeline.stages}
    conditions = filters.conditions(model, user_id) if filters else []
    records = db.session.scalars(
        select(model)
        .where(model.account_id == pipeline.account_id, model.pipeline_id == pipeline.id)
        .where(*conditions)
        .order_by(model.id.desc())
    )
    for record in records:
        column = columns.get(record.stage_id)
        if column is None:
            continue
        column.count += 1
        if len(column.cards) < CARD_LIMIT:
            column.cards.append(record)
        amount = getattr(record, "amount", None)
        if amount is not None:
            column.total += amount
            column.weighted += weighted_amount(amount, column.stage.probability)
    return list(columns.values())


def stage_record_counts(pipeline: Pipeline) -> dict[int, int]:
    """How many records stand in each stage of the pipeline."""
    model = RECORD_MODELS[pipeline.object]
    rows = db.session.execute(
        select(model.stage_id, func.count())
        .where(model.account_id == pipeline.account_id, model.pipeline_id == pipeline.id)
        .group_by(model.stage_id)
    )
    counts = dict.fromkeys((stage.id for stage in pipeline.stages), 0)
    counts.update({stage_id: count for stage_id, count in rows})
    return counts


def require_pipeline_admin(user: User) -> None:
    """Only admins change pipelines."""
    require_admin(user, _("Only an admin of the account can change pipelines."))


def move_stage_records(pipeline: Pipeline, from_stage: Stage, to_stage: Stage) -> int:
    """Move every deal or ticket of one stage into another stage of the same pipeline.

    An admin reorganising the pipeline is not a salesperson advancing deals: the move neither
    asks for the target stage's required properties nor creates its tasks.
    """
    if from_stage.id == to_stage.id or {from_stage.pipeline_id, to_stage.pipeline_id} != {
        pipeline.id
    }:
        raise ValidationFailed(
            _("Choose another stage of the same pipeline."),
            details={"fields": {"move_to": _("not another stage of this pipeline")}},
        )
    model = RECORD_MODELS[pipeline.object]
    result = db.session.execute(
        update(model)
        .where(model.account_id == pipeline.account_id, model.stage_id == from_stage.id)
        .values(stage_id=to_stage.id),
        execution_options={"synchronize_session": "fetch"},
    )
    return result.rowcount


def delete_stage(user: User, pipeline: Pipeline, stage_id: int, move_to: int | None) -> int:
    """Delete a stage after moving its records to another stage, in one transaction; how many."""
    require_pipeline_admin(user)
    stages = {stage.id: stage for stage in pipeline.stages}
    stage = stages.get(stage_id)
    if stage is None:
        raise NotFound(_("There is no stage %(id)s in this pipeline.", id=stage_id))
    if len(stages) == 1:
        raise ValidationFailed(
            _("A pipeline needs at least one stage."), details={"fields": {"stages": "last"}}
        )
    moved = 0
    if stage_record_counts(pipeline)[stage_id]:
        target = stages.get(move_to) if isinstance(move_to, int) else None
        if target is None:
            raise ValidationFailed(
                _("Choose the stage its records move to."),
                details={"fields": {"move_to": _("not another stage of this pipeline")}},
            )
        moved = move_stage_records(pipeline, stage, target)
    pipeline.stages = [other for other in pipeline.stages if other.id != stage_id]
    for order, remaining in enumerate(pipeline.stages):
        remaining.order = order
    db.session.commit()
    return moved


def create_pipeline(user: User, name: str, object_type: str) -> Pipeline:
    """A new pipeline, last of its kind, starting with the default stages of that kind."""
    require_pipeline_admin(user)
    stages = DEFAULT_SALES_STAGES if object_type == "deal" else DEFAULT_TICKET_STAGES
    last = db.session.scalar(
        select(func.max(Pipeline.display_order)).where(
            Pipeline.account_id == user.account_id, Pipeline.object == object_type
        )
    )
    pipeline = build_pipeline(user.account, name.strip(), object_type, stages, (last or 0) + 1)
    db.session.add(pipeline)
    db.session.commit()
    return pipeline


class NewPipelineForm(FlaskForm):
    """The name and kind of a new pipeline."""

    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    object = SelectField(
        _l("Pipeline for"),
        choices=[SelectChoice("deal", _l("Deals")), SelectChoice("ticket", _l("Tickets"))],
    )


def property_labels() -> dict[str, str]:
    """Translated names of the standard properties a stage can require."""
    return {
        "name": _("Deal name"),
        "amount": _("Amount"),
        "close_date": _("Close date"),
        "owner_id": _("Owner"),
    }


def page_messages() -> dict[str, str]:
    """Sentences the board and settings scripts show, translated here since scripts are not."""
    return {
        "moved": _("Moved %(name)s to %(stage)s."),
        "moveFailed": _("%(name)s was not moved: %(reason)s"),
        "stays": _("%(name)s stays in %(stage)s."),
        "dialogTitle": _("%(name)s needs more to enter %(stage)s"),
        "taskDue": _("due %(date)s"),
        "noDue": _("no due date"),
        "fillIn": _("Fill this in."),
        "chooseOwner": _("Choose an owner"),
        "offline": _("The server could not be reached. Try again."),
        "saved": _("The pipeline was saved."),
        "saveFailed": _("The pipeline was not saved: %(reason)s"),
        "position": _("%(name)s is now at position %(position)d of %(count)d."),
        "removed": _("%(name)s will be deleted when you save."),
        "deleted": _("%(count)d records moved to %(stage)s; the stage %(name)s was deleted."),
        "newStage": _("New stage"),
        "probabilityRange": _("must be 0 to 100"),
        "noPreview": _("Nothing is asked: deals enter this stage without a form."),
        "unnamed": _("(unnamed stage)"),
        "stageNumber": _("Stage %(position)d"),
        "taskTitle": _("Task title"),
        "dueInDays": _("Due in days"),
        "removeTask": _("Remove task"),
        "deleteTitle": _("Delete the stage %(name)s"),
        "deleteIntro": _(
            "%(count)d records are in this stage. Choose the stage they move to: they move now, "
            "then the stage is deleted, without waiting for Save. They keep their properties; "
            "the chosen stage neither asks for its required properties nor creates its tasks."
        ),
        "noTarget": _("Save the new stages first: records can only move to a saved stage."),
        "taskDone": _("Marked %(title)s as done."),
        "taskUndone": _("Marked %(title)s as not done."),
        "taskFailed": _("The task was not saved: %(reason)s"),
    }


def kind_labels() -> dict[str, str]:
    """Translated names of the kinds of stage."""
    return {"open": _("Open"), "won": _("Won"), "lost": _("Lost"), "closed": _("Closed")}


def _board(object_type: str, pipeline_id: int | None) -> str:
    """The board of one pipeline of deals or tickets."""
    choices = account_pipelines(current_user.account_id, object_type)
    if pipeline_id is None:
        if not choices:
            abort(404)
        pipeline = choices[0]
    else:
        pipeline = find_pipeline(current_user, pipeline_id, object_type)
    users = user_names(current_user.account_id)
    filters = BoardFilters.from_args(request.args)
    return render_template(
        "crm/board.html",
        object_type=object_type,
        pipeline=pipeline,
        pipelines=choices,
        filters=filters,
        columns=board_columns(pipeline, filters, current_user.id),
        owners=users,
        users=[{"id": user_id, "name": name} for user_id, name in users.items()],
        property_labels=property_labels(),
        card_limit=CARD_LIMIT,
    )


@pipelines.get("/deals/board")
@pipelines.get("/deals/board/<int:pipeline_id>")
@login_required
def deal_board(pipeline_id: int | None = None) -> str:
    """Deals as cards in a column per stage, with each column's weighted amount."""
    return _board("deal", pipeline_id)


@pipelines.get("/tickets/board")
@pipelines.get("/tickets/board/<int:pipeline_id>")
@login_required
def ticket_board(pipeline_id: int | None = None) -> str:
    """Tickets as cards in a column per status."""
    return _board("ticket", pipeline_id)


@pipelines.route("/settings/pipelines", methods=["GET", "POST"])
@login_required
def pipeline_list() -> str | Response:
    """Every pipeline of the account; admins create new ones here."""
    form = NewPipelineForm()
    if request.method == "POST":
        require_pipeline_admin(current_user)
        if form.validate_on_submit():
            pipeline = create_pipeline(current_user, form.name.data, form.object.data)
            flash(_("The pipeline %(name)s was created.", name=pipeline.name), "info")
            return redirect(url_for("pipelines.pipeline_settings", pipeline_id=pipeline.id))
    everything = account_pipelines(current_user.account_id)
    return render_template(
        "crm/pipelines.html",
        form=form,
        deal_pipelines=[p for p in everything if p.object == "deal"],
        ticket_pipelines=[p for p in everything if p.object == "ticket"],
    )


@pipelines.get("/settings/pipelines/<int:pipeline_id>")
@login_required
def pipeline_settings(pipeline_id: int) -> str:
    """A pipeline's stages: editable by admins, read-only for everyone else."""
    pipeline = find_pipeline(current_user, pipeline_id)
    counts = stage_record_counts(pipeline)
    users = user_names(current_user.account_id)
    return render_template(
        "crm/pipeline_settings.html",
        pipeline=pipeline,
        counts=counts,
        kinds=KINDS[pipeline.object],
        kind_labels=kind_labels(),
        editable=current_user.is_admin,
        standard_properties=[name for name in STANDARD_PROPERTIES if name != "name"],
        property_labels=property_labels(),
        users=[{"id": user_id, "name": name} for user_id, name in users.items()],
    )


@pipelines.post("/settings/pipelines/<int:pipeline_id>/stages/<int:stage_id>/delete")
@login_required
def delete_stage_view(pipeline_id: int, stage_id: int) -> Response:
    """Delete a stage, first moving its records to {"move_to": stage id}; JSON in and out."""
    pipeline = find_pipeline(current_user, pipeline_id)
    moved = delete_stage(current_user, pipeline, stage_id, json_object().get("move_to"))
    counts = stage_record_counts(pipeline)
    return jsonify({"moved": moved, "counts": {str(key): value for key, value in counts.items()}})


@pipelines.app_template_filter("stage_label")
def stage_label_filter(name: str) -> str:
    """Jinja: a stage's name in the reader's language."""
    return stage_label(name)


@pipelines.app_template_filter("pipeline_label")
def pipeline_label_filter(name: str) -> str:
    """Jinja: a pipeline's name in the reader's language."""
    return pipeline_label(name)


@pipelines.app_template_filter("property_label")
def property_label_filter(name: str) -> str:
    """Jinja: a required property's name, translated when it is a standard one."""
    return property_labels().get(name, name)


@pipelines.app_context_processor
def board_globals() -> dict[str, Any]:
    """Jinja: the sentences the pages' scripts show."""
    return {"board_messages": page_messages}
