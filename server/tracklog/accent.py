"""The account's accent colour: which colours may be one, and the brand ramp drawn from it.

An accent carries white text on buttons and is the colour of links, so it must keep a contrast of
4.5:1 (WCAG 2.2 AA) against white; the dark theme uses a lighter shade that keeps the same contrast
against Fluent's dark background.
"""

from __future__ import annotations

import re

DEFAULT_ACCENT = "#0f6cbd"  # Fluent 2's brand colour (communication blue)
MIN_CONTRAST = 4.5
WHITE = "#ffffff"
BLACK = "#000000"
DARK_BACKGROUND = "#292929"  # Fluent's colorNeutralBackground1, dark theme
HEX_COLOUR = re.compile(r"#[0-9a-f]{6}")


def channels(colour: str) -> tuple[int, int, int]:
    """The red, green and blue of a #rrggbb colour."""
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


def luminance(colour: str) -> float:
    """Relative luminance as WCAG defines it."""
    linear = [
        c / 255 / 12.92 if c <= 10 else ((c / 255 + 0.055) / 1.055) ** 2.4 for c in channels(colour)
    ]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(first: str, second: str) -> float:
    """The WCAG contrast ratio of two colours (1 to 21)."""
    lighter, darker = sorted((luminance(first), luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def mix(colour: str, other: str, share: float) -> str:
    """colour with share (0 to 1) of other mixed in."""
    pairs = zip(channels(colour), channels(other), strict=True)
    mixed = (round(a + (b - a) * share) for a, b in pairs)
    return "#" + "".join(f"{c:02x}" for c in mixed)


def is_accent(colour: str) -> bool:
    """Whether colour (#rrggbb, lower case) may be an accent: white text on it stays readable."""
    return bool(HEX_COLOUR.fullmatch(colour)) and contrast(colour, WHITE) >= MIN_CONTRAST


def dark_shade(colour: str) -> str:
    """The lightest-needed shade of colour that reads on the dark theme's background."""
    share = 0.0
    shade = colour
    while contrast(shade, DARK_BACKGROUND) < MIN_CONTRAST and share < 1:
        share += 0.05
        shade = mix(colour, WHITE, share)
    return shade


def brand_ramp(accent: str) -> dict[str, dict[str, str]]:
    """Fluent's brand tokens for the light and the dark theme, drawn from one accent colour."""
    light = {
        "colorBrandBackground": accent,
        "colorBrandBackgroundHover": mix(accent, BLACK, 0.15),
        "colorBrandBackgroundPressed": mix(accent, BLACK, 0.4),
        "colorBrandBackground2": mix(accent, WHITE, 0.9),
        "colorBrandForeground1": accent,
        "colorBrandForegroundLink": mix(accent, BLACK, 0.15),
        "colorBrandStroke1": accent,
    }
    shade = dark_shade(accent)
    dark = {
        "colorBrandBackground": accent,
        "colorBrandBackgroundHover": mix(accent, WHITE, 0.1),
        "colorBrandBackgroundPressed": mix(accent, BLACK, 0.3),
        "colorBrandBackground2": mix(accent, BLACK, 0.7),
        "colorBrandForeground1": shade,
        "colorBrandForegroundLink": shade,
        "colorBrandStroke1": shade,
    }
    return {"light": light, "dark": dark}
