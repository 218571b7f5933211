"""parse_mail on ordinary mail: headers, bodies, attachments, inline images, hash, size."""

from __future__ import annotations

import base64
import subprocess
import sys
import time
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage

import pytest

from tests.maillog.parse.samples import (
    OUTLOOK,
    PNG,
    assert_safe,
    problems_of,
    simple_mail,
)
from tracklog.maillog.parse import Address, Part, content_hash, parse_mail

# The ordinary mail


def test_plain_mail_reads_every_header_and_the_body() -> None:
    """A well-formed text mail gives its ids, addresses, date, subject and body."""
    message = simple_mail(
        "Hello Bob,\n\nsee https://seller.example/q?a=1&b=2 please.\n",
        Cc="carol@buyer.example, Dan <DAN@Buyer.Example>",
        In_Reply_To="<earlier@buyer.example>",
        References="<first@buyer.example> <earlier@buyer.example>",
    )
    parsed = parse_mail(message.as_bytes())
    assert parsed.message_id == "<quote-1@seller.example>"
    assert parsed.in_reply_to == ["<earlier@buyer.example>"]
    assert parsed.references == ["<first@buyer.example>", "<earlier@buyer.example>"]
    assert parsed.sender == Address("alice@seller.example", "Alice Seller")
    assert parsed.to == [Address("bob@buyer.example", "Bob Buyer")]
    assert parsed.cc == [Address("carol@buyer.example", ""), Address("dan@buyer.example", "Dan")]
    assert parsed.date == datetime(2024, 1, 2, 9, 0, tzinfo=UTC)
    assert parsed.subject == "Quote"
    assert parsed.text.startswith("Hello Bob,\n\nsee https://seller.example/q?a=1&b=2")
    assert problems_of(parsed) == []
    assert parsed.attachments == []
    assert_safe(parsed)


def test_text_only_mail_gets_escaped_paragraph_html_with_links() -> None:
    """A text mail shows as escaped paragraphs whose web addresses are links."""
    parsed = parse_mail(
        simple_mail("1 < 2 & <b>not bold</b>\n\nhttps://x.example/p?a=1").as_bytes()
    )
    assert "<p>1 &lt; 2 &amp; &lt;b&gt;not bold&lt;/b&gt;</p>" in parsed.html
    assert '<a href="https://x.example/p?a=1" rel="noopener noreferrer">' in parsed.html
    assert_safe(parsed)


def test_alternative_prefers_html_and_keeps_the_text() -> None:
    """multipart/alternative: html from the HTML part, text from the text part."""
    message = simple_mail("The plain version")
    message.add_alternative("<p>The <b>rich</b> version</p>", subtype="html")
    parsed = parse_mail(message.as_bytes())
    assert "<b>rich</b>" in parsed.html
    assert parsed.text == "The plain version"
    assert parsed.attachments == []


def test_html_only_mail_gets_text_extracted() -> None:
    """Without a text part the text is read out of the HTML."""
    message = simple_mail()
    message.set_content(
        "<html><head><title>T</title><style>p{}</style></head><body><p>First&nbsp;line</p>"
        "<ul><li>one</li><li>two</li></ul><table><tr><td>a</td><td>b</td></tr></table></body>",
        subtype="html",
    )
    parsed = parse_mail(message.as_bytes())
    assert parsed.text == "First line\n\n- one\n\n- two\n\na b"
    assert "p{}" not in parsed.html and ">T<" not in parsed.html


def test_mixed_keeps_body_and_attachments_in_order() -> None:
    """multipart/mixed: the text is the body, files are attachments with their names."""
    message = simple_mail("See attached")
    message.add_attachment(b"%PDF-1.4", maintype="application", subtype="pdf", filename="q.pdf")
    message.add_attachment(b"a,b\n1,2\n", maintype="text", subtype="csv", filename="data.csv")
    parsed = parse_mail(message.as_bytes())
    assert parsed.text == "See attached"
    assert [(p.filename, p.content_type, p.data) for p in parsed.attachments] == [
        ("q.pdf", "application/pdf", b"%PDF-1.4"),
        ("data.csv", "text/csv", b"a,b\n1,2\n"),
    ]
    assert not any(p.inline for p in parsed.attachments)


