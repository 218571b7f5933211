"""The walk over a mail's MIME parts: which parts are the body, which are attachments."""

from __future__ import annotations

import re
from email import errors as email_errors
from email import policy as email_policy
from email.message import Message
from email.parser import BytesParser

from tracklog.inputs import has_surrogates
from tracklog.maillog.parse import parts
from tracklog.maillog.parse.attachments import add_attachment
from tracklog.maillog.parse.body import Body
from tracklog.maillog.parse.decoding import decode
from tracklog.maillog.parse.problems import Problem
from tracklog.maillog.parse.reading import Reading

MAX_DEPTH = 40
# Other renderings of a body that an alternative offers beside plain text and HTML.
_RENDERINGS = {"text/enriched", "text/richtext", "text/watch-html", "text/x-amp-html"}
# The email package's findings, in the order they are checked, as problem codes.
DEFECT_CODES = (
    (email_errors.NoBoundaryInMultipartDefect, "multipart_without_boundary"),
    (email_errors.MultipartInvariantViolationDefect, "multipart_without_parts"),
    (email_errors.FirstHeaderLineIsContinuationDefect, "continuation_first_header"),
    (email_errors.MisplacedEnvelopeHeaderDefect, "mbox_from_line"),
    (email_errors.MissingHeaderBodySeparatorDefect, "non_header_line"),
    (email_errors.InvalidMultipartContentTransferEncodingDefect, "multipart_transfer_encoding"),
    (email_errors.InvalidBase64PaddingDefect, "base64_padding"),
    (email_errors.InvalidBase64CharactersDefect, "base64_characters"),
    (email_errors.InvalidBase64LengthDefect, "base64_length"),
    (email_errors.UndecodableBytesDefect, "undecodable_bytes"),
)
# Findings about a boundary: the code when the boundary is known, and when it is not.
BOUNDARY_DEFECT_CODES = (
    (
        email_errors.CloseBoundaryNotFoundDefect,
        "boundary_never_closed",
        "unnamed_boundary_never_closed",
    ),
    (
        email_errors.StartBoundaryNotFoundDefect,
        "boundary_never_appears",
        "unnamed_boundary_never_appears",
    ),
)


def walk(part: Message, reading: Reading, depth: int, as_attachment: bool) -> list[Body]:
    """The body stretches of a part and its children; everything else becomes an attachment."""
    if depth > MAX_DEPTH:
        reading.note("parts_too_deep")
        _add_leaves(part, reading)
        return []
    headers = parts.headers_of(part)
    content_type = parts.content_type(headers, part)
    maintype, _slash, subtype = content_type.partition("/")
    if part.is_multipart() and maintype != "message":
        children = [child for child in parts.payload_list(part) if isinstance(child, Message)]
        if subtype == "alternative" and not as_attachment:
            return _alternative(children, reading, depth)
        if subtype == "related" and not as_attachment:
            return _related(headers, children, reading, depth)
        segments: list[Body] = []
        for child in children:
            segments.extend(walk(child, reading, depth + 1, as_attachment))
        return segments
    if maintype == "multipart":
        return _broken_multipart(part, headers, reading, depth, as_attachment)
    disposition = parts.disposition(headers)
    filename = parts.filename(headers, reading)
    is_body_type = content_type in ("text/plain", "text/html")
    if is_body_type and not as_attachment and disposition != "attachment" and not filename:
        text = parts.part_text(part, headers, reading, html=content_type == "text/html")
        if content_type == "text/html":
            return [Body(html=text)]
        return [Body(text=parts.unflow(text, headers))]
    add_attachment(part, reading, inline_hint=disposition == "inline", headers=headers)
    return []


def _add_leaves(part: Message, reading: Reading) -> None:
    """Every leaf under a part as an attachment, walked without recursion."""
    stack = [part]
    while stack:
        current = stack.pop()
        content_type = parts.content_type(parts.headers_of(current), current)
        if current.is_multipart() and not content_type.startswith("message/"):
            children = parts.payload_list(current)
            stack.extend(reversed([c for c in children if isinstance(c, Message)]))
        else:
            add_attachment(current, reading, inline_hint=False)


