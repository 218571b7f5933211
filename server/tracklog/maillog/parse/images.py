"""Inline images shown in the HTML: cid: sources become data: URIs of the image, or a label."""

from __future__ import annotations

import base64
import html as html_lib
import re
from urllib.parse import unquote

from tracklog.maillog.parse.attachments import Part

MAX_INLINE_IMAGE = 2 * 1024 * 1024
# All data: URIs of one body together; a logo referenced a thousand times must not make 2 GB.
MAX_INLINE_TOTAL = 20 * 1024 * 1024
_IMG_TAG = re.compile(r"<img((?:\s+[^\s=>/]+(?:=\"[^\"]*\")?)*)\s*/?>")
_IMG_ATTRIBUTE = re.compile(r"\s+([^\s=>/]+)(?:=\"([^\"]*)\")?")
_C0_AND_SPACE = "".join(chr(code) for code in range(0x21))
# As browsers read URLs: leading controls and spaces, and tabs and newlines anywhere, ignored.
_CID_ATTRIBUTE = re.compile(
    r"\s(?:href|src)=\"[\x00-\x20]*c[\t\r\n]*i[\t\r\n]*d[\t\r\n]*:[^\"]*\"", re.IGNORECASE
)
_IMAGE_MAGIC = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"BM", "image/bmp"),
)


def inline_images(html: str, attachments: list[Part]) -> str:
    """Show inline images: cid: sources become data: URIs of the image, or a placeholder."""
    by_id: dict[str, Part] = {}
    for part in attachments:
        if part.content_id:
            by_id.setdefault(part.content_id, part)
            by_id.setdefault(part.content_id.lower(), part)
    budget = [MAX_INLINE_TOTAL]

    def replace(match: re.Match) -> str:
        """One <img> tag, its cid: source resolved."""
        attributes = dict(
            (name.lower(), value or "") for name, value in _IMG_ATTRIBUTE.findall(match.group(1))
        )
        source = re.sub(r"[\t\r\n]", "", html_lib.unescape(attributes.get("src", "")))
        source = source.strip(_C0_AND_SPACE)
        if not source.lower().startswith("cid:"):
            return match.group(0)
        wanted = unquote(source[4:]).strip().strip("<>")
        part = by_id.get(wanted) or by_id.get(wanted.lower())
        image_type = _image_type(part.data) if part is not None else None
        attributes.pop("src", None)
        if part is not None and image_type and len(part.data) <= MAX_INLINE_IMAGE:
            encoded = base64.b64encode(part.data).decode("ascii")
            if len(encoded) <= budget[0]:
                budget[0] -= len(encoded)
                attributes = {"src": f"data:{image_type};base64,{encoded}", **attributes}
                return _img_tag(attributes)
        if not attributes.get("alt"):
            label = part.filename if part is not None else wanted
            attributes["alt"] = html_lib.escape(f"[image: {label}]", quote=True)
        return _img_tag(attributes)

    html = _IMG_TAG.sub(replace, html)
    # Links to parts (and sources outside <img>) mean nothing in a browser.
    return _CID_ATTRIBUTE.sub("", html)


def _img_tag(attributes: dict[str, str]) -> str:
    """An <img> tag from already-escaped attribute values."""
    written = "".join(f' {name}="{value}"' for name, value in attributes.items())
    return f"<img{written}>"


def _image_type(data: bytes) -> str | None:
    """The image type its bytes show it to be, only for the formats browsers show safely."""
    for magic, content_type in _IMAGE_MAGIC:
        if data.startswith(magic):
            return content_type
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None