def test_apple_style_mixed_text_parts_are_all_body() -> None:
    """Inline text parts around an attachment all belong to the body."""
    message = EmailMessage()
    message["From"] = "a@x.example"
    message.make_mixed()
    first = EmailMessage()
    first.set_content("Before the picture")
    second = EmailMessage()
    second.set_content("After the picture")
    message.attach(first)
    message.add_attachment(PNG, maintype="image", subtype="png", filename="p.png")
    message.attach(second)
    parsed = parse_mail(message.as_bytes())
    assert parsed.text == "Before the picture\n\nAfter the picture"
    assert "Before the picture" in parsed.html and "After the picture" in parsed.html
    assert [p.filename for p in parsed.attachments] == ["p.png"]


def test_unnamed_attachments_get_fallback_names() -> None:
    """A part without a filename gets attachment-N with an extension for its type."""
    message = simple_mail("x")
    message.add_attachment(b"\x00\x01", maintype="application", subtype="octet-stream")
    message.add_attachment(b"zip", maintype="application", subtype="x-unknown-thing")
    message.add_attachment(PNG, maintype="image", subtype="png")
    parsed = parse_mail(message.as_bytes())
    assert [p.filename for p in parsed.attachments] == [
        "attachment-1.bin",
        "attachment-2.bin",
        "attachment-3.png",
    ]
    assert parsed.attachments[2].inline is False


def test_attachment_filenames_lose_their_paths() -> None:
    """A filename carrying a path keeps only its last component, without leading dots."""
    message = simple_mail("x")
    message.add_attachment(b"1", maintype="application", subtype="pdf", filename="../../etc/passwd")
    message.add_attachment(b"2", maintype="application", subtype="pdf", filename="C:\\temp\\a.pdf")
    message.add_attachment(b"3", maintype="application", subtype="pdf", filename="..")
    parsed = parse_mail(message.as_bytes())
    assert [p.filename for p in parsed.attachments] == ["passwd", "a.pdf", "attachment-3.pdf"]


def test_outlook_related_mail_shows_its_inline_image() -> None:
    """Outlook's related/alternative mail: the cid image becomes a data: URI and an inline part."""
    parsed = parse_mail(OUTLOOK)
    assert parsed.subject == "Re: Quote – spring"
    assert parsed.sender == Address("alice@seller.example", "Seller, Alice")
    assert parsed.message_id == "<DB9PR01MB1234ABCD@DB9PR01MB1234.eurprd01.prod.outlook.com>"
    assert parsed.headers == {"x-tracklog-message": "cmp_7f3a"}
    data_uri = "data:image/png;base64," + base64.b64encode(PNG).decode()
    assert f'src="{data_uri}"' in parsed.html
    assert "cid:" not in parsed.html
    assert "MsoNormal {margin" not in parsed.html and "o:shapedefaults" not in parsed.html
    assert parsed.text.startswith("Hi Bob,")
    [image] = parsed.attachments
    assert image == Part(
        filename="image001.png",
        content_type="image/png",
        data=PNG,
        content_id="image001.png@01DA3E00.ABCDEF00",
        inline=True,
    )
    assert problems_of(parsed) == []
    assert_safe(parsed)


def test_cid_images_too_large_or_not_images_stay_placeholders() -> None:
    """Over 2 MB, not really an image, or missing: no data: URI, an alt placeholder instead."""
    message = simple_mail("x")
    message.add_alternative(
        '<p><img src="cid:big"><img src="cid:fake" alt="Fake"><img src="cid:gone"></p>',
        subtype="html",
    )
    html_part = message.get_payload()[1]
    html_part.add_related(PNG + b"\x00" * (2 * 1024 * 1024), "image", "png", cid="<big>")
    html_part.add_related(b"<svg onload=alert(1)>", "image", "svg+xml", cid="<fake>")
    parsed = parse_mail(message.as_bytes())
    assert "data:" not in parsed.html
    assert '<img alt="[image: attachment-1.png]">' in parsed.html
    assert '<img alt="Fake">' in parsed.html
    assert '<img alt="[image: gone]">' in parsed.html
    assert all(part.inline for part in parsed.attachments)
    assert_safe(parsed)


