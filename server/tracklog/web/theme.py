"""The look every page shares: inline icons from the bundled Fluent set and the account's accent."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from flask import Blueprint, Response
from flask_login import current_user
from markupsafe import Markup, escape

from tracklog.accent import DEFAULT_ACCENT, brand_ramp

theme = Blueprint("theme", __name__)
ICONS = Path(__file__).resolve().parents[1] / "static" / "icons"
HIDDEN_SVG = '<svg class="icon" aria-hidden="true" focusable="false"'


@cache
def icon_svg(name: str) -> str:
    """The bundled icon's SVG text, sized by the stylesheet instead of its own width and height."""
    svg = (ICONS / f"{name}.svg").read_text(encoding="utf-8").strip()
    return svg.replace(' width="20" height="20"', "", 1)


@theme.app_template_global("icon")
def icon(name: str, label: str | None = None) -> Markup:
    """Jinja: an inline icon, hidden from assistive technology; a label, when given, is its text
    for them (an icon-only button's name), else the words beside it name the control."""
    svg = icon_svg(name).replace("<svg", HIDDEN_SVG, 1)
    if label:
        svg += f'<span class="visually-hidden">{escape(label)}</span>'
    return Markup(svg)


def account_accent() -> str:
    """The signed-in user's account's accent colour, Fluent's brand blue otherwise."""
    account = getattr(current_user, "account", None)
    return getattr(account, "accent_color", None) or DEFAULT_ACCENT


@theme.app_context_processor
def accent_context() -> dict[str, str]:
    """The accent for the stylesheet link (its value busts the browser's cache on a change)."""
    return {"accent_color": account_accent()}


def declarations(tokens: dict[str, str]) -> str:
    """CSS custom properties, one a line."""
    return "\n".join(f"  --{name}: {value};" for name, value in tokens.items())


@theme.get("/theme.css")
def accent_stylesheet() -> Response:
    """The brand tokens drawn from the account's accent, for the light and the dark theme."""
    ramp = brand_ramp(account_accent())
    css = (
        f":root {{\n{declarations(ramp['light'])}\n}}\n"
        f"@media (prefers-color-scheme: dark) {{\n:root {{\n{declarations(ramp['dark'])}\n}}\n}}\n"
    )
    response = Response(css, mimetype="text/css")
    response.headers["Cache-Control"] = "private, max-age=86400"
    response.vary.add("Cookie")
    return response
