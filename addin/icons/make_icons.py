"""Draw the tracklog mark (a white tick on a teal rounded square) as PNG icons, pure Python."""

from __future__ import annotations

import math
import struct
import zlib
from pathlib import Path

SIZES = (16, 20, 24, 32, 40, 48, 64, 80, 128)
BACKGROUND = (15, 110, 130)
MARK = (255, 255, 255)
SAMPLES = 4  # supersampling per axis, for smooth edges at 16 px
TICK = ((0.24, 0.53), (0.43, 0.71), (0.77, 0.31))


def _segment_distance(px: float, py: float, a: tuple, b: tuple) -> float:
    """Distance from a point to the segment a-b."""
    ax, ay = a
    bx, by = b
    dx, dy = bx - ax, by - ay
    t = max(0.0, min(1.0, ((px - ax) * dx + (py - ay) * dy) / (dx * dx + dy * dy)))
    return math.hypot(px - (ax + t * dx), py - (ay + t * dy))


def _inside_rounded_square(x: float, y: float, radius: float = 0.2) -> bool:
    """Whether a unit-square point lies in the square with rounded corners."""
    cx = min(max(x, radius), 1 - radius)
    cy = min(max(y, radius), 1 - radius)
    return math.hypot(x - cx, y - cy) <= radius


def _sample(x: float, y: float, stroke: float) -> tuple[tuple[int, int, int], bool]:
    """Colour and coverage of one sample point in unit coordinates."""
    if not _inside_rounded_square(x, y):
        return BACKGROUND, False
    near = min(_segment_distance(x, y, TICK[i], TICK[i + 1]) for i in range(len(TICK) - 1))
    return (MARK if near <= stroke / 2 else BACKGROUND), True


def draw(size: int) -> bytes:
    """RGBA rows of the mark at size x size pixels."""
    stroke = max(0.13, 2.2 / size)  # never thinner than about two pixels
    rows = bytearray()
    for row in range(size):
        rows.append(0)  # PNG filter type: none
        for column in range(size):
            red = green = blue = covered = 0
            for sy in range(SAMPLES):
                for sx in range(SAMPLES):
                    x = (column + (sx + 0.5) / SAMPLES) / size
                    y = (row + (sy + 0.5) / SAMPLES) / size
                    colour, inside = _sample(x, y, stroke)
                    if inside:
                        red, green, blue = red + colour[0], green + colour[1], blue + colour[2]
                        covered += 1
            if covered:
                rows += bytes((red // covered, green // covered, blue // covered))
                rows.append(round(255 * covered / SAMPLES**2))
            else:
                rows += bytes(4)
    return bytes(rows)


def png(size: int) -> bytes:
    """A complete PNG file of the mark."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        """One length-prefixed, CRC-suffixed PNG chunk."""
        crc = struct.pack(">I", zlib.crc32(kind + data))
        return struct.pack(">I", len(data)) + kind + data + crc

    header = struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0)  # 8-bit RGBA
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(draw(size), 9))
        + chunk(b"IEND", b"")
    )


def main() -> None:
    """Write icon-<size>.png next to this script."""
    folder = Path(__file__).resolve().parent
    for size in SIZES:
        (folder / f"icon-{size}.png").write_bytes(png(size))


if __name__ == "__main__":
    main()