def test_leftover_cid_urls_are_dropped_and_obfuscated_ones_resolved() -> None:
    """cid: links go; a cid: source hidden behind controls and newlines still resolves."""
    message = simple_mail("x")
    message.add_alternative(
        '<a href="cid:logo">link</a><img src="&#2;ci\nd:logo"><img src="c\tid:gone">',
        subtype="html",
    )
    message.get_payload()[1].add_related(PNG, "image", "png", cid="<logo>")
    parsed = parse_mail(message.as_bytes())
    assert "cid:" not in parsed.html
    assert '<a rel="noopener noreferrer">link</a>' in parsed.html
    assert '<img src="data:image/png;base64,' in parsed.html
    assert '<img alt="[image: gone]">' in parsed.html
    assert_safe(parsed)


def test_inline_disposition_images_are_inline_even_unreferenced() -> None:
    """An image with Content-Disposition inline is an inline part even when no cid points at it."""
    message = simple_mail("x")
    message.add_attachment(PNG, maintype="image", subtype="png", disposition="inline")
    message.add_attachment(b"%PDF", maintype="application", subtype="pdf", disposition="inline")
    parsed = parse_mail(message.as_bytes())
    assert [part.inline for part in parsed.attachments] == [True, False]


# content_hash


def test_content_hash_ignores_transport_differences() -> None:
    """The same mail with LF or CRLF line ends and different Message-IDs hashes the same."""
    message = simple_mail("Line one\nLine two\n")
    crlf_bytes = message.as_bytes(policy=policy.SMTP)
    lf_bytes = message.as_bytes(policy=policy.default).replace(b"<quote-1@", b"<other@")
    first, second = parse_mail(crlf_bytes), parse_mail(lf_bytes)
    assert first.content_hash == second.content_hash
    changed = parse_mail(simple_mail("Line one\nLine three\n").as_bytes())
    assert changed.content_hash != first.content_hash
    assert content_hash(
        first.sender, first.to, first.cc, first.date, first.subject, first.text
    ) == (first.content_hash)


# Size


@pytest.mark.slow
def test_fifty_megabyte_attachment_in_reasonable_time_and_memory() -> None:
    """A 50 MB attachment parses in seconds and well under a gigabyte (measured in a child)."""
    script = """
import base64, os, resource, sys, time
from tracklog.maillog.parse import parse_mail
payload = os.urandom(50 * 1024 * 1024)
raw = (b"From: a@x.example\\r\\nSubject: big\\r\\nContent-Type: multipart/mixed; boundary=b\\r\\n"
       b"\\r\\n--b\\r\\nContent-Type: text/plain\\r\\n\\r\\nsee file\\r\\n--b\\r\\n"
       b"Content-Type: application/octet-stream\\r\\nContent-Transfer-Encoding: base64\\r\\n"
       b"Content-Disposition: attachment; filename=big.bin\\r\\n\\r\\n"
       + base64.encodebytes(payload).replace(b"\\n", b"\\r\\n") + b"--b--\\r\\n")
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
started = time.monotonic()
parsed = parse_mail(raw)
elapsed = time.monotonic() - started
assert parsed.text == "see file", parsed.text
assert parsed.attachments[0].data == payload
print(elapsed, (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024)
"""
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr
    elapsed, extra_megabytes = map(float, result.stdout.split())
    assert elapsed < 20
    assert extra_megabytes < 800


def test_large_html_body_parses_quickly() -> None:
    """A 3 MB HTML body is sanitised and its text extracted in a few seconds."""
    message = simple_mail("x")
    message.add_alternative("<p>row <b>bold</b> text</p>\n" * 100_000, subtype="html")
    started = time.monotonic()
    parsed = parse_mail(message.as_bytes())
    assert time.monotonic() - started < 10
    assert parsed.text == "x"
    assert parsed.html.count("<b>bold</b>") == 100_000
