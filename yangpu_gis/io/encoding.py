"""Text-encoding detection for DBF attribute tables and CSV files.

Chinese bureau files are UTF-8 or GBK/GB18030, often without saying which (a shapefile
without ``.cpg``, a CSV saved by Excel). Decoding decides: valid UTF-8 is taken as UTF-8
(GBK text is almost never valid UTF-8), otherwise GB18030 (a superset of GBK and GB2312).
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass

from .. import settings

__all__ = ["EncodingGuess", "cpg_to_codec", "detect_bytes_encoding", "normalise_codec"]

#: Code-page numbers and names found in .cpg files and DBF language-driver ids.
_CPG_NAMES = {
    "65001": "utf-8",
    "utf8": "utf-8",
    "utf-8": "utf-8",
    "936": "gb18030",
    "cp936": "gb18030",
    "gbk": "gb18030",
    "gb2312": "gb18030",
    "gb18030": "gb18030",
    "54936": "gb18030",
    "950": "big5",
    "big5": "big5",
    "1252": "cp1252",
    "latin1": "latin-1",
    "iso-8859-1": "latin-1",
    "88591": "latin-1",
    "ascii": "ascii",
}


@dataclass(frozen=True)
class EncodingGuess:
    """Which encoding was used and why (shown to the user)."""

    codec: str
    how: str

    @property
    def display(self) -> str:
        """Name users know: GBK rather than gb18030."""
        return {"gb18030": "GBK/GB18030", "utf-8": "UTF-8", "ascii": "ASCII"}.get(
            self.codec, self.codec
        )


def normalise_codec(name: str) -> str:
    """Map a user's or a ``.cpg`` file's encoding name to a Python codec name.

    Raises
    ------
    LookupError
        If Python knows no such codec.
    """
    key = name.strip().lower().replace("_", "-")
    if key.startswith("ansi "):
        key = key[5:]
    key = _CPG_NAMES.get(key.replace("-", ""), _CPG_NAMES.get(key, key))
    return codecs.lookup(key).name


def cpg_to_codec(text: str) -> str | None:
    """Codec named by a ``.cpg`` file's text, or ``None`` if not recognised."""
    try:
        return normalise_codec(text)
    except LookupError:
        return None


def detect_bytes_encoding(chunks: list[bytes]) -> EncodingGuess | None:
    """Guess the encoding of some text byte strings.

    Parameters
    ----------
    chunks : list of bytes
        Values (or blocks) that contain at least one non-ASCII byte.

    Returns
    -------
    EncodingGuess or None
        ``None`` if no candidate of ``settings.fallback_encodings`` decodes every chunk.

    Examples
    --------
    >>> detect_bytes_encoding(["杨浦".encode("gbk")]).display
    'GBK/GB18030'
    >>> detect_bytes_encoding(["杨浦".encode("utf-8")]).display
    'UTF-8'
    """
    if not chunks:
        return EncodingGuess("ascii", "all text is ASCII")
    for codec in settings.fallback_encodings:
        name = codecs.lookup(codec).name
        try:
            for chunk in chunks:
                chunk.decode(name)
        except UnicodeDecodeError:
            continue
        return EncodingGuess(name, f"detected: every text value decodes as {name}")
    return None
