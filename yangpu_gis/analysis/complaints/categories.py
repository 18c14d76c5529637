"""The 12345 category table: which department is responsible for each kind of work order.

The hotline system files every work order under a category (问题类别); the city operations
centre (城运中心) dispatches it to the department responsible for that category. The
mapping is local practice, not a standard: :data:`DEFAULT_CATEGORY_TABLE` holds our defaults
for the categories of the demo data, **to be checked against the district's current
dispatch rules**, and :func:`load_category_table` reads an override from a CSV or TOML file.

Defaults
--------
========  =====================  ==========================================================
类别      责任部门 (department)   note
========  =====================  ==========================================================
道路破损  建管委/道路养护          road pavement and footways (区建设和管理委员会, 养护单位)
井盖缺失  建管委/管线权属单位      manholes belong to the pipe owner; 建管委 coordinates
路灯故障  建管委/路灯养护          street lighting maintenance
掘路施工  建管委/掘路管理          excavation permits and reinstatement (掘路许可)
占道经营  城管执法                 street vending, goods on the footway (城管执法局)
油烟扰民  城管执法                 catering fumes (enforcement lies with 城管 in Shanghai;
                                   verify)
噪声      生态环境局               construction and social noise (night works: 生态环境局;
                                   verify local split with 公安 for social noise)
积水      水务                     surface water, blocked gullies (区水务局/排水)
违法停车  公安交警                 illegal parking (公安分局交警支队)
垃圾      绿化市容                 refuse collection and sorting (绿化和市容管理局)
绿化养护  绿化市容                 street trees and green space
群租      房管局                   overcrowded rentals (住房保障和房屋管理局)
========  =====================  ==========================================================

A category missing from the table has no department: its cases go to manual dispatch.

File formats
------------
CSV (UTF-8, optional BOM), columns ``category, department`` and optionally ``label``::

    category,department
    道路破损,建管委/道路养护
    共享单车,交通委

TOML, one table per category or a flat table::

    [categories]
    "道路破损" = "建管委/道路养护"
    "共享单车" = { department = "交通委", label = "共享单车乱停" }

(TOML bare keys are ASCII only: quote Chinese category names.)
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from os import PathLike
from pathlib import Path

import pandas as pd

from ...errors import ValidationError
from ..inputs import read_toml

__all__ = [
    "DEFAULT_CATEGORY_TABLE",
    "CategoryTable",
    "department_for",
    "load_category_table",
]


@dataclass(frozen=True)
class CategoryTable:
    """Category → responsible department (and an optional display label).

    Parameters
    ----------
    departments : mapping of str to str
        Category (as in the ``complaints`` layer) → department.
    labels : mapping of str to str, optional
        Category → longer display label; the category itself when missing.
    """

    departments: Mapping[str, str]
    labels: Mapping[str, str] | None = None

    def department(self, category: str) -> str | None:
        """Department responsible for ``category``, or ``None`` if the table lacks it."""
        return self.departments.get(category)

    def label(self, category: str) -> str:
        """Display label of ``category``."""
        return (self.labels or {}).get(category, category)

    def updated(self, other: CategoryTable) -> CategoryTable:
        """A copy with ``other``'s entries added or replacing ours."""
        return CategoryTable(
            {**self.departments, **other.departments},
            {**(self.labels or {}), **(other.labels or {})},
        )

    def to_frame(self) -> pd.DataFrame:
        """The table as ``category, department, label`` rows."""
        return pd.DataFrame(
            [{"category": c, "department": d, "label": self.label(c)}
             for c, d in self.departments.items()]
        )


#: Our documented defaults (see the module docstring); local practice, verify before use.
DEFAULT_CATEGORY_TABLE = CategoryTable(
    {
        "道路破损": "建管委/道路养护",
        "井盖缺失": "建管委/管线权属单位",
        "路灯故障": "建管委/路灯养护",
        "掘路施工": "建管委/掘路管理",
        "占道经营": "城管执法",
        "油烟扰民": "城管执法",
        "噪声": "生态环境局",
        "积水": "水务",
        "违法停车": "公安交警",
        "垃圾": "绿化市容",
        "绿化养护": "绿化市容",
        "群租": "房管局",
    }
)


def load_category_table(
    path: str | PathLike[str], *, base: CategoryTable | None = DEFAULT_CATEGORY_TABLE
) -> CategoryTable:
    """Read a category table from a CSV or TOML file.

    Parameters
    ----------
    path : str or path-like
        ``.csv`` (columns ``category, department[, label]``) or ``.toml`` (a
        ``[categories]`` table, see the module docstring).
    base : CategoryTable or None, keyword-only
        Table the file's entries are added to (default :data:`DEFAULT_CATEGORY_TABLE`);
        ``None`` uses the file alone.

    Returns
    -------
    CategoryTable

    Raises
    ------
    ValidationError
        Unknown file type, missing columns, or an entry without a department.

    Examples
    --------
    >>> table = load_category_table("categories.toml")                 # doctest: +SKIP
    >>> table.department("道路破损")                                    # doctest: +SKIP
    '建管委/道路养护'
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        with path.open(encoding="utf-8-sig", newline="") as fh:
            rows = list(csv.DictReader(fh))
        if rows and not {"category", "department"} <= set(rows[0]):
            raise ValidationError(
                "category table needs the columns category and department",
                source=str(path), hint="first line: category,department[,label]",
            )
        entries = [(r["category"], r.get("department"), r.get("label")) for r in rows]
    elif suffix == ".toml":
        data = read_toml(path, '"道路破损" = "建管委/道路养护"')
        table = data.get("categories", data)
        entries = []
        for cat, value in table.items():
            if isinstance(value, Mapping):
                entries.append((cat, value.get("department"), value.get("label")))
            else:
                entries.append((cat, value, None))
    else:
        raise ValidationError(f"unknown category table format {suffix!r}", source=str(path),
                              hint="use a .csv or .toml file")
    table = _from_entries(entries, path)
    return base.updated(table) if base is not None else table


def _from_entries(entries: Iterable[tuple[str, object, object]], path: Path) -> CategoryTable:
    departments: dict[str, str] = {}
    labels: dict[str, str] = {}
    for i, (cat, dept, label) in enumerate(entries, start=1):
        cat = str(cat or "").strip()
        dept = str(dept or "").strip()
        if not cat or not dept:
            raise ValidationError(
                f"entry {i} of the category table has no category or no department",
                source=str(path), hint="every line needs both a category and a department",
            )
        departments[cat] = dept
        if label is not None and str(label).strip():
            labels[cat] = str(label).strip()
    return CategoryTable(departments, labels)


def department_for(
    categories: Iterable[str], table: CategoryTable | None = None
) -> list[str | None]:
    """The responsible department of each category (``None`` when the table lacks it).

    Parameters
    ----------
    categories : iterable of str
    table : CategoryTable, optional
        Default :data:`DEFAULT_CATEGORY_TABLE`.

    Returns
    -------
    list of str or None

    Examples
    --------
    >>> department_for(["积水", "外星人"])
    ['水务', None]
    """
    table = table or DEFAULT_CATEGORY_TABLE
    return [table.department(c) for c in categories]
