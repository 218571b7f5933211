"""The team's template library: who sees and changes which template, and what each one earns.

A template is its owner's until shared; shared ones are visible to the whole account. The owner
and admins change or delete a template. Every figure counts people only (machine hits never), and
a template is recommended only on enough sends, by a stated rule (see `recommendation`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import Select, or_, select

from tracklog.errors import NotFound, ValidationFailed
from tracklog.extensions import db
from tracklog.maillog.parse.sanitise import sanitise_html
from tracklog.models import MailTemplate, Message, TemplateUse, User
from tracklog.tracking.followed import funnel_counts

MIN_SENDS = 10
CONFIDENCE_Z = 1.96  # a 95% lower bound
MAX_NAME = 200
MAX_SUBJECT = 998
MAX_HTML = 200_000


@dataclass(frozen=True)
class Results:
    """What the mail sent from a template (or from all of an account's mail) earned."""

    uses: int = 0
    tracked: int = 0
    opened: int = 0
    replied: int = 0

    @property
    def open_rate(self) -> float | None:
        """Share of tracked sends a person opened, or None without tracked sends."""
        return self.opened / self.tracked if self.tracked else None

    @property
    def reply_rate(self) -> float | None:
        """Share of sends that were answered, or None without sends."""
        return self.replied / self.uses if self.uses else None


def visible_templates(user: User) -> Select:
    """The templates a user sees: their own and the account's shared ones."""
    return select(MailTemplate).where(
        MailTemplate.account_id == user.account_id,
        or_(MailTemplate.owner_id == user.id, MailTemplate.shared.is_(True)),
    )


def find_template(user: User, template_id: int, changing: bool = False) -> MailTemplate:
    """A visible template (one the user may change, when changing), or NotFound."""
    template = db.session.scalar(visible_templates(user).where(MailTemplate.id == template_id))
    may_change = template is not None and (user.is_admin or template.owner_id == user.id)
    if template is None or (changing and not may_change):
        raise NotFound(_("There is no template %(id)s.", id=template_id))
    return template


def _text(payload: dict, name: str, limit: int, errors: dict, required: bool = False) -> Any:
    """A string field of a template body, noting what is wrong with it."""
    value = payload.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, str) or (required and not value.strip()):
        errors[name] = _("must be a text") if not required else _("is required")
    elif len(value) > limit:
        errors[name] = _("at most %(count)d characters", count=limit)
    return value


def read_template_fields(payload: Any, creating: bool) -> dict[str, Any]:
    """The fields a create or change sends, validated; the HTML sanitised."""
    if not isinstance(payload, dict):
        raise ValidationFailed(_("Send a JSON object."))
    errors: dict[str, str] = {}
    fields = {
        "name": _text(payload, "name", MAX_NAME, errors, required=creating or "name" in payload),
        "subject": _text(payload, "subject", MAX_SUBJECT, errors),
        "html": _text(payload, "html", MAX_HTML, errors),
        "shared": payload.get("shared"),
    }
    if fields["shared"] is not None and not isinstance(fields["shared"], bool):
        errors["shared"] = _("must be true or false")
    if errors:
        raise ValidationFailed(_("Some fields are not valid."), details={"fields": errors})
    if isinstance(fields["html"], str):
        fields["html"] = sanitise_html(fields["html"])
    if isinstance(fields["name"], str):
        fields["name"] = fields["name"].strip()
    return {name: value for name, value in fields.items() if value is not None}


def create_template(user: User, payload: Any) -> MailTemplate:
    """A new template owned by the user."""
    template = MailTemplate(
        account_id=user.account_id, owner_id=user.id, **read_template_fields(payload, True)
    )
    db.session.add(template)
    db.session.commit()
    return template


def change_template(user: User, template_id: int, payload: Any) -> MailTemplate:
    """Change a template the user owns (or any, for admins)."""
    template = find_template(user, template_id, changing=True)
    for name, value in read_template_fields(payload, False).items():
        setattr(template, name, value)
    db.session.commit()
    return template


def delete_template(user: User, template_id: int) -> None:
    """Delete a template the user owns (or any, for admins); its sends keep their mail."""
    db.session.delete(find_template(user, template_id, changing=True))
    db.session.commit()


