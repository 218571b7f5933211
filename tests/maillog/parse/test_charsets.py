"""Languages, charsets and transfer encodings, as mailers really write them."""

from __future__ import annotations

import base64

import pytest

from tests.maillog.parse.samples import (
    crlf,
    problems_of,
)
from tracklog.maillog.parse import Address, parse_mail

# Languages and charsets


def test_japanese_iso_2022_jp_mail() -> None:
    """ISO-2022-JP subject (RFC 2047) and body, as Japanese mailers send them."""
    subject = "お見積りの件"
    body = "山田様\n\nお世話になっております。①㈱テストです。\n"
    encoded_subject = base64.b64encode(subject.encode("iso2022_jp")).decode()
    raw = crlf(
        f"""From: =?ISO-2022-JP?B?{base64.b64encode("鈴木".encode("iso2022_jp")).decode()}?=
 <suzuki@example.co.jp>
To: yamada@example.jp
Subject: =?ISO-2022-JP?B?{encoded_subject}?=
Date: Thu, 4 Jan 2024 09:00:00 +0900
MIME-Version: 1.0
Content-Type: text/plain; charset=ISO-2022-JP
Content-Transfer-Encoding: 7bit

"""
    ) + body.replace("\n", "\r\n").encode("iso2022_jp_2004").replace(b"\x1b$(Q", b"\x1b$B")
    parsed = parse_mail(raw)
    assert parsed.subject == subject
    assert parsed.sender == Address("suzuki@example.co.jp", "鈴木")
    assert parsed.text == body.strip("\n")
    assert problems_of(parsed) == []
    assert "①㈱テスト" in parsed.html


def test_shift_jis_body_in_eight_bit() -> None:
    """A Shift_JIS body sent as 8bit decodes, including Windows' extra characters."""
    body = "見積書を送付します。①～③をご確認ください。"
    raw = crlf(
        """From: a@example.jp
Subject: =?shift_jis?B?"""
        + base64.b64encode("見積".encode("cp932")).decode()
        + """?=
Content-Type: text/plain; charset="Shift_JIS"
Content-Transfer-Encoding: 8bit

"""
    ) + body.encode("cp932")
    parsed = parse_mail(raw)
    assert parsed.subject == "見積"
    assert parsed.text == body
    assert problems_of(parsed) == []


def test_windows_1252_smart_quotes_in_quoted_printable() -> None:
    """Windows-1252 curly quotes and dashes in quoted-printable come out as Unicode."""
    raw = crlf(
        """From: a@example.com
Subject: quotes
Content-Type: text/plain; charset=windows-1252
Content-Transfer-Encoding: quoted-printable

=93Hello=94 =96 it=92s =80100=85
"""
    )
    parsed = parse_mail(raw)
    assert parsed.text == "“Hello” – it’s €100…"
    assert problems_of(parsed) == []


@pytest.mark.parametrize(
    ("label", "text", "codec"),
    [
        ("iso-2022-jp", "日本語のテキスト", "iso2022_jp"),
        ("shift_jis", "日本語のテキスト", "shift_jis"),
        ("euc-jp", "日本語のテキスト", "euc_jp"),
        ("windows-1252", "Café “quoted”", "cp1252"),
        ("iso-8859-1", "Café crème", "latin_1"),
        ("utf-8", "Grüße 😀 日本", "utf-8"),
        ("gb2312", "中文邮件内容", "gb2312"),
        ("gbk", "中文郵件内容", "gbk"),
        ("koi8-r", "Привет, мир", "koi8_r"),
        ("big5", "繁體中文", "big5"),
        ("euc-kr", "한국어 메일", "euc_kr"),
    ],
)
def test_declared_charsets_decode(label: str, text: str, codec: str) -> None:
    """Each charset mail arrives in decodes to the same Unicode, without problems."""
    for encoding in ("8bit", "base64", "quoted-printable"):
        body = text.encode(codec)
        if encoding == "base64":
            body = base64.encodebytes(body)
        elif encoding == "quoted-printable":
            import quopri

            body = quopri.encodestring(body)
        raw = (
            crlf(
                f"From: a@example.com\nContent-Type: text/plain; charset={label}\n"
                f"Content-Transfer-Encoding: {encoding}\n\n"
            )
            + body
        )
        parsed = parse_mail(raw)
        assert parsed.text == text, encoding
        assert problems_of(parsed) == [], encoding


def test_unknown_charset_reads_as_utf8_with_replacements_and_says_so() -> None:
    """An unknown charset label falls back to UTF-8 with replacement characters, noted."""
    raw = (
        crlf(
            "From: a@example.com\nContent-Type: text/plain; charset=x-unknown\n"
            "Content-Transfer-Encoding: 8bit\n\n"
        )
        + "Grüße ".encode()
        + b"\xff\xfe end"
    )
    parsed = parse_mail(raw)
    assert parsed.text == "Grüße \ufffd\ufffd end"
    assert problems_of(parsed) == [
        "a part's charset x-unknown is unknown; read as UTF-8 with replacements"
    ]


def test_non_text_codec_names_are_not_used_as_charsets() -> None:
    """A charset naming a codec that is not a text encoding (base64, rot13) is unknown."""
    for label in ("base64", "rot13", "zlib", "undefined", "unicode_escape"):
        raw = (
            crlf(f"From: a@example.com\nContent-Type: text/plain; charset={label}\n\n")
            + b"plain \\u0041 words"
        )
        parsed = parse_mail(raw)
        assert parsed.text == "plain \\u0041 words", label


