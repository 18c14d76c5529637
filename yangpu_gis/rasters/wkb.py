"""PostGIS raster WKB (version 0) for single-band float32 tiles: what ``raster2pgsql``
writes, built with NumPy so rasters go to the server by ``COPY`` without GDAL's PostGIS
driver.

Layout (little endian): endianness u8, version u16, bands u16, scale x/y f64, upper-left
x/y f64, skew x/y f64, srid i32, width u16, height u16; per band: flags u8 (pixel type in
the low nibble, 0x40 = has nodata), nodata value, then the pixels row by row.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator

import numpy as np
from affine import Affine

__all__ = ["PT_32BF", "decode_tile", "encode_tile", "tiles"]

PT_32BF = 10
_HEADER = struct.Struct("<BHHddddddiHH")
_PIXTYPES = {PT_32BF: np.dtype("<f4"), 11: np.dtype("<f8")}


def encode_tile(values: np.ndarray, transform: Affine, srid: int, nodata: float) -> bytes:
    """WKB of one float32 tile (NaN written as ``nodata``)."""
    h, w = values.shape
    head = _HEADER.pack(1, 0, 1, transform.a, transform.e, transform.c, transform.f,
                        transform.b, transform.d, srid, w, h)
    data = np.where(np.isfinite(values), values, nodata).astype("<f4")
    return head + struct.pack("<Bf", PT_32BF | 0x40, nodata) + data.tobytes()


def decode_tile(wkb: bytes) -> tuple[np.ndarray, Affine]:
    """Values (NaN for nodata) and transform of a single-band raster WKB."""
    if wkb[0] != 1:
        raise ValueError("only little-endian raster WKB is supported")
    (_, _, nbands, sx, sy, ulx, uly, kx, ky, _srid, w, h) = _HEADER.unpack_from(wkb)
    if nbands != 1:
        raise ValueError("expected one band")
    off = _HEADER.size
    flags = wkb[off]
    dtype = _PIXTYPES[flags & 0x0F]
    off += 1
    nodata = np.frombuffer(wkb, dtype=dtype, count=1, offset=off)[0]
    off += dtype.itemsize
    values = np.frombuffer(wkb, dtype=dtype, count=w * h, offset=off).reshape(h, w)
    values = values.astype(np.float32)
    if flags & 0x40:
        values[values == nodata] = np.nan
    return values, Affine(sx, kx, ulx, ky, sy, uly)


def tiles(values: np.ndarray, transform: Affine, size: int, *,
          pad: bool = False) -> Iterator[tuple[np.ndarray, Affine]]:
    """Split a raster into ``size`` × ``size`` tiles, skipping tiles without any valid cell.

    Tiles at the right and bottom edges are smaller, or with ``pad`` filled up to full size
    with NaN (``raster2pgsql -P``: every tile the same size, as PostGIS's block-size raster
    constraints require).
    """
    h, w = values.shape
    for r in range(0, h, size):
        for c in range(0, w, size):
            block = values[r:r + size, c:c + size]
            if np.isfinite(block).any():
                if pad and block.shape != (size, size):
                    full = np.full((size, size), np.nan, dtype=block.dtype)
                    full[:block.shape[0], :block.shape[1]] = block
                    block = full
                yield block, transform @ Affine.translation(c, r)
