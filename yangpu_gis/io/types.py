"""Column values to the catalogue's types, vectorised, with the rows that would not convert.

The same functions turn a bureau's raw values into catalogue values on load and turn what a
backend returns into the same dtypes on read, so that GeoPackage and PostGIS give identical
frames:

=========  =====================================  ==========================================
type       canonical pandas dtype                 accepted input
=========  =====================================  ==========================================
str        ``object`` (Python ``str`` / None)     anything; integral floats lose their ``.0``
int        ``Int64``                              integers, integral floats, numeric text
float      ``float64``                            numbers, numeric text (``1,200.5`` too)
bool       ``boolean``                            true/false, 1/0, yes/no, y/n, 是/否, 有/无
date       ``datetime64[ns]`` (midnight)          dates, ``2021-05-01``, ``2021/5/1``,
                                                  ``20210501``, ``2021年5月1日``
datetime   ``datetime64[ns, Asia/Shanghai]``      ISO 8601 with or without offset; naive
                                                  times are Asia/Shanghai (DOMAIN.md)
=========  =====================================  ==========================================
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..catalogue import Column

__all__ = ["INT64_RANGE", "TIMEZONE", "arrow_strings", "coerce", "int_overflow", "is_blank",
           "mismatched_cells"]

#: Time zone of naive datetimes (DOMAIN.md: "Asia/Shanghai when none is given").
TIMEZONE = "Asia/Shanghai"

_TRUE = {"true", "t", "1", "yes", "y", "是", "有", "共享", "√", "1.0"}
_FALSE = {"false", "f", "0", "no", "n", "否", "无", "不共享", "×", "0.0"}
_TZ_SUFFIX = re.compile(r"(Z|[+-]\d{2}:?\d{2})$")
#: Whole numbers the registry can store (64-bit signed, as GeoPackage and PostGIS ``bigint``).
INT64_RANGE = (-(2**63), 2**63 - 1)
_DIGITS = re.compile(r"[+-]?\d+")
#: Cell types a spreadsheet (or a typed GIS field) gives that are never numbers or booleans.
_DATELIKE = (dt.date, dt.time, dt.timedelta, np.datetime64, np.timedelta64)


#: Every character ``str.strip()`` removes (``str.isspace``), for Arrow's ``utf8_trim``
#: (Unicode has no white space outside the Basic Multilingual Plane).
_WHITESPACE = "".join(c for c in map(chr, range(0x10000)) if c.isspace())
_NONE_TYPE = type(None)


def arrow_strings(series: pd.Series) -> pa.ChunkedArray | None:
    """The Arrow array behind an Arrow-backed string column (what pyogrio gives), else None."""
    arr = series.array
    if not isinstance(arr, pd.arrays.ArrowExtensionArray):
        return None
    chunked = arr.__arrow_array__()
    if not isinstance(chunked, pa.ChunkedArray):
        chunked = pa.chunked_array([chunked])
    kind = chunked.type
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        return chunked
    return None


def _stripped(chunked: pa.ChunkedArray) -> tuple[pa.ChunkedArray, np.ndarray]:
    """``str.strip()`` of every value (nulls stay null), and where that leaves nothing."""
    trimmed = pc.utf8_trim(chunked, characters=_WHITESPACE)
    empty = pc.equal(pc.utf8_length(trimmed), 0).fill_null(False)
    return trimmed, np.asarray(empty.to_numpy(zero_copy_only=False), dtype=bool)


def _only_str_or_none(values: np.ndarray) -> bool:
    return set(map(type, values)) <= {str, _NONE_TYPE}


def is_blank(series: pd.Series) -> np.ndarray:
    """True where a value is missing: None, NaN, NaT or whitespace-only text."""
    blank = series.isna().to_numpy(bool).copy()
    if series.dtype == object or pd.api.types.is_string_dtype(series.dtype):
        chunked = arrow_strings(series)
        if chunked is not None:
            blank |= _stripped(chunked)[1]
            return blank
        text = series.astype(object).where(~blank, "")
        blank |= np.array([isinstance(v, str) and not v.strip() for v in text], dtype=bool)
    return blank


def _as_text(series: pd.Series) -> pd.Series:
    """Strings, with integral floats written without ``.0`` (ids from DBF numeric fields)."""
    chunked = arrow_strings(series)
    if chunked is not None:  # vectorised: every value is text or missing
        trimmed, empty = _stripped(chunked)
        values = np.asarray(trimmed.to_numpy(zero_copy_only=False), dtype=object)
        values[empty] = None
        return pd.Series(values, index=series.index, dtype=object)
    objects = series.astype(object).to_numpy()
    if _only_str_or_none(objects):  # the same as one() below, without its type tests
        return pd.Series([None if v is None else (v.strip() or None) for v in objects],
                         index=series.index, dtype=object)

    def one(v: Any) -> Any:
        if v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NA or v is pd.NaT:
            return None
        if isinstance(v, (float, np.floating)) and float(v).is_integer():
            return str(int(v))
        if isinstance(v, pd.Timestamp):
            return v.isoformat()
        text = str(v).strip()
        return text or None

    return pd.Series([one(v) for v in objects], index=series.index, dtype=object)


def _number_text(series: pd.Series) -> pd.Series:
    """Values as objects, text without blanks and thousands separators; dates, times and
    booleans (spreadsheet cells of the wrong type) become None, never a number."""
    def one(v: Any) -> Any:
        if isinstance(v, str):
            return v.strip().replace(",", "").replace("，", "")
        if isinstance(v, (bool, np.bool_, *_DATELIKE)):
            return None
        return v

    return series.astype(object).map(one)


def _numeric(series: pd.Series) -> pd.Series:
    if pd.api.types.is_bool_dtype(series.dtype) or pd.api.types.is_datetime64_any_dtype(
            series.dtype) or pd.api.types.is_timedelta64_dtype(series.dtype):
        return pd.Series(np.nan, index=series.index, dtype="float64")
    if pd.api.types.is_numeric_dtype(series.dtype):
        return series.astype("float64")
    return pd.to_numeric(_number_text(series), errors="coerce").astype("float64")


def _integers(series: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """``Int64`` values (missing where not a whole number in the int64 range), and where a
    whole number lies outside that range. Digit strings are read exactly (not through a
    float, which would round 9007199254740993 to ...992)."""
    if pd.api.types.is_integer_dtype(series.dtype):
        return series.astype("Int64"), np.zeros(len(series), bool)
    num = _numeric(series)
    with np.errstate(invalid="ignore"):
        integral = (num == np.round(num)).to_numpy(bool)
        # 2**63 is exact in float64; every float below it converts exactly to int64
        over = integral & ~((num >= INT64_RANGE[0]) & (num < 2.0**63)).to_numpy(bool)
    ok = integral & ~over
    values = np.zeros(len(series), dtype="int64")
    values[ok] = num.to_numpy()[ok].astype("int64")
    if not pd.api.types.is_numeric_dtype(series.dtype):
        text = _number_text(series)
        digits = text.map(lambda v: isinstance(v, str) and _DIGITS.fullmatch(v) is not None)
        for i in np.flatnonzero(digits.to_numpy(bool)):
            exact = int(text.iat[i])
            inside = INT64_RANGE[0] <= exact <= INT64_RANGE[1]
            ok[i], over[i] = inside, not inside
            if inside:
                values[i] = exact
    out = pd.Series(pd.array(values, dtype="Int64"), index=series.index)
    out[~ok] = pd.NA
    return out, over


def int_overflow(series: pd.Series) -> np.ndarray:
    """True where a value is a whole number too large for the registry (beyond int64)."""
    return _integers(series)[1]


def _describe_cell(v: Any) -> tuple[str, str]:
    """What a wrongly typed cell is (``a date``), and how it reads (``2021-05-01``)."""
    if isinstance(v, (bool, np.bool_)):
        return "a true/false value", str(bool(v)).upper()
    if isinstance(v, np.datetime64):
        v = pd.Timestamp(v)
    if isinstance(v, np.timedelta64):
        v = pd.Timedelta(v)
    if isinstance(v, dt.datetime):
        if (v.hour, v.minute, v.second, v.microsecond) == (0, 0, 0, 0):
            return "a date", v.date().isoformat()
        return "a date and time", v.isoformat(sep=" ")
    if isinstance(v, dt.date):
        return "a date", v.isoformat()
    if isinstance(v, dt.time):
        return "a time", v.isoformat()
    return "a duration", str(v)


def mismatched_cells(series: pd.Series, column: Column) -> list[tuple[np.ndarray, str, str]]:
    """Cells whose own type contradicts a number or boolean column: dates, times and
    durations (an Excel cell formatted as a date), and true/false cells in number columns.

    Returns
    -------
    list of (mask, message, hint)
        One entry per kind found, e.g. ``a date (2021-05-01) where a number is expected``.
    """
    if column.type not in ("int", "float", "bool"):
        return []
    wanted = "true/false" if column.type == "bool" else "a number"
    kinds: tuple[type, ...] = _DATELIKE if column.type == "bool" else (bool, np.bool_, *_DATELIKE)
    if pd.api.types.is_datetime64_any_dtype(series.dtype) or pd.api.types.is_timedelta64_dtype(
            series.dtype) or (column.type != "bool" and pd.api.types.is_bool_dtype(series.dtype)):
        objects = series.astype(object).to_numpy()
        objects = np.where(series.isna().to_numpy(bool), None, objects)
    elif series.dtype == object:
        objects = series.to_numpy()
        if set(map(type, objects)) <= {str, int, float, _NONE_TYPE}:
            return []
    else:
        return []
    found: dict[str, list[int]] = {}
    shown: dict[str, list[str]] = {}
    for i, v in enumerate(objects):
        if v is None or v is pd.NaT or not isinstance(v, kinds) or (
                isinstance(v, (np.datetime64, np.timedelta64)) and np.isnat(v)):
            continue
        what, text = _describe_cell(v)
        found.setdefault(what, []).append(i)
        if text not in shown.setdefault(what, []) and len(shown[what]) < 3:
            shown[what].append(text)
    out = []
    for what, idx in found.items():
        mask = np.zeros(len(series), bool)
        mask[idx] = True
        out.append((mask, f"{what} ({', '.join(shown[what])}) where {wanted} is expected",
                    "the cell is formatted as a date or time (or is a TRUE/FALSE cell) in the "
                    "spreadsheet: format the column as Number or General and type the value "
                    "again" if column.type != "bool" else
                    "write 是/否 or true/false in these cells"))
    return out


def _dates(series: pd.Series) -> pd.Series:
    if pd.api.types.is_datetime64_any_dtype(series.dtype):
        out = series
        if getattr(out.dt, "tz", None) is not None:
            out = out.dt.tz_convert(TIMEZONE).dt.tz_localize(None)
        return out.dt.normalize().astype("datetime64[ns]")
    values = series.dropna()
    if len(values) and all(type(v) is dt.date for v in values):  # DATE fields read by GDAL
        return _ns_range(pd.to_datetime(series, errors="coerce")).astype("datetime64[ns]")
    text = _as_text(series)
    norm = text.map(
        lambda v: re.sub(r"[年月/.]", "-", v).replace("日", "").split("T")[0].split(" ")[0]
        if isinstance(v, str) else v
    )
    compact = norm.str.fullmatch(r"\d{8}").fillna(False).astype(bool)
    norm = norm.where(~compact, norm.str.slice(0, 4) + "-" + norm.str.slice(4, 6) + "-" + norm.str.slice(6, 8))
    out = pd.to_datetime(norm, format="%Y-%m-%d", errors="coerce")
    return _ns_range(out).astype("datetime64[ns]")


def _ns_range(parsed: pd.Series) -> pd.Series:
    """``parsed`` with dates outside what nanosecond timestamps hold (1677-2262) made missing,
    so that they are reported as unconvertible instead of overflowing."""
    return parsed.where((parsed.dt.year > 1677) & (parsed.dt.year < 2262))


def _datetimes(series: pd.Series) -> pd.Series:
    if pd.api.types.is_datetime64_any_dtype(series.dtype):
        if getattr(series.dt, "tz", None) is None:
            return series.dt.tz_localize(TIMEZONE).astype(f"datetime64[ns, {TIMEZONE}]")
        return series.dt.tz_convert(TIMEZONE).astype(f"datetime64[ns, {TIMEZONE}]")
    text = _as_text(series).map(lambda v: v.replace("/", "-") if isinstance(v, str) else v)
    aware = text.map(lambda v: bool(_TZ_SUFFIX.search(v)) if isinstance(v, str) else False)
    aware = aware.astype(bool).to_numpy()
    out = pd.Series(pd.NaT, index=series.index, dtype=f"datetime64[ns, {TIMEZONE}]")
    if aware.any():
        parsed = _ns_range(pd.to_datetime(text[aware], errors="coerce", utc=True,
                                          format="ISO8601"))
        out[aware] = parsed.dt.tz_convert(TIMEZONE).astype(out.dtype)
    naive = ~aware & text.notna().to_numpy()
    if naive.any():
        try:
            parsed = _ns_range(pd.to_datetime(text[naive], errors="coerce", format="mixed"))
            out[naive] = parsed.dt.tz_localize(TIMEZONE).astype(out.dtype)
        except (TypeError, ValueError):  # a zone the suffix test missed ("… UTC", "+0800")
            out[naive] = [_one_datetime(v) for v in text[naive]]
    return out


def _one_datetime(value: str) -> pd.Timestamp:
    """One text datetime in Asia/Shanghai (its own zone if it names one); NaT if not one."""
    try:
        ts = pd.Timestamp(value)
    except (TypeError, ValueError, OverflowError):
        return pd.NaT
    if ts is pd.NaT or not 1677 < ts.year < 2262:
        return pd.NaT
    return ts.tz_localize(TIMEZONE) if ts.tzinfo is None else ts.tz_convert(TIMEZONE)


def _bools(series: pd.Series) -> pd.Series:
    chunked = arrow_strings(series)
    objects = (np.asarray(chunked.to_numpy(zero_copy_only=False), dtype=object)
               if chunked is not None else series.astype(object).to_numpy())
    if _only_str_or_none(objects):
        # few distinct texts: convert each once (str equality is exact, so this is one() per value)
        codes, uniques = pd.factorize(objects, use_na_sentinel=True)
        table = np.array([_one_bool(v) for v in uniques] + [pd.NA], dtype=object)
        return pd.Series(table[codes], index=series.index, dtype="boolean")
    return pd.Series([_one_bool(v) for v in objects], index=series.index, dtype="boolean")


def _one_bool(v: Any) -> Any:
    if v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v)):
        return pd.NA
    if isinstance(v, (bool, np.bool_)):
        return bool(v)
    key = str(v).strip().lower()
    if key in _TRUE:
        return True
    if key in _FALSE:
        return False
    return pd.NA


def coerce(series: pd.Series, column: Column) -> tuple[pd.Series, np.ndarray]:
    """Convert ``series`` to ``column``'s canonical dtype.

    Parameters
    ----------
    series : pandas.Series
        Raw values.
    column : Column
        The catalogue column, giving the type.

    Returns
    -------
    values : pandas.Series
        Converted values; unconvertible ones become missing.
    bad : numpy.ndarray of bool
        True where a non-blank input value could not be converted (or an ``int`` was not
        integral): the rows to report.

    Examples
    --------
    >>> from yangpu_gis.catalogue import get_layer
    >>> vals, bad = coerce(pd.Series(["12", "x", None]), get_layer("parking_facilities").column("capacity"))
    >>> vals.tolist(), bad.tolist()
    ([12, <NA>, <NA>], [False, True, False])
    """
    kind = column.type
    if kind == "str":  # any value is text: nothing is bad
        return _as_text(series), np.zeros(len(series), bool)
    if kind == "int":
        out = _integers(series)[0]
    elif kind == "float":
        num = _numeric(series)
        out = num.where(np.isfinite(num.to_numpy()))  # inf and 1e400 are not measurements
    elif kind == "bool":
        out = _bools(series)
    elif kind == "date":
        out = _dates(series)
    else:
        out = _datetimes(series)
    bad = ~is_blank(series) & out.isna().to_numpy(bool)
    return out, bad
