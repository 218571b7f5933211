"""Declared fields of the kinds of record: validation of input, shape of output, OpenAPI schema."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from flask_babel import lazy_gettext as _l

from tracklog.errors import ValidationFailed
from tracklog.inputs import stored_integer, whole_number_reason
from tracklog.mailaddress import normalise_email

OPENAPI_TYPES = {
    "string": {"type": "string"},
    "text": {"type": "string"},
    "email": {"type": "string", "format": "email"},
    "integer": {"type": "integer", "format": "int32"},
    "reference": {"type": "integer", "format": "int32"},
    "number": {"type": "number"},
    "boolean": {"type": "boolean"},
    "date": {"type": "string", "format": "date"},
    "datetime": {"type": "string", "format": "date-time"},
    "list": {"type": "array"},
    "object": {"type": "object"},
}


@dataclass(frozen=True)
class Field:
    """One property of a kind of record as users see and send it."""

    name: str
    kind: str = "string"
    required: bool = False
    writable: bool = True
    readable: bool = True
    nullable: bool = False
    max_length: int | None = None
    minimum: int | None = None
    maximum: int | None = None
    choices: tuple[str, ...] | None = None
    references: str | None = None
    create_only: bool = False
    stored: bool = True

    def schema(self) -> dict[str, Any]:
        """This field as an OpenAPI 3.1 schema."""
        schema = dict(OPENAPI_TYPES[self.kind])
        if self.nullable:
            schema["type"] = [schema["type"], "null"]
        if self.choices:
            # A nullable choice may be null: JSON Schema checks enum even after the type allows it.
            schema["enum"] = [*self.choices, None] if self.nullable else list(self.choices)
        if self.max_length:
            schema["maxLength"] = self.max_length
        if self.minimum is not None:
            schema["minimum"] = self.minimum
        if self.maximum is not None:
            schema["maximum"] = self.maximum
        if not self.writable:
            schema["readOnly"] = True
        if not self.readable:
            schema["writeOnly"] = True
        return schema

    def parse(self, value: Any) -> Any:
        """The Python value for a JSON input, or a ValueError with a short reason."""
        if value is None:
            if self.nullable:
                return None
            raise ValueError(_l("must not be null"))
        parser = getattr(self, f"_parse_{self.kind}")
        parsed = parser(value)
        if self.choices and parsed not in self.choices:
            raise ValueError(_l("must be one of: %(choices)s", choices=", ".join(self.choices)))
        return parsed

    def _parse_string(self, value: Any) -> str:
        """A trimmed string within the length limit."""
        if not isinstance(value, str):
            raise ValueError(_l("must be a string"))
        value = value.strip()
        if self.max_length and len(value) > self.max_length:
            raise ValueError(_l("must be at most %(count)d characters", count=self.max_length))
        if self.required and not value:
            raise ValueError(_l("must not be empty"))
        return value

    _parse_text = _parse_string

    def _parse_email(self, value: Any) -> str:
        """A normalised address."""
        if not isinstance(value, str):
            raise ValueError(_l("must be a string"))
        try:
            return normalise_email(value, self.name)
        except ValidationFailed:
            raise ValueError(_l("not a valid email address")) from None

    def _parse_integer(self, value: Any) -> int:
        """A whole number the database can store (booleans are not numbers here)."""
        number = stored_integer(value)
        if number is None:
            raise ValueError(whole_number_reason())
        low = self.minimum if self.minimum is not None else number
        high = self.maximum if self.maximum is not None else number
        if not low <= number <= high:
            raise ValueError(_l("must be from %(min)d to %(max)d", min=low, max=high))
        return number

    _parse_reference = _parse_integer

    def _parse_number(self, value: Any) -> Decimal:
        """A decimal amount."""
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise ValueError(_l("must be a number"))
        try:
            number = Decimal(str(value))
        except InvalidOperation:
            raise ValueError(_l("must be a number")) from None
        if not number.is_finite() or abs(number) >= Decimal("1e12"):
            raise ValueError(_l("must be a number below one trillion"))
        return number

    def _parse_boolean(self, value: Any) -> bool:
        """true or false."""
        if not isinstance(value, bool):
            raise ValueError(_l("must be true or false"))
        return value

    def _parse_date(self, value: Any) -> date:
        """An ISO date, YYYY-MM-DD."""
        try:
            return date.fromisoformat(value)
        except (TypeError, ValueError):
            raise ValueError(_l("must be a date like 2026-05-31")) from None

    def _parse_list(self, value: Any) -> list:
        """A JSON array."""
        if not isinstance(value, list):
            raise ValueError(_l("must be a list"))
        return value

    def _parse_object(self, value: Any) -> dict:
        """A JSON object."""
        if not isinstance(value, dict):
            raise ValueError(_l("must be an object"))
        return value


def to_json(value: Any) -> Any:
    """A model attribute as JSON: dates in ISO 8601, decimals as numbers."""
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    return value
