"""The insights charts as inline SVG, drawn on the server: readable without JavaScript, translated.

Built with ElementTree, so every label is escaped and the markup is well-formed XML. Each chart is
an image for assistive technology (role="img", a title and a description); the page carries the
same numbers in a table. Every mark holds its number in a data- attribute and says it in a <title>.
"""

from __future__ import annotations

from typing import Any
from xml.etree import ElementTree

from babel.dates import get_day_names
from babel.lists import format_list
from flask_babel import format_percent, get_locale, lazy_pgettext, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup

SVG_NAMESPACE = "http://www.w3.org/2000/svg"
INK = "#1f2937"
EMPTY = "#e5e7eb"
PEOPLE = "#2563eb"
RATE_COLOURS = {"open_rate": "#2563eb", "click_rate": "#7c3aed", "reply_rate": "#059669"}
STEP_LABELS = {
    "sent": lazy_pgettext("funnel step", "Sent"),
    "opened": _l("Opened"),
    "clicked": _l("Clicked"),
    "replied": _l("Replied"),
}
RATE_LABELS = {
    "open_rate": _l("Open rate"),
    "click_rate": _l("Click rate"),
    "reply_rate": _l("Reply rate"),
}
NAME_LENGTH = 22


def weekday_names(width: str = "wide") -> list[str]:
    """The names of the days, Monday first, in the reader's language."""
    names = get_day_names(width, locale=get_locale())
    return [names[day] for day in range(7)]


def percent(rate: float | None) -> str:
    """A rate as a percentage in the reader's language, or a dash without one."""
    return "—" if rate is None else format_percent(rate)


def _svg(chart_id: str, width: int, height: int, title: str, desc: str) -> ElementTree.Element:
    """An empty chart: its size, its role, its title and description."""
    svg = ElementTree.Element(
        "svg",
        {
            "xmlns": SVG_NAMESPACE,
            "id": chart_id,
            "class": "chart",
            "viewBox": f"0 0 {width} {height}",
            "role": "img",
            "aria-labelledby": f"{chart_id}-title {chart_id}-desc",
            "font-size": "12",
        },
    )
    ElementTree.SubElement(svg, "title", {"id": f"{chart_id}-title"}).text = title
    ElementTree.SubElement(svg, "desc", {"id": f"{chart_id}-desc"}).text = desc
    return svg


def _text(parent: ElementTree.Element, x: float, y: float, text: str, **attributes: str) -> None:
    """A label at a point."""
    label = ElementTree.SubElement(
        parent, "text", {"x": f"{x:g}", "y": f"{y:g}", "fill": INK, **attributes}
    )
    label.text = text


def _bar(
    parent: ElementTree.Element,
    box: tuple[float, float, float, float],
    fill: str,
    title: str,
    **data: str,
) -> ElementTree.Element:
    """A rectangle with its number said in a <title>."""
    x, y, width, height = box
    rect = ElementTree.SubElement(
        parent,
        "rect",
        {
            "x": f"{x:g}",
            "y": f"{y:g}",
            "width": f"{width:g}",
            "height": f"{height:g}",
            "fill": fill,
            **{f"data-{name.replace('_', '-')}": value for name, value in data.items()},
        },
    )
    ElementTree.SubElement(rect, "title").text = title
    return rect


def _markup(svg: ElementTree.Element) -> Markup:
    """The chart as markup to place in a page."""
    return Markup(ElementTree.tostring(svg, encoding="unicode"))


def heat_map(opens: dict[str, Any]) -> Markup:
    """Opens by weekday (rows, Monday first) and hour (columns) as a grid of shaded cells."""
    cell, gap, left, top = 24, 2, 44, 18
    cells = opens["cells"]
    busiest = max(max(row) for row in cells) or 1
    svg = _svg(
        "opens-heat-map",
        left + 24 * (cell + gap),
        top + 7 * (cell + gap),
        _("Opens by weekday and hour"),
        ngettext(
            "%(num)d open by people, by weekday and hour in the recipients' local time.",
            "%(num)d opens by people, by weekday and hour in the recipients' local time.",
            opens["total"],
        ),
    )
    for hour in range(0, 24, 3):
        _text(
            svg,
            left + hour * (cell + gap) + cell / 2,
            12,
            f"{hour:02d}",
            **{"text-anchor": "middle"},
        )
    wide, short = weekday_names("wide"), weekday_names("abbreviated")
    for day, row in enumerate(cells):
        y = top + day * (cell + gap)
        _text(svg, 0, y + cell * 0.65, short[day])
        for hour, count in enumerate(row):
            title = ngettext(
                "%(day)s %(start)02d:00–%(end)02d:00: %(num)d open",
                "%(day)s %(start)02d:00–%(end)02d:00: %(num)d opens",
                count,
                day=wide[day],
                start=hour,
                end=(hour + 1) % 24,
            )
            rect = _bar(
                svg,
                (left + hour * (cell + gap), y, cell, cell),
                PEOPLE if count else EMPTY,
                title,
                weekday=str(day),
                hour=str(hour),
                count=str(count),
            )
            if count:
                rect.set("fill-opacity", f"{0.2 + 0.8 * count / busiest:.2f}")
    return _markup(svg)


