"""Nested messages, invites and filenames."""

from __future__ import annotations

from tests.maillog.parse.samples import (
    crlf,
    simple_mail,
)
from tracklog.maillog.parse import Address, parse_mail


def test_forwarded_message_is_one_eml_attachment() -> None:
    """An attached message/rfc822 stays one .eml part; its own attachment is not flattened."""
    inner = simple_mail("Inner body", Subject="Original: pricing", From="carol@c.example")
    inner.add_attachment(b"%PDF-inner", maintype="application", subtype="pdf", filename="in.pdf")
    outer = simple_mail("FYI, see below")
    outer.add_attachment(inner)
    parsed = parse_mail(outer.as_bytes())
    assert parsed.text == "FYI, see below"
    [forwarded] = parsed.attachments
    assert forwarded.content_type == "message/rfc822"
    assert forwarded.filename == "Original_ pricing.eml"
    nested = parse_mail(forwarded.data)
    assert nested.subject == "Original: pricing"
    assert nested.sender == Address("carol@c.example", "")
    assert nested.text == "Inner body"
    assert [(p.filename, p.data) for p in nested.attachments] == [("in.pdf", b"%PDF-inner")]


def test_forwarded_message_keeps_its_raw_eight_bit_bytes() -> None:
    """The nested .eml keeps the forwarded mail's bytes, 8-bit text included."""
    raw = (
        crlf(
            """From: a@x.example
Content-Type: multipart/mixed; boundary="b"

--b
Content-Type: text/plain

see attached
--b
Content-Type: message/rfc822
Content-Disposition: attachment; filename="fwd.eml"

From: c@x.example
Subject: inner
Content-Type: text/plain; charset=iso-8859-1
Content-Transfer-Encoding: 8bit

"""
        )
        + "Café".encode("latin-1")
        + b"\r\n--b--\r\n"
    )
    parsed = parse_mail(raw)
    [forwarded] = parsed.attachments
    assert forwarded.filename == "fwd.eml"
    assert "Café".encode("latin-1") in forwarded.data
    assert parse_mail(forwarded.data).text == "Café"


def test_calendar_invite_is_an_ics_attachment() -> None:
    """Outlook's invite: the text/calendar alternative becomes an .ics part, the HTML the body."""
    invite = "BEGIN:VCALENDAR\r\nMETHOD:REQUEST\r\nBEGIN:VEVENT\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    message = simple_mail("Meeting")
    message.add_alternative("<p>Meeting</p>", subtype="html")
    message.add_alternative(invite, subtype="calendar", params={"method": "REQUEST"})
    parsed = parse_mail(message.as_bytes())
    assert parsed.text == "Meeting"
    assert "<p>Meeting</p>" in parsed.html
    [ics] = parsed.attachments
    assert ics.content_type == "text/calendar"
    assert ics.filename == "attachment-1.ics"
    assert b"METHOD:REQUEST" in ics.data


def test_rfc2231_japanese_filenames() -> None:
    """RFC 2231 filenames, single and continued, UTF-8 and Shift_JIS, and RFC 2047 ones."""
    raw = crlf(
        """From: a@example.jp
Content-Type: multipart/mixed; boundary="b"

--b
Content-Type: text/plain

files
--b
Content-Type: application/pdf
Content-Disposition: attachment;
 filename*=UTF-8''%E8%A6%8B%E7%A9%8D%E6%9B%B8.pdf

A
--b
Content-Type: application/pdf
Content-Disposition: attachment;
 filename*0*=UTF-8''%E8%AB%8B%E6%B1%82;
 filename*1*=%E6%9B%B8.pdf

B
--b
Content-Type: application/pdf
Content-Disposition: attachment; filename*=shift_jis''%8C%5F%96%F1.pdf

C
--b
Content-Type: application/pdf; name="=?UTF-8?B?5aWR57SE5pu4LnBkZg==?="
Content-Disposition: attachment; filename="=?UTF-8?B?5aWR57SE5pu4LnBkZg==?="

D
--b--
"""
    )
    parsed = parse_mail(raw)
    assert [p.filename for p in parsed.attachments] == [
        "見積書.pdf",
        "請求書.pdf",
        "契約.pdf",
        "契約書.pdf",
    ]
    assert [p.data for p in parsed.attachments] == [b"A", b"B", b"C", b"D"]
