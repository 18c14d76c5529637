"""Text values the registry refuses: NUL and other control characters.

Decision (documented in docs/loading.md): a text value may hold any Unicode character except
the C0 controls U+0000–U+001F other than tab (U+0009), line feed (U+000A) and carriage return
(U+000D), DEL (U+007F) and the C1 controls U+0080–U+009F. NUL cannot be stored at all
(PostgreSQL refuses it, SQLite/GDAL cut the text at it, so GeoPackage kept ``nul`` of
``nul\\u0000byte``); the others are invisible, break CSV and terminal output, and in bureau
files are always debris of a broken export or a wrong decoding. Refusing them names the
rows and field, on both backends alike.

GDAL cuts GeoJSON strings at an escaped NUL (``\\u0000``) while reading, so GeoJSON files
are also scanned before GDAL sees them (:func:`geojson_nul_problems`).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..errors import Problem, SourceError

__all__ = ["CONTROL_CHARACTERS", "GeoJSONScan", "check_geojson_text", "control_characters"]

#: Characters refused in text values (see the module docstring).
CONTROL_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
#: The same class for Arrow's (RE2) regular expressions: code points, as in ``re``.
_CONTROL_RE2 = r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]"


def _describe(chars: set[str]) -> str:
    shown = sorted(chars)[:4]
    names = ", ".join("NUL (U+0000)" if c == "\x00" else f"U+{ord(c):04X}" for c in shown)
    if chars == {"\x00"}:
        return "a NUL character (U+0000)"
    return f"control character{'s' if len(chars) > 1 else ''} {names}"


def control_characters(values: pd.Series, arrow: pa.ChunkedArray | None = None
                       ) -> tuple[np.ndarray, str]:
    """Where text values hold refused control characters, and which ones (for the message).

    Parameters
    ----------
    values : pandas.Series
        Text (``str`` or missing) values.
    arrow : pyarrow.ChunkedArray, optional
        The same texts as Arrow strings (a missing value may be any text without control
        characters, e.g. ``""``): searched there first, without a Python string per value;
        ``values`` are looked at only when that finds something.

    Returns
    -------
    mask : numpy.ndarray of bool
    what : str
        e.g. ``a NUL character (U+0000)`` or ``control characters U+001B, U+0085``.

    Examples
    --------
    >>> mask, what = control_characters(pd.Series(["ok", "nul\\x00byte", None]))
    >>> mask.tolist(), what
    ([False, True, False], 'a NUL character (U+0000)')
    """
    if arrow is not None and not pc.any(pc.match_substring_regex(arrow, _CONTROL_RE2)).as_py():
        return np.zeros(len(values), bool), ""
    objects = values.astype(object).to_numpy()
    mask = np.zeros(len(objects), bool)
    found: set[str] = set()
    # one search over all the texts joined by line feeds (a character the pattern never
    # matches, so a match lies inside one value); value by value only when it finds one
    try:  # missing values are never text; anything else left over is not text either
        joined = "\n".join(objects[~pd.isna(objects)].tolist())
    except TypeError:
        joined = "\n".join(v for v in objects if isinstance(v, str))
    if CONTROL_CHARACTERS.search(joined) is None:
        return mask, ""
    for i, v in enumerate(objects):
        if isinstance(v, str) and CONTROL_CHARACTERS.search(v):
            mask[i] = True
            found.update(CONTROL_CHARACTERS.findall(v))
    return mask, _describe(found) if found else ""


def _strings(value: object, path: str = "") -> list[tuple[str, str]]:
    """(member path, text) of every string inside a JSON value (keys included)."""
    if isinstance(value, str):
        return [(path, value)]
    out: list[tuple[str, str]] = []
    if isinstance(value, dict):
        for k, v in value.items():
            out.append((path, str(k)))
            out.extend(_strings(v, path))
    elif isinstance(value, list):
        for v in value:
            out.extend(_strings(v, path))
    return out


#: A bare JSON ``true``/``false`` as a member value (not inside a string).
_BARE_BOOL = re.compile(rb":\s*(?:true|false)\s*[,}\]]")


@dataclass
class GeoJSONScan:
    """What a GeoJSON file holds that GDAL hides.

    Attributes
    ----------
    booleans : dict of str to list of int
        Property name to the 0-based positions of the features whose value is JSON
        ``true``/``false`` (GDAL reads them as 1/0 in a number column).
    crs_member : object
        The top-level ``crs`` member, or None when the file has none.
    """

    booleans: dict[str, list[int]] = field(default_factory=dict)
    crs_member: object = None


def check_geojson_text(path: Path) -> GeoJSONScan:
    """Refuse a GeoJSON file whose property texts hold NUL, by feature and field; and report
    the booleans and the ``crs`` member GDAL would hide (:class:`GeoJSONScan`).

    The file is read once; it is parsed as JSON only when it contains ``\\u0000`` (or a
    raw NUL byte), a bare ``true``/``false`` or a ``"crs"`` key, so the usual file costs a few
    byte searches.

    Raises
    ------
    SourceError
        Naming the features (1-based, as QGIS numbers them) and the fields.
    """
    data = path.read_bytes()
    scan = GeoJSONScan()
    has_nul = b"\\u0000" in data or b"\x00" in data
    if not has_nul and b'"crs"' not in data and _BARE_BOOL.search(data) is None:
        return scan
    if b"\x00" in data:
        line = data[: data.index(b"\x00")].count(b"\n") + 1
        raise SourceError("the file holds a NUL byte, which JSON does not allow",
                          source=str(path),
                          problems=[Problem("NUL byte", rows=[line], row_label="line")],
                          hint="export the file again; it may be damaged")
    try:
        doc = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        return scan  # GDAL reports what is wrong with the file
    if isinstance(doc, dict):
        scan.crs_member = doc.get("crs")
    features = doc.get("features") if isinstance(doc, dict) else None
    if isinstance(doc, dict) and doc.get("type") == "Feature":
        features = [doc]
    if not isinstance(features, list):
        return scan
    by_field: dict[str, list[int]] = {}
    for i, feature in enumerate(features):
        props = feature.get("properties") if isinstance(feature, dict) else None
        if not isinstance(props, dict):
            continue
        for name, value in props.items():
            if isinstance(value, bool):
                scan.booleans.setdefault(str(name), []).append(i)
            if not has_nul:
                continue
            texts = [("", str(name)), *_strings(value)]
            if any("\x00" in t for _, t in texts):
                by_field.setdefault(str(name).replace("\x00", "\\u0000"), []).append(i + 1)
    if by_field:
        raise SourceError(
            "text values hold NUL characters (\\u0000), which the registry does not store",
            source=str(path),
            problems=[Problem("text holds a NUL character (U+0000)", rows=rows, field=name,
                              row_label="feature") for name, rows in by_field.items()],
            hint="remove the \\u0000 from these values (often debris of a broken export)",
        )
    return scan
