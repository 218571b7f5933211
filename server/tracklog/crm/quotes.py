"""A deal's product lines and quotes. On a deal shared with an active partner every create,
change and delete is copied to the partner's deal and written in the shared deal's change log."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from tracklog.auth.accounts import currency_code
from tracklog.crm.fields import Field, to_json
from tracklog.crm.timeline import require_record
from tracklog.errors import NotFound, ValidationFailed
from tracklog.extensions import db
from tracklog.models import Deal, LineItem, Quote, User
from tracklog.models.quote import QUOTE_STATES
from tracklog.partners.twins import Twin, log_shared, new_twin_key, twin_deal, twin_row

MAX_QUOTE_NOTES = 5000


@dataclass(frozen=True)
class Kind:
    """What differs between product lines and quotes: the model, its fields, its log name."""

    model: Any
    fields: tuple[Field, ...]
    log_field: str
    missing: Any  # the not-found message, given the id

    def summary(self, row: Any) -> str:
        """The row in a few words, for the shared deal's change log."""
        if self.model is LineItem:
            discount = f" -{row.discount_percent}%" if row.discount_percent else ""
            return f"{row.name} × {row.quantity} @ {row.unit_price} {row.currency}{discount}"
        amount = f" {row.amount} {row.currency}" if row.amount is not None else ""
        return f"{row.title} ({row.status}){amount}"


LINE_ITEMS = Kind(
    LineItem,
    (
        Field("name", required=True, max_length=200),
        Field("quantity", "number"),
        Field("unit_price", "number"),
        Field("discount_percent", "number"),
        Field("currency", max_length=3),
    ),
    "line_item",
    lambda item_id: _("There is no product line %(id)s.", id=item_id),
)
QUOTES = Kind(
    Quote,
    (
        Field("title", required=True, max_length=200),
        Field("status", choices=QUOTE_STATES),
        Field("amount", "number", nullable=True),
        Field("expires_on", "date", nullable=True),
        Field("notes", "text", max_length=MAX_QUOTE_NOTES),
        Field("currency", max_length=3),
    ),
    "quote",
    lambda quote_id: _("There is no quote %(id)s.", id=quote_id),
)
# Bounds a number field must keep: (lowest, highest, the reason when it does not).
BOUNDS = {
    "quantity": (Decimal("0.01"), None, _l("must be more than 0")),
    "unit_price": (Decimal(0), None, _l("must be 0 or more")),
    "amount": (Decimal(0), None, _l("must be 0 or more")),
    "discount_percent": (Decimal(0), Decimal(100), _l("must be from 0 to 100")),
}
DEFAULTS = {
    "quantity": Decimal(1),
    "unit_price": Decimal(0),
    "discount_percent": Decimal(0),
    "status": "draft",
    "notes": "",
}


def read_fields(kind: Kind, payload: Any, creating: bool) -> dict[str, Any]:
    """The valid fields of a request, or ValidationFailed naming every bad one."""
    if not isinstance(payload, dict):
        raise ValidationFailed(_("Send a JSON object."))
    values: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for spec in kind.fields:
        if spec.name not in payload:
            if creating and spec.required:
                errors[spec.name] = _("required")
            continue
        try:
            values[spec.name] = spec.parse(payload[spec.name])
            check_bounds(spec.name, values[spec.name])
            if spec.name == "currency":
                values["currency"] = currency_code(values["currency"])
        except ValueError as problem:
            errors[spec.name] = str(problem)
        except ValidationFailed as problem:
            errors[spec.name] = problem.message
    if errors:
        raise ValidationFailed(_("Some fields are not valid."), details={"fields": errors})
    if creating:
        values = {**{k: v for k, v in DEFAULTS.items() if k in field_names(kind)}, **values}
    return values


def field_names(kind: Kind) -> set[str]:
    """The names of a kind's fields."""
    return {spec.name for spec in kind.fields}


def check_bounds(name: str, value: Any) -> None:
    """ValueError when a number is out of its field's bounds."""
    if name not in BOUNDS or value is None:
        return
    lowest, highest, reason = BOUNDS[name]
    if value < lowest or (highest is not None and value > highest):
        raise ValueError(str(reason))
    if value != value.quantize(Decimal("0.01")):
        raise ValueError(_("at most two decimals"))


