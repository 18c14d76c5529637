"""CSV and XLSX tables as the user sees them: decoded text, header, and each record's row.

Bureau tables come from Excel, WPS, databases and scripts: UTF-8 with or without a BOM,
GBK, sometimes both in one file; commas, semicolons or tabs; CRLF, LF or old Mac CR-only
line breaks; blank lines; two columns with the same name. This module reads them without
guessing silently: the text is decoded line by line (a file that mixes encodings is
refused with its lines and fields, and the encoding those lines do decode in), the header
must name each column once, and every record keeps the line (CSV) or spreadsheet row (XLSX,
the header counted) it starts on, so messages point where the user looks.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .. import settings
from ..errors import Problem, SourceError
from .encoding import EncodingGuess, line_encodings, split_lines, text_codec

__all__ = ["CsvRecords", "decode_text", "excel_table", "parse_csv", "read_csv_records"]

_BOM = b"\xef\xbb\xbf"
#: Delimiters recognised in CSV files, in order of preference when the header is ambiguous.
DELIMITERS = ",;\t|"
#: Codecs whose text can be split into lines at the byte level (line-break bytes never occur
#: inside a multi-byte character): the others are decoded as a whole.
_LINE_SAFE = frozenset({"utf-8", "gb18030", "gbk", "gb2312", "big5", "ascii", "latin-1",
                        "iso8859-1", "cp1252"})
_DISPLAY = {"gb18030": "GBK/GB18030", "gbk": "GBK/GB18030", "gb2312": "GBK/GB18030",
            "utf-8": "UTF-8", "ascii": "ASCII"}


def _shown(codec: str) -> str:
    return _DISPLAY.get(codec, codec)


# --------------------------------------------------------------------------- CSV records
@dataclass
class CsvRecords:
    """Parsed CSV: the header and each record with the lines it spans (1-based)."""

    header: list[str]
    header_line: int
    records: list[list[str]] = field(default_factory=list)
    starts: list[int] = field(default_factory=list)
    ends: list[int] = field(default_factory=list)
    delimiter: str = ","


def _delimiter(text: str) -> str:
    """The delimiter of a CSV text: sniffed from its first lines, checked against the header.

    A header without any candidate delimiter is a one-column table (``,``).
    """
    head = text[: 1 << 16]
    first = next((line for line in io.StringIO(head, newline=None) if line.strip()), "")
    present = [d for d in DELIMITERS if d in first]
    if not present:
        return ","
    try:
        sniffed = csv.Sniffer().sniff(head, delimiters=DELIMITERS).delimiter
    except csv.Error:
        sniffed = ""
    if sniffed in present:
        return sniffed
    return max(present, key=first.count)


def read_csv_records(text: str, source: str) -> CsvRecords:
    """Split CSV text into a header and records, keeping the line each record starts on.

    Empty lines are skipped (their numbers still count). Quoted fields may span lines.

    Raises
    ------
    SourceError
        For a file without a header, or text the csv module cannot parse (e.g. a field
        larger than 128 KiB), with the line.
    """
    if not text.strip():
        raise SourceError("the CSV file is empty (no header row)", source=source,
                          hint="export the table again, with a header row naming the columns")
    delimiter = _delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=False)
    header: list[str] | None = None
    out = CsvRecords([], 0, delimiter=delimiter)
    previous = 0
    try:
        for record in reader:
            start, previous = previous + 1, reader.line_num
            if not record or (len(record) == 1 and not record[0].strip()):
                continue  # a blank line
            if header is None:
                header, out.header_line = record, start
                continue
            out.records.append(record)
            out.starts.append(start)
            out.ends.append(previous)
    except csv.Error as exc:
        raise SourceError(f"cannot parse the CSV: {exc}", source=source,
                          problems=[Problem("unreadable CSV text", rows=[reader.line_num],
                                            row_label="line")],
                          hint="check the quotes on this line, or export the table again") from exc
    out.header = header or []
    return out


def _letters(position: int) -> str:
    """Spreadsheet column letters of a 1-based position (1 -> A, 27 -> AA)."""
    name = ""
    while position:
        position, rest = divmod(position - 1, 26)
        name = chr(65 + rest) + name
    return name


def _column_names(raw: list[object], blank: list[bool], source: str) -> list[str]:
    """Header cells as column names; refuses a name given twice.

    An empty header cell over an empty column is dropped (``None``); over data it is named
    ``Unnamed: <0-based position>`` as pandas does (so it is reported as not stored).
    """
    names: list[str] = []
    for i, cell in enumerate(raw):
        text = "" if cell is None or (isinstance(cell, float) and np.isnan(cell)) else str(cell)
        text = text.strip()
        if text.endswith(".0") and isinstance(cell, float):
            text = text[:-2]
        names.append(text or ("" if blank[i] else f"Unnamed: {i}"))
    seen: dict[str, list[int]] = {}
    for i, name in enumerate(names):
        if name:
            seen.setdefault(name, []).append(i + 1)
    twice = {n: pos for n, pos in seen.items() if len(pos) > 1}
    if twice:
        problems = [
            Problem(f"column {name!r} appears {len(pos)} times, at positions "
                    + ", ".join(f"{p} ({_letters(p)})" for p in pos), field=name,
                    row_label="column")
            for name, pos in twice.items()
        ]
        raise SourceError(
            "the header names a column more than once: it is not clear which one to load",
            source=source, problems=problems,
            hint="rename or delete the extra columns so that each name appears once",
        )
    return names


def parse_csv(text: str, source: str) -> tuple[pd.DataFrame, np.ndarray]:
    """A CSV text as a table of strings, and the line each row starts on.

    Raises
    ------
    SourceError
        Empty file, header only, duplicate column names, records with more fields than the
        header (a delimiter inside an unquoted value), unparseable text.
    """
    parsed = read_csv_records(text, source)
    width = len(parsed.header)
    too_long = [line for record, line in zip(parsed.records, parsed.starts, strict=True)
                if len(record) > width and any(v.strip() for v in record[width:])]
    if too_long:
        raise SourceError(
            f"rows with more fields than the header's {width} columns", source=source,
            problems=[Problem(f"more than {width} fields (delimiter {parsed.delimiter!r})",
                              rows=too_long, row_label="line")],
            hint="quote values that contain the delimiter, or check for a missing header column",
        )
    rows = [(record + [""] * width)[:width] for record in parsed.records]
    columns = list(zip(*rows, strict=True)) if rows else [()] * width
    blank = [all(not v.strip() for v in col) for col in columns]
    names = _column_names(list(parsed.header), blank, source)
    data = {name: pd.Series(list(col), dtype=str) for name, col in zip(names, columns, strict=True)
            if name}
    table = pd.DataFrame(data, index=pd.RangeIndex(len(rows)))
    return table, np.asarray(parsed.starts, dtype="int64")


# --------------------------------------------------------------------------- decoding
def _fields_on_lines(lines: list[str], flagged: list[int], source: str) -> dict[str | None, list[int]]:
    """Which columns hold non-ASCII text on the ``flagged`` lines: column -> lines."""
    try:
        parsed = read_csv_records("\n".join(lines), source)
    except SourceError:
        return {None: flagged}
    wanted = set(flagged)
    found: dict[str | None, list[int]] = {}
    spans = [(0, parsed.header_line, parsed.header_line, parsed.header)]
    spans += [(1, s, e, r) for s, e, r in zip(parsed.starts, parsed.ends, parsed.records,
                                               strict=True)]
    for kind, start, end, record in spans:
        hit = [n for n in range(start, end + 1) if n in wanted]
        if not hit:
            continue
        for i, value in enumerate(record):
            if re.search(r"[^\x00-\x7f]", value):
                name = (parsed.header[i].strip() if i < len(parsed.header) else f"field {i + 1}")
                found.setdefault("(header)" if kind == 0 else name, []).extend(hit)
    for n in wanted - {n for v in found.values() for n in v}:
        found.setdefault(None, []).append(n)
    return found


def _refuse_lines(message: str, lines: list[bytes], flagged: list[int], problem: str,
                  source: str, hint: str) -> SourceError:
    """The refusal of a text file whose ``flagged`` lines decode wrongly, by column."""
    candidates = [*settings.fallback_encodings, "latin-1"]

    def best(line: bytes) -> str:
        for codec in candidates:
            try:
                return line.decode(codec)
            except UnicodeError:
                continue
        return line.decode("utf-8", "replace")

    fields = _fields_on_lines([best(line) for line in lines], flagged, source)
    problems = [Problem(problem, rows=sorted(set(rows)), field=name, row_label="line")
                for name, rows in fields.items()]
    return SourceError(message, source=source, problems=problems, hint=hint)


def decode_text(data: bytes, encoding: str | None, source: str) -> tuple[str, EncodingGuess]:
    """Decode a CSV/text file, line by line when it is not plain UTF-8.

    Decided in this order: ``encoding`` (``--encoding``), a UTF-8 byte-order mark, else
    detection over ``settings.fallback_encodings`` (UTF-8, then GBK/GB18030). Each line
    holding non-ASCII bytes is checked on its own: a file whose lines need different
    encodings is refused (decoding it in one would turn the other lines into mojibake such
    as ``鎺ф睙璺``), naming the lines, their columns and the encoding they decode in.

    Raises
    ------
    SourceError
        Unknown ``encoding``; lines the chosen encoding does not decode; mixed encodings;
        no candidate decodes the file.
    """
    guess: EncodingGuess | None = None
    if encoding:
        guess = EncodingGuess(text_codec(encoding, source=source), "given with --encoding")
        if guess.codec == "utf-8" and data.startswith(_BOM):
            data = data[3:]
    elif data.startswith(_BOM):
        data = data[3:]
        guess = EncodingGuess("utf-8", "UTF-8 byte-order mark")
    if guess is not None and guess.codec not in _LINE_SAFE:  # e.g. UTF-16: decoded as a whole
        try:
            return data.decode(guess.codec), guess
        except UnicodeError as exc:
            line = len(split_lines(data[: getattr(exc, "start", 0)]))
            raise SourceError(f"text is not valid {guess.codec} ({guess.how})", source=source,
                              problems=[Problem("undecodable bytes", rows=[line],
                                                row_label="line")],
                              hint="pass the right --encoding (UTF-8 or GBK)") from exc
    if (guess is None or guess.codec == "utf-8") and _utf8(data):
        if guess is None:
            ascii_only = not re.search(rb"[\x80-\xff]", data)
            guess = (EncodingGuess("ascii", "detected: all text is ASCII") if ascii_only else
                     EncodingGuess("utf-8", "detected: every line decodes as utf-8"))
        return data.decode("utf-8"), guess
    lines = split_lines(data)
    fallbacks = tuple(dict.fromkeys(_name(c) for c in settings.fallback_encodings))
    tried = tuple(dict.fromkeys([*fallbacks, *([guess.codec] if guess else [])]))
    per = line_encodings(lines, tried)
    utf8_lines = [n for n in per.lines if n not in set(per.failing("utf-8"))]
    other_lines = per.failing("utf-8")
    mixing = "save the whole file in one encoding (UTF-8 is best), then load it again"
    if guess is None or guess.codec != "utf-8":
        if utf8_lines and other_lines:
            minority, rest = ((utf8_lines, other_lines) if len(utf8_lines) <= len(other_lines)
                              else (other_lines, utf8_lines))
            other = next((c for c in tried if c != "utf-8"
                          and not set(per.failing(c)) & set(other_lines)), None)
            other_name = _shown(other) if other else "another encoding"
            if minority is utf8_lines:
                what = (f"UTF-8 text, while the file's other {len(rest)} non-ASCII lines are "
                        f"{other_name}: read as one encoding, one part would become mojibake")
            else:
                what = (f"{other_name} text (not UTF-8), while the file's other {len(rest)} "
                        "non-ASCII lines are UTF-8: read as one encoding, one part would "
                        "become mojibake")
            raise _refuse_lines(f"mixed text encodings (UTF-8 and {other_name}) in one file",
                                lines, minority, what, source, mixing)
    if guess is None:
        codec = next((c for c in fallbacks if c != "utf-8" and not per.failing(c)), None)
        if codec is None:
            bad = per.failing(fallbacks[-1])
            raise _refuse_lines(
                "cannot tell the text encoding (neither UTF-8 nor GBK/GB18030 decodes every "
                "line)", lines, bad, "text that no candidate encoding decodes", source,
                "pass --encoding with the encoding the file was written in")
        guess = EncodingGuess(codec, f"detected: every line decodes as {codec}")
        # every line decodes and no line-break byte is inside a character: decode as a whole
        return data.decode(codec), guess
    failing = per.failing(guess.codec)
    if failing:
        alt = next((c for c in tried if c != guess.codec
                    and not set(per.failing(c)) & set(failing)), None)
        hint = ("these lines decode as " + _shown(alt) + (
            ": the file mixes encodings; " + mixing if set(failing) != set(per.lines) else
            f": pass --encoding {alt}") if alt else
            "pass the right --encoding (UTF-8 or GBK)")
        raise _refuse_lines(f"text is not valid {_shown(guess.codec)} ({guess.how})", lines,
                            failing, f"not {_shown(guess.codec)} text", source, hint)
    return data.decode(guess.codec), guess


def _name(codec: str) -> str:
    import codecs

    return codecs.lookup(codec).name


def _utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


# --------------------------------------------------------------------------- XLSX
def excel_table(path: Path, sheet_name: str | None, source: str
                ) -> tuple[dict[str, pd.DataFrame], dict[str, np.ndarray]]:
    """Read a workbook's sheets (or one) with their header on the first non-empty row.

    Returns
    -------
    tables : dict
        Sheet name -> table of raw cell values (``object``; dates stay dates).
    rows : dict
        Sheet name -> the spreadsheet row number of each table row (1-based, the header
        counted; empty rows skipped but counted).

    Raises
    ------
    SourceError
        A workbook that cannot be read, a sheet without a header, or a header naming a
        column twice.
    """
    try:
        book = pd.read_excel(path, sheet_name=None, dtype=object, header=None)
    except Exception as exc:  # openpyxl raises many kinds for damaged files
        raise SourceError(f"cannot read the workbook: {exc}", source=source,
                          hint="open it in Excel and save it again as .xlsx") from exc
    tables, rows = {}, {}
    for name, raw in book.items():
        values = raw.astype(object)
        empty = values.map(lambda v: v is None or (isinstance(v, float) and np.isnan(v))
                           or (isinstance(v, str) and not v.strip())).to_numpy(bool)
        filled = np.flatnonzero(~empty.all(axis=1)) if len(values) else np.array([], int)
        if not filled.size:
            tables[str(name)], rows[str(name)] = pd.DataFrame(), np.array([], dtype="int64")
            continue
        head = int(filled[0])
        body = [i for i in filled if i > head]
        blank_columns = empty[body].all(axis=0) if body else np.ones(values.shape[1], bool)
        names = _column_names(list(values.iloc[head]), list(blank_columns),
                              f"{source}:{name}" if len(book) > 1 else source)
        keep = [i for i, n in enumerate(names) if n]
        table = values.iloc[body, keep].reset_index(drop=True)
        table.columns = [names[i] for i in keep]
        tables[str(name)] = table
        rows[str(name)] = np.asarray(body, dtype="int64") + 1
    return tables, rows