def record_template_use(user: User, message: Message, template_id: int | None) -> None:
    """Note that a message started from a template the sender may use (or forget it)."""
    db.session.execute(db.delete(TemplateUse).where(TemplateUse.message_id == message.id))
    if template_id is not None:
        template = find_template(user, template_id)
        db.session.add(
            TemplateUse(account_id=user.account_id, template_id=template.id, message_id=message.id)
        )


def _counts() -> list[Any]:
    """Sends, tracked sends, opened and answered sends of a group of messages."""
    steps = funnel_counts()
    return [steps[name] for name in ("sent", "tracked", "opened", "replied")]


def template_results(template_ids: list[int]) -> dict[int, Results]:
    """What each template's sends earned, in one query."""
    if not template_ids:
        return {}
    query = (
        select(TemplateUse.template_id, *_counts())
        .join(Message, Message.id == TemplateUse.message_id)
        .where(TemplateUse.template_id.in_(template_ids))
        .group_by(TemplateUse.template_id)
    )
    return {row[0]: Results(*row[1:]) for row in db.session.execute(query)}


def team_results(account_id: int) -> Results:
    """What all of the account's tracked and logged mail earned: the baseline."""
    row = db.session.execute(select(*_counts()).where(Message.account_id == account_id)).one()
    return Results(*row)


def reply_lower_bound(results: Results) -> float:
    """The Wilson score lower bound (95%) of the reply rate: a rate on few sends counts little."""
    if not results.uses:
        return 0.0
    n, z = results.uses, CONFIDENCE_Z
    rate = results.replied / n
    centre = rate + z * z / (2 * n)
    margin = z * math.sqrt(rate * (1 - rate) / n + z * z / (4 * n * n))
    return (centre - margin) / (1 + z * z / n)


def _percent(rate: float | None) -> str:
    """A rate as a whole percentage."""
    return f"{round((rate or 0) * 100)}%"


def recommendation(results: Results, team: Results) -> tuple[bool, str]:
    """Whether to recommend a template, and why: at least MIN_SENDS sends, and even the 95%
    lower bound of its reply rate beats the team's reply rate."""
    if results.uses < MIN_SENDS:
        return False, _(
            "Not enough sends to judge yet: %(uses)d of the %(min)d needed.",
            uses=results.uses,
            min=MIN_SENDS,
        )
    bound = reply_lower_bound(results)
    words = {
        "rate": _percent(results.reply_rate),
        "bound": _percent(bound),
        "team": _percent(team.reply_rate),
    }
    if bound > (team.reply_rate or 0):
        return True, _(
            "Recommended: %(rate)s of its mail is answered, and even at worst (%(bound)s, 95%% "
            "confidence) that beats the team's %(team)s.",
            **words,
        )
    return False, _(
        "Not recommended: %(rate)s of its mail is answered, but at worst (%(bound)s, 95%% "
        "confidence) that does not beat the team's %(team)s.",
        **words,
    )


def template_json(template: MailTemplate, results: Results, team: Results) -> dict[str, Any]:
    """A template as the API shows it, with what it earned."""
    recommended, why = recommendation(results, team)
    return {
        "id": template.id,
        "name": template.name,
        "subject": template.subject,
        "html": template.html,
        "shared": template.shared,
        "owner_id": template.owner_id,
        "uses": results.uses,
        "open_rate": results.open_rate,
        "reply_rate": results.reply_rate,
        "recommended": recommended,
        "recommendation": why,
    }


def templates_with_results(user: User) -> list[dict[str, Any]]:
    """Every template the user sees, by name, with its results against the team's."""
    templates = list(db.session.scalars(visible_templates(user).order_by(MailTemplate.name)))
    results = template_results([template.id for template in templates])
    team = team_results(user.account_id)
    return [template_json(t, results.get(t.id, Results()), team) for t in templates]


def one_template(user: User, template_id: int) -> dict[str, Any]:
    """One visible template with its results."""
    template = find_template(user, template_id)
    results = template_results([template.id]).get(template.id, Results())
    return template_json(template, results, team_results(user.account_id))
