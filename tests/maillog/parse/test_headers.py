"""Missing, repeated and broken headers, dates, message ids and addresses."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.maillog.parse.samples import (
    assert_safe,
    crlf,
    problems_of,
)
from tracklog.maillog.parse import Address, parse_mail

# Missing and repeated headers


def test_mail_without_any_usual_headers() -> None:
    """No From, Date, Message-ID or Subject: empty fields, a note about the sender, no crash."""
    parsed = parse_mail(b"X-Other: 1\r\n\r\nJust a body\r\n")
    assert parsed.sender is None
    assert parsed.date is None
    assert parsed.message_id is None
    assert parsed.subject == ""
    assert parsed.to == []
    assert parsed.text == "Just a body"
    assert problems_of(parsed) == ["the mail has no From header"]


def test_sender_header_stands_in_for_missing_from() -> None:
    """Without From, the Sender header names the sender."""
    parsed = parse_mail(b"Sender: Bot <bot@example.com>\r\n\r\nx")
    assert parsed.sender == Address("bot@example.com", "Bot")
    assert problems_of(parsed) == []


def test_duplicate_headers_use_the_first_and_say_so() -> None:
    """Two Subject, From and Message-ID headers: the first wins, each repeat is noted."""
    raw = crlf(
        """From: first@example.com
From: second@example.com
Subject: First subject
Subject: Second subject
Message-ID: <first@example.com>
Message-ID: <second@example.com>
To: a@example.com
To: b@example.com

body"""
    )
    parsed = parse_mail(raw)
    assert parsed.sender == Address("first@example.com", "")
    assert parsed.subject == "First subject"
    assert parsed.message_id == "<first@example.com>"
    assert [a.email for a in parsed.to] == ["a@example.com", "b@example.com"]
    assert problems_of(parsed) == [
        "the mail has 2 From headers; the first was used",
        "the mail has 2 Subject headers; the first was used",
        "the mail has 2 Message-ID headers; the first was used",
        "the mail has 2 To headers; their addresses were combined",
    ]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Tue, 02 Jan 2024 10:00:00 +0100", datetime(2024, 1, 2, 9, 0, tzinfo=UTC)),
        ("2 Jan 2024 10:00:00 -0000", datetime(2024, 1, 2, 10, 0, tzinfo=UTC)),
        ("Tue, 2 Jan 2024 10:00:00 EST", datetime(2024, 1, 2, 15, 0, tzinfo=UTC)),
        ("2024-01-02T10:00:00+02:00", datetime(2024, 1, 2, 8, 0, tzinfo=UTC)),
    ],
)
def test_dates_are_aware_utc(value: str, expected: datetime) -> None:
    """Dates in RFC 5322, obsolete and ISO forms come out as aware UTC."""
    parsed = parse_mail(crlf(f"From: a@example.com\nDate: {value}\n\nx"))
    assert parsed.date == expected
    assert parsed.date.tzinfo == UTC


@pytest.mark.parametrize("value", ["yesterday", "Tue, 32 Jan 2024 10:00:00 +0100", "", "99999"])
def test_unreadable_date_is_none_and_noted(value: str) -> None:
    """A Date that cannot be read gives None and a problem."""
    parsed = parse_mail(crlf(f"From: a@example.com\nDate: {value}\n\nx"))
    assert parsed.date is None
    assert problems_of(parsed) == ["the Date header is unreadable"]


@pytest.mark.parametrize(
    ("value", "expected", "problem"),
    [
        ("<abc@example.com>", "<abc@example.com>", None),
        ("  <abc@example.com>  (comment)", "<abc@example.com>", None),
        ("abc@example.com", "<abc@example.com>", None),
        ("<12345>", "<12345>", None),
        ("no id here", None, "the Message-ID header is unusable"),
        ("", None, "the Message-ID header is unusable"),
    ],
)
def test_message_ids(value: str, expected: str | None, problem: str | None) -> None:
    """Message-IDs come out in <...> form, None when unusable."""
    parsed = parse_mail(crlf(f"From: a@example.com\nMessage-ID: {value}\n\nx"))
    assert parsed.message_id == expected
    assert problems_of(parsed) == ([problem] if problem else [])


def test_in_reply_to_with_trailing_garbage() -> None:
    """Old mailers' In-Reply-To with prose keeps only the ids."""
    parsed = parse_mail(
        crlf(
            'From: a@example.com\nIn-Reply-To: <x@y.example> (Bob\'s message of "Mon")\n'
            "References: <a@y.example>\n <b@y.example>\n\tnot-an-id <a@y.example>\n\nx"
        )
    )
    assert parsed.in_reply_to == ["<x@y.example>"]
    assert parsed.references == ["<a@y.example>", "<b@y.example>"]


def test_extra_headers_are_decoded() -> None:
    """The add-in's stamp and the auto-reply and list headers are returned decoded."""
    raw = crlf(
        """From: a@example.com
X-Tracklog-Message: =?utf-8?q?msg=5F42?=
Auto-Submitted: auto-replied
Precedence: bulk
List-ID: Sales list <sales.example.com>
Received: ignored

x"""
    )
    assert parse_mail(raw).headers == {
        "x-tracklog-message": "msg_42",
        "auto-submitted": "auto-replied",
        "precedence": "bulk",
        "list-id": "Sales list <sales.example.com>",
    }


# Addresses


def test_address_groups_comments_and_idn() -> None:
    """Groups are flattened, comments dropped, IDN domains punycoded, unicode local parts kept."""
    raw = (
        "From: =?utf-8?q?J=C3=B6rg?= (Sales) <Joerg@Example.COM>\r\n"
        'To: Team: "Doe, Jane" <jane@x.example>, bob@x.example (Bob B);,'
        " undisclosed-recipients:;\r\n"
        "Cc: Ünï <Ünï@Bücher.Example>, <xn--bcher-kva.example@XN--BCHER-KVA.example.>\r\n"
        "Bcc: hidden@x.example\r\n\r\nx"
    ).encode()
    parsed = parse_mail(raw)
    assert parsed.sender == Address("joerg@example.com", "Jörg")
    assert parsed.to == [Address("jane@x.example", "Doe, Jane"), Address("bob@x.example", "")]
    assert parsed.cc == [
        Address("ünï@xn--bcher-kva.example", "Ünï"),
        Address("xn--bcher-kva.example@xn--bcher-kva.example", ""),
    ]
    assert parsed.bcc == [Address("hidden@x.example", "")]
    assert problems_of(parsed) == []


def test_garbage_addresses_are_kept_unreadable_and_noted() -> None:
    """Garbage in an address header gives an empty email and a note, never an exception."""
    raw = crlf(
        'From: "Broken <<< @@ >>>\nTo: , ; <>, just words, ok@x.example, @nolocal.example,'
        " a@b@c, ((((nested\nCc: =?utf-8?B?!!!?= <x@y.example>\n\nx"
    )
    parsed = parse_mail(raw)
    assert parsed.sender is not None and parsed.sender.email == ""
    assert "ok@x.example" in [a.email for a in parsed.to]
    assert all(a.email == "" or "@" in a.email for a in parsed.to)
    assert any("could not be read" in problem for problem in problems_of(parsed))
    assert_safe(parsed)


def test_duplicate_recipients_are_listed_once() -> None:
    """The same address twice in To is one recipient."""
    parsed = parse_mail(crlf("From: a@x.example\nTo: b@x.example, B <B@X.example>\n\nx"))
    assert parsed.to == [Address("b@x.example", "")]