def funnel_chart(funnel: dict[str, int]) -> Markup:
    """Sent, opened, clicked and replied messages as horizontal bars, each count beside its bar."""
    left, bar_room, row = 110, 380, 30
    widest = funnel["sent"] or 1
    svg = _svg(
        "funnel",
        left + bar_room + 60,
        row * len(STEP_LABELS),
        _("From sent to replied"),
        _(
            "Messages sent, opened by a person, clicked by a person and replied to; each message "
            "counted once at each step."
        ),
    )
    for index, (step, label) in enumerate(STEP_LABELS.items()):
        y = index * row
        count = funnel[step]
        width = bar_room * count / widest
        _text(svg, 0, y + 18, str(label))
        title = ngettext(
            "%(step)s: %(num)d message", "%(step)s: %(num)d messages", count, step=label
        )
        _bar(svg, (left, y + 4, width, row - 8), PEOPLE, title, step=step, count=str(count))
        _text(svg, left + width + 6, y + 18, str(count), **{"data-step": step})
    return _markup(svg)


def user_rates_chart(per_user: list[dict[str, Any]]) -> Markup:
    """Each user's open, click and reply rates (people only) as a group of horizontal bars."""
    left, bar_room, bar, group = 170, 300, 12, 52
    svg = _svg(
        "user-rates",
        left + bar_room + 60,
        24 + group * max(len(per_user), 1),
        _("Rates per user"),
        _("Open, click and reply rates of each user's mail, by people only."),
    )
    for index, (rate, label) in enumerate(RATE_LABELS.items()):
        x = left + index * 110
        ElementTree.SubElement(
            svg,
            "rect",
            {"x": str(x), "y": "4", "width": "10", "height": "10", "fill": RATE_COLOURS[rate]},
        )
        _text(svg, x + 14, 13, str(label))
    for index, row in enumerate(per_user):
        y = 24 + index * group
        name = row["name"]
        shown = name if len(name) <= NAME_LENGTH else name[: NAME_LENGTH - 1] + "…"
        _text(svg, 0, y + 16, shown)
        _text(
            svg,
            0,
            y + 32,
            ngettext("%(num)d sent", "%(num)d sent", row["sent"]),
            **{"fill-opacity": "0.7"},
        )
        for offset, (rate, label) in enumerate(RATE_LABELS.items()):
            value = row[rate]
            width = bar_room * (value or 0)
            top = y + offset * (bar + 2)
            title = _("%(name)s: %(rate)s %(value)s", name=name, rate=label, value=percent(value))
            _bar(
                svg,
                (left, top, width, bar),
                RATE_COLOURS[rate],
                title,
                user_id=str(row["user_id"]),
                rate=rate,
                value="" if value is None else str(value),
            )
            _text(svg, left + width + 4, top + bar - 2, percent(value), **{"font-size": "10"})
    return _markup(svg)


def machine_hits_text(hits: dict[str, int]) -> str:
    """The machine hits beside the funnel, in words: how many, and of which kind."""
    total = sum(hits.values())
    if not total:
        return _("No machine hits: no image proxies' prefetches, link scanners or bots.")
    kinds = {
        "sender": lambda n: ngettext(
            "%(num)d by the sender's own mail client", "%(num)d by the sender's own mail client", n
        ),
        "prefetch": lambda n: ngettext(
            "%(num)d privacy prefetch (not an open)", "%(num)d privacy prefetches (not opens)", n
        ),
        "scanner": lambda n: ngettext("%(num)d by a link scanner", "%(num)d by link scanners", n),
        "bot": lambda n: ngettext("%(num)d by a bot", "%(num)d by bots", n),
    }
    parts = [kinds[name](count) for name, count in hits.items() if count]
    return ngettext(
        "And %(num)d machine hit, not counted above: %(kinds)s.",
        "And %(num)d machine hits, not counted above: %(kinds)s.",
        total,
        kinds=format_list(parts, locale=get_locale()),
    )
