"""Readers, encoding and CRS detection, validation and repair of bureau files."""

from __future__ import annotations

from .sources import RawSource, from_frame, read_source
from .validate import (
    Prepared,
    parse_mapping,
    parse_value_mapping,
    prepare,
    read_mapping_file,
)

__all__ = [
    "Prepared",
    "RawSource",
    "from_frame",
    "parse_mapping",
    "parse_value_mapping",
    "prepare",
    "read_mapping_file",
    "read_source",
]