def rows_of(kind: Kind, user: User, deal_id: int) -> list[Any]:
    """A deal's product lines or quotes, oldest first."""
    require_record(user, "deal", deal_id)
    model = kind.model
    query = select(model).where(model.account_id == user.account_id, model.deal_id == deal_id)
    return list(db.session.scalars(query.order_by(model.id)))


def create_row(kind: Kind, user: User, deal_id: int, payload: Any) -> Any:
    """A new product line or quote of a deal, copied to the partner's deal when shared."""
    deal = require_record(user, "deal", deal_id)
    values = read_fields(kind, payload, creating=True)
    values.setdefault("currency", user.account.currency)
    row = kind.model(account_id=user.account_id, deal_id=deal.id, **values)
    twin = twin_deal(deal)
    if twin is not None:
        row.twin_key = new_twin_key()
        copy = kind.model(
            account_id=twin.account_id, deal_id=twin.deal.id, twin_key=row.twin_key, **values
        )
        db.session.add(copy)
        log_shared(twin.shared, user, kind.log_field, "", kind.summary(row))
    db.session.add(row)
    db.session.commit()
    return row


def require_row(kind: Kind, user: User, row_id: int) -> Any:
    """A product line or quote of the user's account, or NotFound."""
    model = kind.model
    row = db.session.scalar(
        select(model).where(model.id == row_id, model.account_id == user.account_id)
    )
    if row is None:
        raise NotFound(kind.missing(row_id))
    return row


def shared_copy(kind: Kind, row: Any) -> tuple[Twin, Any] | None:
    """The shared deal and the partner's copy of a row, while the partnership is active."""
    twin = twin_deal(db.session.get(Deal, row.deal_id))
    if twin is None:
        return None
    return twin, twin_row(kind.model, row, twin.account_id)


def update_row(kind: Kind, user: User, row_id: int, payload: Any) -> Any:
    """Change a product line or quote, and the partner's copy when the deal is shared."""
    row = require_row(kind, user, row_id)
    values = read_fields(kind, payload, creating=False)
    changed = {name: value for name, value in values.items() if getattr(row, name) != value}
    before = kind.summary(row)
    for name, value in changed.items():
        setattr(row, name, value)
    found = shared_copy(kind, row)
    if found is not None and changed:
        twin, copy = found
        for name, value in changed.items() if copy is not None else ():
            setattr(copy, name, value)
        log_shared(twin.shared, user, kind.log_field, before, kind.summary(row))
    db.session.commit()
    return row


def delete_row(kind: Kind, user: User, row_id: int) -> None:
    """Delete a product line or quote, and the partner's copy when the deal is shared."""
    row = require_row(kind, user, row_id)
    found = shared_copy(kind, row)
    if found is not None:
        twin, copy = found
        if copy is not None:
            db.session.delete(copy)
        log_shared(twin.shared, user, kind.log_field, kind.summary(row), "")
    db.session.delete(row)
    db.session.commit()


def line_item_json(item: LineItem) -> dict[str, Any]:
    """A product line as the API shows it, its total computed."""
    return {
        "id": item.id,
        "deal_id": item.deal_id,
        "name": item.name,
        "quantity": to_json(item.quantity),
        "unit_price": to_json(item.unit_price),
        "currency": item.currency,
        "discount_percent": to_json(item.discount_percent),
        "total": to_json(item.total),
        "created_at": to_json(item.created_at),
        "updated_at": to_json(item.updated_at),
    }


def lines_total(account_id: int, deal_id: int) -> Decimal:
    """The sum of a deal's product lines."""
    query = select(LineItem).where(LineItem.account_id == account_id, LineItem.deal_id == deal_id)
    return sum((item.total for item in db.session.scalars(query)), Decimal(0))


def quote_json(quote: Quote) -> dict[str, Any]:
    """A quote as the API shows it: its amount is the one given, else the product lines' sum."""
    given = quote.amount is not None
    amount = quote.amount if given else lines_total(quote.account_id, quote.deal_id)
    return {
        "id": quote.id,
        "deal_id": quote.deal_id,
        "title": quote.title,
        "status": quote.status,
        "amount": to_json(amount),
        "amount_from": "given" if given else "line_items",
        "currency": quote.currency,
        "expires_on": to_json(quote.expires_on),
        "notes": quote.notes,
        "created_at": to_json(quote.created_at),
        "updated_at": to_json(quote.updated_at),
    }
