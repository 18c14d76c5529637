"""Small input files of the analyses: a station or sample table, a PCI grade table.

``analyze water-quality --stations/--samples`` may name files instead of registry layers, and
``analyze road-condition --grades`` a CSV overriding the PCI grade table; the runs read them
here (the analyses themselves take frames and mappings).
"""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd

from ..errors import Problem, SourceError

__all__ = ["PLAIN_TABLE_SUFFIXES", "read_grade_table", "read_station_table"]

#: Files read as plain tables (no geometry); anything else is read as a vector file.
PLAIN_TABLE_SUFFIXES = (".csv", ".txt", ".xlsx", ".xls")


def read_station_table(path: str | Path) -> pd.DataFrame:
    """A stations or samples file: CSV/TXT (UTF-8), XLSX/XLS, or any vector file.

    ``station_id`` is read as text in CSV and Excel files.

    Returns
    -------
    pandas.DataFrame or geopandas.GeoDataFrame
        A GeoDataFrame for vector files (GeoPackage, GeoJSON, shapefile …).

    Raises
    ------
    SourceError
        If the file does not exist.
    """
    path = Path(path)
    if not path.exists():
        raise SourceError("file not found", source=str(path))
    if path.suffix.lower() in PLAIN_TABLE_SUFFIXES[:2]:
        return pd.read_csv(path, encoding="utf-8-sig", dtype={"station_id": str})
    if path.suffix.lower() in PLAIN_TABLE_SUFFIXES[2:]:
        return pd.read_excel(path, dtype={"station_id": str})
    import geopandas as gpd

    return gpd.read_file(path)


def read_grade_table(path: str | Path) -> dict[str, tuple[float, float, float]]:
    """A PCI grade table (``road_class,excellent,good,fair``, UTF-8 CSV) as a mapping.

    Returns
    -------
    dict
        Road class -> lowest PCI of 优, 良 and 中.

    Raises
    ------
    SourceError
        If the file is missing, unreadable, not UTF-8 CSV, or a threshold is not a number
        (with its line and column).
    """
    hint = "a CSV with the header road_class,excellent,good,fair and one line per road class"
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise SourceError("file not found", source=str(path), hint="check the path") from None
    except IsADirectoryError:
        raise SourceError("this is a folder, not a CSV file", source=str(path), hint=hint) from None
    except UnicodeDecodeError:
        raise SourceError("not a UTF-8 text file", source=str(path),
                          hint="save it as CSV UTF-8") from None
    except OSError as exc:
        raise SourceError(f"cannot read it: {exc.strerror or exc}", source=str(path)) from None
    rows = list(csv.reader(text.splitlines()))
    if len(rows) < 2 or len(rows[0]) < 4:
        raise SourceError("no grade table in it", source=str(path), hint=hint)
    header = [h.strip() for h in rows[0][:4]]
    table: dict[str, tuple[float, float, float]] = {}
    problems = []
    for line, row in enumerate(rows[1:], start=2):
        if not any(v.strip() for v in row):
            continue
        if len(row) < 4:
            problems.append(Problem("fewer than four values", rows=[line], row_label="line"))
            continue
        values = []
        for name, v in zip(header[1:], row[1:4], strict=True):
            try:
                number = float(v)
            except ValueError:
                problems.append(Problem(f"{v!r} is not a number", rows=[line], field=name,
                                        row_label="line"))
                continue
            if number != number or number in (float("inf"), float("-inf")):
                problems.append(Problem(f"{v!r} is not a finite number", rows=[line],
                                        field=name, row_label="line"))
                continue
            values.append(number)
        if len(values) == 3:
            table[row[0].strip()] = (values[0], values[1], values[2])
    if problems:
        raise SourceError("the grade table has values that are not numbers", source=str(path),
                          problems=problems, hint=hint)
    return table
