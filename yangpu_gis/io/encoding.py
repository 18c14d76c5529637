"""Text-encoding detection for DBF attribute tables and CSV files.

Chinese bureau files are UTF-8 or GBK/GB18030, often without saying which (a shapefile
without ``.cpg``, a CSV saved by Excel). Decoding decides: valid UTF-8 is taken as UTF-8
(GBK text is almost never valid UTF-8), otherwise GB18030 (a superset of GBK and GB2312).
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

import numpy as np

from .. import settings
from ..errors import SourceError

__all__ = [
    "ENCODING_EXAMPLES",
    "EncodingGuess",
    "LineEncodings",
    "cpg_to_codec",
    "detect_bytes_encoding",
    "line_encodings",
    "normalise_codec",
    "split_lines",
    "text_codec",
]

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


#: Encodings named as examples when ``--encoding`` is not one Python knows.
ENCODING_EXAMPLES = "utf-8, gbk, gb18030 (also big5, latin-1)"


def text_codec(name: str, *, source: str | None = None) -> str:
    """The Python codec for a user's ``--encoding``, or a clean refusal.

    Raises
    ------
    SourceError
        When Python knows no such text encoding (``rot13``, ``base64`` and other
        bytes-to-bytes or text-to-text codecs are refused too).

    Examples
    --------
    >>> text_codec("GBK")
    'gb18030'
    """

    try:
        codec = normalise_codec(name)
        known = codecs.lookup(codec)._is_text_encoding  # noqa: SLF001 - the stdlib's own flag
    except (LookupError, ValueError, TypeError):
        known = False
    if not known:
        raise SourceError(f"unknown text encoding {name!r} (--encoding)", source=source,
                          hint=f"name one Python knows, e.g. {ENCODING_EXAMPLES}")
    return codec


def _decodes(data: bytes, codec: str) -> bool:
    try:
        data.decode(codec)
    except UnicodeError:
        return False
    return True


#: Line breaks of text files (universal newlines: CR-only files count lines too). No byte
#: of these is ever inside a UTF-8, GBK or GB18030 multi-byte character.
_LINE_BREAK = re.compile(rb"\r\n|\r|\n")


def split_lines(data: bytes) -> list[bytes]:
    """Physical lines of ``data`` (without their breaks); line ``i + 1`` is ``[i]``."""
    return _LINE_BREAK.split(data)


@dataclass(frozen=True)
class LineEncodings:
    """Which non-ASCII lines of a text file decode in which candidate encoding.

    Attributes
    ----------
    lines : list of int
        1-based numbers of the lines that hold non-ASCII bytes.
    decodes : dict
        codec -> boolean array aligned with ``lines``.
    """

    lines: list[int]
    decodes: dict[str, np.ndarray]

    def only(self, codec: str) -> list[int]:
        """Lines that ``codec`` decodes and no other candidate does."""
        ok = self.decodes[codec].copy()
        for other, mask in self.decodes.items():
            if other != codec:
                ok &= ~mask
        return [n for n, flag in zip(self.lines, ok, strict=True) if flag]

    def failing(self, codec: str) -> list[int]:
        """Lines that ``codec`` does not decode."""
        return [n for n, flag in zip(self.lines, self.decodes[codec], strict=True) if not flag]


def line_encodings(lines: list[bytes], codecs_: tuple[str, ...]) -> LineEncodings:
    """Decode every non-ASCII line in each of ``codecs_`` (per line, so a mixed file shows)."""
    numbers = [i + 1 for i, line in enumerate(lines) if re.search(rb"[\x80-\xff]", line)]
    decodes = {
        c: np.array([_decodes(lines[n - 1], c) for n in numbers], dtype=bool) for c in codecs_
    }
    return LineEncodings(numbers, decodes)