def _alternative(children: list[Message], reading: Reading, depth: int) -> list[Body]:
    """One stretch from the richest HTML alternative, keeping the last plain-text one as text."""
    html_choice: list[Body] | None = None
    text_choice: list[Body] | None = None
    for child in children:
        if parts.content_type(parts.headers_of(child), child) in _RENDERINGS:
            continue
        segments = walk(child, reading, depth + 1, as_attachment=False)
        if any(segment.html is not None for segment in segments):
            html_choice = segments
        elif segments:
            text_choice = segments
    if html_choice is None:
        return text_choice or []
    if text_choice is None:
        return html_choice
    return [
        Body(
            html="".join(segment.as_html() for segment in html_choice),
            text="\n\n".join(segment.as_text() for segment in text_choice),
        )
    ]


def _related(headers: Message, children: list[Message], reading: Reading, depth: int) -> list[Body]:
    """The root part's body; the other parts are resources it refers to."""
    if not children:
        return []
    root_index = 0
    start = parts.param(headers, "start")
    if start:
        wanted = start.strip().strip("<>")
        for index, child in enumerate(children):
            if parts.content_id(parts.headers_of(child)) == wanted:
                root_index = index
                break
    segments = walk(children[root_index], reading, depth + 1, as_attachment=False)
    for index, child in enumerate(children):
        if index != root_index:
            walk(child, reading, depth + 1, as_attachment=True)
    return segments


def _broken_multipart(
    part: Message, headers: Message, reading: Reading, depth: int, as_attachment: bool
) -> list[Body]:
    """A multipart whose boundary never appears: find the real boundary, or keep it as text."""
    payload = part.get_payload()
    if not isinstance(payload, str):
        return []
    recovered = _recover_multipart(payload, parts.content_type(headers, part))
    if recovered is not None and depth < MAX_DEPTH:
        reading.note("wrong_boundary")
        segments = walk(recovered, reading, depth + 1, as_attachment)
        collect_defects(recovered, reading, depth + 1)
        return segments
    if as_attachment:
        add_attachment(part, reading, inline_hint=False, headers=headers)
        return []
    reading.note("no_parts_found")
    data = payload.encode("ascii", "surrogateescape") if has_surrogates(payload) else None
    if data is None:
        data = payload.encode("utf-8", "replace")
    text, problem = decode(data, parts.charset(headers) or "us-ascii")
    if problem:
        reading.add(problem)
    return [Body(text=text)]


def _recover_multipart(payload: str, content_type: str) -> Message | None:
    """Re-parse a multipart body under the boundary its own lines actually use."""
    lines = payload.splitlines()
    for index, line in enumerate(lines[:2000]):
        if not line.startswith("--") or len(line) < 3 or len(line) > 72:
            continue
        following = [candidate.lower() for candidate in lines[index + 1 : index + 4]]
        if not any(candidate.startswith("content-") for candidate in following):
            continue
        boundary = line[2:].rstrip()
        if '"' in boundary or "\\" in boundary or not boundary.isascii():
            continue
        subtype = content_type.partition("/")[2]
        if not re.fullmatch(r"[a-z0-9.+-]{1,40}", subtype):
            subtype = "mixed"
        head = f'Content-Type: multipart/{subtype}; boundary="{boundary}"\r\n\r\n'
        head = head.encode("ascii")
        try:
            body = payload.encode("ascii", "surrogateescape")
            message = BytesParser(policy=email_policy.default).parsebytes(head + body)
        except Exception:
            return None
        if message.is_multipart():
            return message
        return None
    return None


def collect_defects(part: Message, reading: Reading, depth: int) -> None:
    """The email package's own findings about the mail's parts, as problems."""
    if depth > MAX_DEPTH:
        return
    boundary = None
    try:
        boundary = parts.param(parts.headers_of(part), "boundary")
    except Exception:
        boundary = None
    for defect in getattr(part, "defects", []):
        problem = _defect_problem(defect, boundary)
        if problem:
            reading.add(problem)
    try:
        content_type = parts.content_type(parts.headers_of(part), part)
    except Exception:
        content_type = ""
    if part.is_multipart() and not content_type.startswith("message/"):
        for child in parts.payload_list(part):
            if isinstance(child, Message):
                collect_defects(child, reading, depth + 1)


def _defect_problem(defect: Exception, boundary: str | None) -> Problem | None:
    """The problem one of the email package's defects names, naming the boundary when known."""
    for defect_type, named, unnamed in BOUNDARY_DEFECT_CODES:
        if isinstance(defect, defect_type):
            return Problem.of(named, boundary=boundary) if boundary else Problem.of(unnamed)
    for defect_type, code in DEFECT_CODES:
        if isinstance(defect, defect_type):
            return Problem.of(code)
    if isinstance(defect, email_errors.MessageDefect):
        return Problem.of("malformed", defect=type(defect).__name__)
    return None
