"""Draws admin_app/static/favicon.ico: the mark of static/img/mark.svg (a white open ring
and a green dot on a blue rounded square) at 16, 32 and 48 pixels, as PNGs inside an ICO,
with nothing but the standard library. Run it again after changing the mark."""

from __future__ import annotations

import math
import struct
import zlib
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "admin_app" / "static" / "favicon.ico"
BLUE, WHITE, GREEN = (0x1D, 0x4F, 0x91), (0xFF, 0xFF, 0xFF), (0x4F, 0xC3, 0xA1)
SAMPLES = 4  # per pixel side, for smooth edges


def colour_at(x: float, y: float) -> tuple[tuple[int, int, int], float]:
    """The mark's colour and coverage at (x, y) on its 32-unit square."""
    corner = 7.0
    dx = max(corner - x, 0, x - (32 - corner))
    dy = max(corner - y, 0, y - (32 - corner))
    if math.hypot(dx, dy) > corner:
        return BLUE, 0.0
    if math.hypot(x - 23.4, y - 16) <= 2.6:
        return GREEN, 1.0
    angle = math.degrees(math.atan2(y - 16, x - 16))
    if abs(math.hypot(x - 16, y - 16) - 8.6) <= 1.7 and abs(angle) >= 40:
        return WHITE, 1.0
    return BLUE, 1.0


def png(size: int) -> bytes:
    rows = []
    for row in range(size):
        line = bytearray([0])
        for col in range(size):
            total, alpha = [0.0, 0.0, 0.0], 0.0
            for sy in range(SAMPLES):
                for sx in range(SAMPLES):
                    colour, cover = colour_at((col + (sx + 0.5) / SAMPLES) * 32 / size,
                                              (row + (sy + 0.5) / SAMPLES) * 32 / size)
                    alpha += cover
                    for i in range(3):
                        total[i] += colour[i] * cover
            n = SAMPLES * SAMPLES
            rgb = [round(t / alpha) if alpha else 0 for t in total]
            line += bytes([*rgb, round(255 * alpha / n)])
        rows.append(bytes(line))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    header = struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(b"".join(rows), 9)) + chunk(b"IEND", b""))


def ico(sizes: tuple[int, ...] = (16, 32, 48)) -> bytes:
    images = [png(size) for size in sizes]
    offset = 6 + 16 * len(images)
    entries = b""
    for size, image in zip(sizes, images, strict=True):
        entries += struct.pack("<BBBBHHII", size, size, 0, 0, 1, 32, len(image), offset)
        offset += len(image)
    return struct.pack("<HHH", 0, 1, len(images)) + entries + b"".join(images)


if __name__ == "__main__":
    OUT.write_bytes(ico())
    print(f"wrote {OUT} ({OUT.stat().st_size} bytes)")
