"""28x28 grey images of a result (filters, generated digits) as PNG data URIs, so a finished
run's page shows them as plain <img> without scripts. A PNG is a few lines of zlib: no imaging
library in the web process."""

from __future__ import annotations

import base64
import binascii
import struct
import zlib

SIDE = 28


def _chunk(kind: bytes, data: bytes) -> bytes:
    body = kind + data
    return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)


def png_data_uri(pixels_b64: str) -> str | None:
    """The image (base64 of 784 bytes, 255 = ink) as a PNG data URI, ink dark on white; None
    when it is not a 28x28 image."""
    try:
        pixels = base64.b64decode(pixels_b64, validate=True)
    except (binascii.Error, ValueError):
        return None
    if len(pixels) != SIDE * SIDE:
        return None
    inked = bytes(255 - p for p in pixels)
    rows = b"".join(b"\x00" + inked[r * SIDE : (r + 1) * SIDE] for r in range(SIDE))
    header = struct.pack(">IIBBBBB", SIDE, SIDE, 8, 0, 0, 0, 0)  # 8-bit greyscale
    png = (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(rows, 9))
        + _chunk(b"IEND", b"")
    )
    return "data:image/png;base64," + base64.b64encode(png).decode()
