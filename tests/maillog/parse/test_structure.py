"""Hostile HTML and broken MIME structure: shown safely, never lost."""

from __future__ import annotations

import time

from tests.maillog.parse.samples import (
    MALICIOUS_HTML,
    assert_safe,
    crlf,
    problems_of,
    simple_mail,
)
from tracklog.maillog.parse import Address, parse_mail

# Hostile HTML


def test_malicious_html_is_sanitised() -> None:
    """Scripts, handlers, styles, frames, forms and script URLs are gone; text and links stay."""
    message = simple_mail("plain")
    message.add_alternative(MALICIOUS_HTML, subtype="html")
    parsed = parse_mail(message.as_bytes())
    assert_safe(parsed)
    html = parsed.html
    gone = ["alert(", "steal", "<style", "style=", "<iframe", "<form", "<input", "<svg"]
    gone += ["evil.example", "<object", "<embed", "background", "<meta", "data:text"]
    assert [fragment for fragment in gone if fragment in html] == []
    assert "Hello <b>there</b>" in html
    assert '<img src="https://cdn.example/logo.png" alt="logo">' in html
    assert '<a href="https://ok.example/path" rel="noopener noreferrer">fine</a>' in html
    assert 'href="/relative"' not in html
    assert "cell" in html and "styled" in html
    assert "javascript&#58;void(0)" in html


def test_sanitised_html_of_text_mail_cannot_inject() -> None:
    """A text mail full of markup is escaped, never interpreted."""
    parsed = parse_mail(
        simple_mail(
            '<script>alert(1)</script><img src=x onerror="alert(2)"> javascript:x'
        ).as_bytes()
    )
    assert_safe(parsed)
    assert "&lt;script&gt;" in parsed.html


# Broken structure


def test_boundary_never_closed_keeps_the_parts_and_notes_it() -> None:
    """A multipart cut off before its closing boundary still gives its parts."""
    raw = crlf(
        """From: a@x.example
Content-Type: multipart/mixed; boundary="outer"

--outer
Content-Type: text/plain

The readable text
--outer
Content-Type: application/pdf
Content-Disposition: attachment; filename="cut.pdf"

%PDF-partial"""
    )
    parsed = parse_mail(raw)
    assert parsed.text == "The readable text"
    assert [p.filename for p in parsed.attachments] == ["cut.pdf"]
    assert "the message's structure is broken: boundary outer never closed" in problems_of(parsed)


def test_wrong_boundary_is_recovered_from_the_body() -> None:
    """A declared boundary that never appears: the boundary the body uses is found."""
    raw = crlf(
        """From: a@x.example
Content-Type: multipart/alternative; boundary="declared"

--actual
Content-Type: text/plain

Readable text
--actual
Content-Type: text/html

<p>Readable <i>html</i></p>
--actual--
"""
    )
    parsed = parse_mail(raw)
    assert parsed.text == "Readable text"
    assert "<i>html</i>" in parsed.html
    assert any("never appears" in problem for problem in problems_of(parsed))


def test_non_ascii_boundary_lines_are_not_taken_for_boundaries() -> None:
    """A stray 8-bit line that looks like a boundary does not derail recovery."""
    raw = (
        crlf('From: a@x.example\nContent-Type: multipart/mixed; boundary="declared"\n\n')
        + b"--\xbd\xff\r\nContent-Type: text/plain\r\n\r\nstill readable\r\n"
    )
    parsed = parse_mail(raw)
    assert "still readable" in parsed.text
    assert not [p for p in problems_of(parsed) if p.startswith("tracklog could not read")]


def test_missing_boundary_keeps_the_readable_text() -> None:
    """A multipart without a boundary and without recognisable parts is read as text."""
    raw = crlf("From: a@x.example\nContent-Type: multipart/mixed\n\nJust some readable text\n")
    parsed = parse_mail(raw)
    assert parsed.text == "Just some readable text"
    assert any("no boundary" in problem for problem in problems_of(parsed))


def test_header_lines_broken_into_the_body() -> None:
    """A non-header line among the headers: the rest is body, noted."""
    parsed = parse_mail(crlf("From: a@x.example\nthis is not a header\nSubject: lost\n\nbody"))
    assert parsed.sender == Address("a@x.example", "")
    assert "this is not a header" in parsed.text
    assert any("not a header" in problem for problem in problems_of(parsed))


def test_deeply_nested_multiparts_do_not_crash() -> None:
    """Hundreds of nested multiparts end in a note, not a RecursionError."""
    depth = 300
    head = "".join(
        f'--b{i}\r\nContent-Type: multipart/mixed; boundary="b{i + 1}"\r\n\r\n'
        for i in range(depth)
    )
    tail = "".join(f"\r\n--b{i}--" for i in reversed(range(depth)))
    raw = (
        'From: a@x.example\r\nContent-Type: multipart/mixed; boundary="b0"\r\n\r\n'
        + head
        + f"--b{depth}\r\nContent-Type: text/plain\r\n\r\ndeep\r\n--b{depth}--"
        + tail
    ).encode()
    parsed = parse_mail(raw)
    assert_safe(parsed)
    assert "the mail nests parts too deeply; the deepest were kept as attachments" in (
        problems_of(parsed)
    )
    assert [part.data for part in parsed.attachments] == [b"deep"]


def test_hostile_html_nesting_is_shown_as_text_quickly() -> None:
    """HTML nested 100,000 deep (quadratic for a tree builder) is shown as text in moments."""
    message = simple_mail("x")
    message.set_content("<div>" * 100_000 + "deep <script>bad()</script>&amp; end", subtype="html")
    started = time.monotonic()
    parsed = parse_mail(message.as_bytes())
    assert time.monotonic() - started < 5
    assert parsed.text == "deep & end"
    assert parsed.html == "<p>deep &amp; end</p>"
    assert problems_of(parsed) == ["the HTML body nests too deeply to show; it is shown as text"]


def test_non_bytes_input_and_empty_input() -> None:
    """Empty bytes, a str and None all give a ParsedMail."""
    for raw in (b"", "From: a@x.example\n\nhi", None, bytearray(b"Subject: x\n\ny")):
        assert_safe(parse_mail(raw))  # type: ignore[arg-type]
    assert parse_mail("From: a@x.example\n\nhi").text == "hi"  # type: ignore[arg-type]
