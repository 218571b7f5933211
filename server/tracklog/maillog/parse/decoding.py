"""Bytes to text: charsets read as mailers really use them, and base64 as mailers break it."""

from __future__ import annotations

import base64
import codecs
import re

from tracklog.maillog.parse.problems import Problem

_CHARSET_LABELS = {
    "x-sjis": "shift_jis",
    "sjis": "shift_jis",
    "windows-31j": "cp932",
    "csshiftjis": "shift_jis",
    "x-euc-jp": "euc_jp",
    "x-gbk": "gbk",
    "cp-850": "cp850",
    "ks_c_5601-1987": "cp949",
    "ks_c_5601": "cp949",
    "x-mac-roman": "mac_roman",
    "macintosh": "mac_roman",
    "tis-620": "cp874",
    "windows-874": "cp874",
    "unicode-1-1-utf-7": "utf_7",
}
# Stricter or older labels that mailers use for the wider Microsoft or GB18030 sets.
_CHARSET_WIDENINGS = {
    "shift_jis": ("cp932", "shift_jis_2004"),
    "iso2022_jp": ("iso2022_jp", "iso2022_jp_ext", "iso2022_jp_2", "iso2022_jp_2004"),
    "euc_jp": ("euc_jp", "euc_jis_2004"),
    "gb2312": ("gb18030",),
    "gbk": ("gb18030",),
    "euc_kr": ("cp949",),
    "big5": ("big5hkscs", "cp950"),
    "latin_1": ("cp1252", "latin_1"),
    "iso8859_1": ("cp1252", "latin_1"),
    "cp1252": ("cp1252", "latin_1"),
    "ascii": ("utf_8", "cp1252", "latin_1"),
}
# Codecs that are not character sets a mail could be written in.
_REFUSED_CODECS = {"undefined", "unicode_escape", "raw_unicode_escape", "idna", "punycode"}
_UNKNOWN_LABELS = ("unknown-8bit", "x-unknown", "unknown", "x-user-defined", "default", "8bit")
_ANY_CHARSET = re.compile(rb"charset=[\"']?([A-Za-z0-9_.:-]+)", re.IGNORECASE)


def decode(data: bytes, label: str | None) -> tuple[str, Problem | None]:
    """Bytes as text in their charset (widened, guessed or replaced), and what went wrong."""
    name = (label or "").strip().strip("'\"").lower()[:40] or "us-ascii"
    canonical = None if name in _UNKNOWN_LABELS else _codec(name)
    if canonical is None:
        return _decode_unknown(data, name)
    if canonical == "iso2022_jp":
        text = _iso2022_jp(data)
        if text is not None:
            return text, None
    for candidate in _CHARSET_WIDENINGS.get(canonical, (canonical,)):
        try:
            text = data.decode(candidate)
        except (UnicodeDecodeError, LookupError):
            continue
        except Exception:  # some codecs fail in their own ways
            continue
        if canonical == "ascii" and candidate != "utf_8":
            shown = {"cp1252": "windows-1252", "latin_1": "iso-8859-1"}[candidate]
            return text, Problem.of("unlabelled_8bit", charset=shown)
        return text, None
    if canonical != "utf_8":
        try:
            return data.decode("utf-8"), Problem.of("mislabelled_utf8", charset=name)
        except UnicodeDecodeError:
            pass
    try:
        text = data.decode(canonical, "replace")
    except Exception:
        return data.decode("utf-8", "replace"), Problem.of("unusable_charset", charset=name)
    return text, Problem.of("invalid_charset_bytes", charset=name)


def _decode_unknown(data: bytes, name: str) -> tuple[str, Problem | None]:
    """Bytes in a charset Python does not know, read as UTF-8."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("utf-8", "replace"), Problem.of("unknown_charset_replaced", charset=name)
    return text, None if data.isascii() else Problem.of("unknown_charset", charset=name)


def _iso2022_jp(data: bytes) -> str | None:
    """ISO-2022-JP, including Microsoft's NEC row-13 symbols (①, ㈱) that JIS X 0208 lacks."""
    for candidate in _CHARSET_WIDENINGS["iso2022_jp"]:
        try:
            return data.decode(candidate)
        except (UnicodeDecodeError, LookupError):
            continue
    try:
        # JIS X 0213 plane 1 is a superset of JIS X 0208 that placed the NEC symbols where Windows
        # writes them, so re-designating it decodes CP50220-style mail.
        return (
            data.replace(b"\x1b$B", b"\x1b$(Q")
            .replace(b"\x1b$@", b"\x1b$(Q")
            .decode("iso2022_jp_2004")
        )
    except (UnicodeDecodeError, LookupError):
        return None


def _codec(label: str) -> str | None:
    """Python's name for a charset label, or None when it is unknown or not a text encoding."""
    label = _CHARSET_LABELS.get(label, label)
    if len(label) > 64:
        return None
    try:
        info = codecs.lookup(label)
    except (LookupError, ValueError, TypeError):
        return None
    name = info.name.replace("-", "_")
    if not getattr(info, "_is_text_encoding", True) or name in _REFUSED_CODECS:
        return None
    return {"utf_8_sig": "utf_8", "iso8859_1": "latin_1"}.get(name, name)


def charset_hint(raw: bytes) -> str | None:
    """The first charset the mail names anywhere, to read unlabelled 8-bit headers with."""
    found = _ANY_CHARSET.search(raw, 0, 1_000_000)
    if not found:
        return None
    label = found.group(1).decode("ascii", "replace").lower()
    return label if _codec(label) else None


def lenient_b64(encoded: str) -> bytes:
    """Base64 with missing or extra padding and stray characters tolerated."""
    letters = re.sub(r"[^A-Za-z0-9+/]", "", encoded)
    if len(letters) % 4 == 1:
        letters = letters[:-1]
    letters += "=" * (-len(letters) % 4)
    return base64.b64decode(letters)
