"""Fuzzing: parse_mail never raises and never emits unsafe HTML."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.maillog.parse.samples import (
    MALICIOUS_HTML,
    OUTLOOK,
    PNG,
    assert_safe,
    problems_of,
    simple_mail,
)
from tracklog.maillog.parse import parse_mail


def _calendar_sample() -> bytes:
    """An invite mail, for mutating."""
    message = simple_mail("Meeting")
    message.add_alternative("<p>Meeting <a href='https://x.example'>link</a></p>", subtype="html")
    message.add_alternative("BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n", subtype="calendar")
    return message.as_bytes()


def _malicious_sample() -> bytes:
    """Hostile HTML with an inline image, for mutating."""
    message = simple_mail("plain")
    message.add_alternative(MALICIOUS_HTML + '<img src="cid:logo">', subtype="html")
    message.get_payload()[1].add_related(PNG, "image", "png", cid="<logo>")
    return message.as_bytes()


def _forward_sample() -> bytes:
    """A forwarded message with an attachment, for mutating."""
    inner = simple_mail("Inner", Subject="=?utf-8?q?Gr=C3=BC=C3=9Fe?=")
    inner.add_attachment(b"%PDF", maintype="application", subtype="pdf", filename="a.pdf")
    outer = simple_mail("FYI")
    outer.add_attachment(inner)
    return outer.as_bytes()


SAMPLES = [OUTLOOK, _calendar_sample(), _malicious_sample(), _forward_sample()]


def check(raw: bytes) -> None:
    """parse_mail keeps its promises on this input, and hashes it the same twice."""
    parsed = parse_mail(raw)
    assert_safe(parsed)
    assert parse_mail(raw).content_hash == parsed.content_hash
    # The last-resort fallback is for bugs; fuzzing must not reach it.
    assert not [p for p in problems_of(parsed) if p.startswith("tracklog could not read")]


@settings(max_examples=400, deadline=None, database=None)
@given(st.binary(max_size=3000))
def test_fuzz_random_bytes(raw: bytes) -> None:
    """Random bytes never make parse_mail raise or emit unsafe HTML."""
    check(raw)


@settings(max_examples=200, deadline=None, database=None)
@given(st.lists(st.sampled_from([b"From: ", b"--b\r\n", b"\r\n", b"=?utf-8?B?", b"?=",
                                 b"Content-Type: multipart/mixed; boundary=b\r\n",
                                 b"<script>", b"javascript:", b"\xff\xfe", b"cid:", b"<img src=",
                                 b"Content-Transfer-Encoding: base64\r\n", b"=\r\n", b"\x1b$B"]),
                max_size=40))  # fmt: skip
def test_fuzz_mail_shaped_fragments(pieces: list[bytes]) -> None:
    """Mail-shaped fragments in any order never make parse_mail raise."""
    check(b"".join(pieces))


@st.composite
def mutated_samples(draw: st.DrawFn) -> bytes:
    """A sample mail with byte flips, truncation, and lines duplicated or removed."""
    raw = bytearray(draw(st.sampled_from(SAMPLES)))
    for _ in range(draw(st.integers(0, 6))):
        operation = draw(st.sampled_from(["flip", "truncate", "duplicate", "remove", "insert"]))
        if not raw:
            break
        index = draw(st.integers(0, len(raw) - 1))
        if operation == "flip":
            raw[index] ^= 1 << draw(st.integers(0, 7))
        elif operation == "truncate":
            del raw[index:]
        elif operation == "insert":
            raw[index:index] = draw(st.binary(min_size=1, max_size=20))
        else:
            lines = bytes(raw).split(b"\r\n") if b"\r\n" in raw else bytes(raw).split(b"\n")
            line = draw(st.integers(0, len(lines) - 1))
            if operation == "duplicate":
                lines.insert(line, lines[line])
            else:
                del lines[line]
            raw = bytearray(b"\r\n".join(lines))
    return bytes(raw)


@settings(
    max_examples=500,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(mutated_samples())
def test_fuzz_mutated_samples(raw: bytes) -> None:
    """Broken copies of real-looking mail never make parse_mail raise or emit unsafe HTML."""
    check(raw)


def test_samples_parse_cleanly() -> None:
    """The fuzzing seeds themselves are well-formed and safe."""
    for raw in SAMPLES:
        parsed = parse_mail(raw)
        assert_safe(parsed)
        assert problems_of(parsed) == [], problems_of(parsed)


def test_random_fifty_kilobyte_blobs() -> None:
    """Large random inputs, beyond what hypothesis generates, stay safe."""
    for seed in range(5):
        check(os.urandom(50_000 + seed))
