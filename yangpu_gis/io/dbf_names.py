"""Field names as a Shapefile (dBASE) holds them: GDAL's 10-character rule, and its inverse.

A DBF field name has at most 10 bytes. GDAL's Shapefile driver (``OGRShapeLayer::CreateField``)
truncates a longer name to 10 bytes and, when the result is already taken (compared without
case), tries ``<first 8>_1`` … ``<first 8>_9``, then ``<first 8>10`` … ``<first 8>99``.
:func:`dbf_field_names` reproduces that rule, so an export written by the package can be read
back: :func:`truncated_aliases` derives, from the catalogue, which truncated names stand for
which catalogue column, and which are ambiguous (then the loader refuses and asks for
``--map``).
"""

from __future__ import annotations

from collections.abc import Sequence

from ..catalogue import BATCH_COLUMN, Layer

__all__ = ["DBF_NAME_BYTES", "dbf_field_names", "truncated_aliases"]

#: Longest field name a DBF header holds, in bytes.
DBF_NAME_BYTES = 10


def _truncate(name: str, size: int) -> str:
    """The longest prefix of ``name`` that fits ``size`` UTF-8 bytes (whole characters)."""
    data = name.encode("utf-8")[:size]
    return data.decode("utf-8", errors="ignore")


def dbf_field_names(names: Sequence[str]) -> list[str]:
    """The field names GDAL writes to a DBF for ``names`` created in this order.

    Parameters
    ----------
    names : sequence of str
        Column names in the order the fields are created.

    Returns
    -------
    list of str
        One DBF field name per input name.

    Examples
    --------
    >>> dbf_field_names(["last_major_repair_date", "last_major_x", "name"])
    ['last_major', 'last_maj_1', 'name']
    """
    taken: set[str] = set()
    out: list[str] = []
    for name in names:
        radix = _truncate(name, DBF_NAME_BYTES)
        new = radix
        number = 1
        while new.upper() in taken and number < 10:
            new = f"{_truncate(radix, 8)}_{number}"
            number += 1
        while new.upper() in taken and number < 100:
            new = f"{_truncate(radix, 8)}{number:02d}"
            number += 1
        taken.add(new.upper())
        out.append(new)
    return out


def truncated_aliases(
    layer: Layer, present: Sequence[str] = ()
) -> tuple[dict[str, str], dict[str, list[str]]]:
    """The catalogue's own DBF truncations of ``layer``'s long column names.

    Parameters
    ----------
    layer : Layer
        The catalogue layer.
    present : sequence of str, optional
        The file's column names. When every field GDAL writes for a group of columns sharing
        one truncation is present, the group is mapped in catalogue order (only the full
        export gives that set of names); otherwise its names are ambiguous.

    Returns
    -------
    aliases : dict
        Lower-case DBF name -> catalogue column, for names that stand for exactly one column
        whether or not the other columns were exported.
    ambiguous : dict
        Lower-case DBF name -> the catalogue columns it may stand for: a truncation shared
        by several columns (GDAL numbered them by creation order, which a partial export
        changes) or one that equals another column's name or alias.

    Examples
    --------
    >>> from yangpu_gis.catalogue import get_layer
    >>> truncated_aliases(get_layer("roads"))[0]["last_major"]
    'last_major_repair_date'
    """
    names = [*layer.column_names, BATCH_COLUMN]
    lower_present = {str(c).lower() for c in present}
    known = {n.lower() for n in names if len(n.encode("utf-8")) <= DBF_NAME_BYTES}
    for col in layer.columns:
        known.update(a.lower() for a in col.aliases)
    groups: dict[str, list[str]] = {}
    for name in names:
        if len(name.encode("utf-8")) > DBF_NAME_BYTES:
            groups.setdefault(_truncate(name, DBF_NAME_BYTES).lower(), []).append(name)
    written = dict(zip(names, dbf_field_names(names), strict=True))
    aliases: dict[str, str] = {}
    ambiguous: dict[str, list[str]] = {}
    for radix, members in groups.items():
        candidates = {radix, *(written[m].lower() for m in members)}
        if len(members) == 1 and radix not in known and written[members[0]].lower() == radix:
            aliases[radix] = members[0]
            continue
        if len(members) > 1 and {written[m].lower() for m in members} <= lower_present and \
                not (candidates & known):
            aliases.update({written[m].lower(): m for m in members})
            continue
        for dbf in candidates:
            ambiguous[dbf] = list(members)
    return aliases, ambiguous