def test_wrong_charset_label_falls_back_and_notes_it() -> None:
    """UTF-8 labelled Shift_JIS is read as UTF-8; broken UTF-8 gets replacement characters."""
    raw = (
        crlf("From: a@example.com\nContent-Type: text/plain; charset=shift_jis\n\n")
        + "Grüße – ok".encode()
    )
    parsed = parse_mail(raw)
    assert parsed.text == "Grüße – ok"
    assert problems_of(parsed) == ["a part labelled shift_jis is really UTF-8; read as UTF-8"]

    raw = crlf("From: a@example.com\nContent-Type: text/plain; charset=utf-8\n\n") + (b"caf\xe9 ok")
    parsed = parse_mail(raw)
    assert parsed.text == "caf\ufffd ok"
    assert problems_of(parsed) == ["a part is not valid utf-8; unreadable bytes were replaced"]


def test_eight_bit_body_without_any_declaration() -> None:
    """No MIME headers at all: 8-bit UTF-8 is read as UTF-8, other bytes as Windows-1252."""
    parsed = parse_mail(b"From: a@example.com\r\nSubject: x\r\n\r\n" + "Grüße".encode())
    assert parsed.text == "Grüße"
    assert problems_of(parsed) == []
    parsed = parse_mail(b"From: a@example.com\r\n\r\n" + "Grüße".encode("cp1252"))
    assert parsed.text == "Grüße"
    assert problems_of(parsed) == ["a part has 8-bit text but no charset; read as windows-1252"]


def test_raw_eight_bit_headers_are_decoded() -> None:
    """Unencoded UTF-8 (RFC 6532) and legacy 8-bit bytes in headers become text, not mojibake."""
    raw = "From: Jörg Müller <jörg@müller.example>\r\nSubject: Grüße aus Köln\r\n\r\nbody".encode()
    parsed = parse_mail(raw)
    assert parsed.subject == "Grüße aus Köln"
    assert parsed.sender == Address("jörg@xn--mller-kva.example", "Jörg Müller")
    raw = (
        b"From: a@example.jp\r\nSubject: "
        + "日本語".encode("cp932")
        + b"\r\nContent-Type: text/plain; charset=shift_jis\r\n\r\n"
        + "本文".encode("cp932")
    )
    parsed = parse_mail(raw)
    assert parsed.subject == "日本語"
    assert parsed.text == "本文"


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("=?utf-8?q?Caf=C3=A9_cr=C3=A8me?=", "Café crème"),
        ("=?UTF-8?B?Q2Fmw6k?=", "Café"),  # missing padding
        ("=?utf-8?b?Q2Fmw6k=====?=", "Café"),  # too much padding
        ("=?utf-8?B?5pel5pys?= =?utf-8?B?6Kqe?=", "日本語"),  # whitespace between words
        ("=?utf-8?B?5pel5g==?= =?utf-8?B?nKzoqp4=?=", "日本語"),  # a character split over two words
        ("Re: =?iso-8859-1?q?H=E9llo?= world", "Re: Héllo world"),
        ("=?x-bogus?q?abc?=", "abc"),
        ("=?utf-8?q?unterminated", "=?utf-8?q?unterminated"),
        ("=?koi8-r?B?8NLJ18XU?=", "Привет"),
        ("=?gb2312?B?1tDOxA==?=", "中文"),
        ("=?utf-8*en?q?lang_tag?=", "lang tag"),
        ("  spaced \t  out\r\n   subject  ", "spaced out subject"),
    ],
)
def test_rfc2047_subjects_including_broken_ones(header: str, expected: str) -> None:
    """Encoded words decode, forgiving padding, splitting, unknown charsets and junk."""
    parsed = parse_mail(crlf(f"From: a@example.com\nSubject: {header}\n\nx"))
    assert parsed.subject == expected


def test_long_subject_is_cut_to_998_characters() -> None:
    """A subject is at most 998 characters."""
    parsed = parse_mail(crlf(f"From: a@example.com\nSubject: {'a' * 5000}\n\nx"))
    assert parsed.subject == "a" * 998


# Transfer encodings and lines


def test_lines_longer_than_1000_bytes_survive() -> None:
    """A body line far over the 998-byte limit is read whole."""
    line = "word " * 2000
    parsed = parse_mail(crlf(f"From: a@example.com\nSubject: long\n\n{line}\nnext"))
    assert parsed.text == f"{line}\nnext".strip()


def test_base64_with_broken_padding_is_decoded_and_noted() -> None:
    """Base64 missing its padding decodes as far as it can and says so."""
    encoded = base64.b64encode("Hello wörld!".encode()).decode().rstrip("=")[:-1]
    raw = crlf(
        "From: a@example.com\nContent-Type: text/plain; charset=utf-8\n"
        f"Content-Transfer-Encoding: base64\n\n{encoded}\n"
    )
    parsed = parse_mail(raw)
    assert parsed.text.startswith("Hello w")
    assert any("base64" in problem for problem in problems_of(parsed))


def test_quoted_printable_soft_breaks_and_bad_escapes() -> None:
    """Quoted-printable soft line breaks join; invalid escapes are kept as written."""
    raw = crlf(
        "From: a@example.com\nContent-Type: text/plain; charset=utf-8\n"
        "Content-Transfer-Encoding: quoted-printable\n\nsoft=\n break =C3=A9 =ZZ bad\n"
    )
    assert parse_mail(raw).text == "soft break é =ZZ bad"


def test_format_flowed_text_is_unwrapped() -> None:
    """format=flowed soft breaks are joined; the signature separator stays."""
    raw = crlf(
        "From: a@example.com\nContent-Type: text/plain; charset=utf-8; format=flowed\n\n"
        "This is a long \nflowed line.\n-- \nAlice\n"
    )
    assert parse_mail(raw).text == "This is a long flowed line.\n-- \nAlice"
